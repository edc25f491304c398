package r1client_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// exerciseNetworks makes every Wi-Fi network, venue and AP-group call of the
// client through the validating transport, successes and R1's refusals, and
// leaves no network behind (the pool can be deleted after it). It returns
// the ids it put into paths.
func exerciseNetworks(t *testing.T, c *r1client.Client, sim *r1sim.Sim, poolID string) []string {
	t.Helper()
	ctx := context.Background()
	ok := func(acc r1client.Accepted, err error) r1client.Accepted {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return acc
	}
	refused := func(what string, target any, _ r1client.Accepted, err error) {
		t.Helper()
		if !errors.As(err, target) {
			t.Fatalf("%s: %v, want %T", what, err, target)
		}
	}
	var nf *r1client.NotFoundError
	var ve *r1client.ValidationError
	var ce *r1client.ConflictError

	// Each AP group two below the limit of 15.
	v, err := sim.AddVenue("t", r1sim.VenueSeed{Name: "Fidelity", APGroups: []string{"Lobby"}, NetworksPerAPGroup: 13})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Venues.Get(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Venues.Get(ctx, "no-such-venue"); !errors.As(err, &nf) {
		t.Fatalf("unknown venue: %v", err)
	}
	if p, err := c.Venues.Query(ctx, r1client.VenueQuery{Names: []string{"Fidelity"}, PageSize: 5}); err != nil || len(p.Items) != 1 {
		t.Fatalf("venue query: %+v, %v", p, err)
	}
	if p, err := c.Venues.QueryAPGroups(ctx, v.ID, 1, 10); err != nil || len(p.Items) != 2 {
		t.Fatalf("AP group query: %+v, %v", p, err)
	}

	first := ok(c.WifiNetworks.CreateDPSK(ctx, r1client.DPSKNetwork{Name: "fidelity-net", SSID: "Fidelity Net", VLAN: 10, Description: "fidelity"}))
	ok(c.WifiNetworks.CreateDPSK(ctx, r1client.DPSKNetwork{Name: "fidelity-net", SSID: "Other SSID"})) // 202, then FAIL
	conflict := "conflict"
	if err := sim.Configure(r1sim.Settings{DuplicateNetwork: &conflict}); err != nil {
		t.Fatal(err)
	}
	acc, err := c.WifiNetworks.CreateDPSK(ctx, r1client.DPSKNetwork{Name: "fidelity-net", SSID: "Other SSID"})
	refused("duplicate name", &ce, acc, err)
	if p, err := c.WifiNetworks.Query(ctx, r1client.WifiNetworkQuery{Names: []string{"fidelity-net"}, SSIDs: []string{"Fidelity Net"}}); err != nil || len(p.Items) != 1 {
		t.Fatalf("network query: %+v, %v", p, err)
	}
	if p, err := c.WifiNetworks.Query(ctx, r1client.WifiNetworkQuery{IDs: []string{first.ID}, PageSize: 1}); err != nil || len(p.Items) != 1 {
		t.Fatalf("network query by id: %+v, %v", p, err)
	}
	if _, err := c.WifiNetworks.Get(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.WifiNetworks.Get(ctx, "no-such-network")
	refused("unknown network", &nf, r1client.Accepted{}, err)

	ok(c.WifiNetworks.BindDPSKService(ctx, first.ID, poolID))
	acc, err = c.WifiNetworks.BindDPSKService(ctx, first.ID, "no-such-pool")
	refused("unknown pool", &nf, acc, err)
	ok(c.Venues.ActivateNetwork(ctx, v.ID, first.ID, poolID))
	second := ok(c.WifiNetworks.CreateDPSK(ctx, r1client.DPSKNetwork{Name: "fidelity-2", SSID: "Fidelity 2"}))
	ok(c.Venues.ActivateNetwork(ctx, v.ID, second.ID, ""))
	third := ok(c.WifiNetworks.CreateDPSK(ctx, r1client.DPSKNetwork{Name: "fidelity-3", SSID: "Fidelity 3"}))
	acc, err = c.Venues.ActivateNetwork(ctx, v.ID, third.ID, "")
	refused("activation past the limit", &ve, acc, err)
	acc, err = c.Venues.ActivateNetwork(ctx, "no-such-venue", third.ID, "")
	refused("activation on an unknown venue", &nf, acc, err)

	acc, err = c.WifiNetworks.Delete(ctx, first.ID)
	refused("deleting an active network", &ve, acc, err)
	for _, id := range []string{first.ID, second.ID} {
		ok(c.Venues.DeactivateNetwork(ctx, v.ID, id))
	}
	acc, err = c.Venues.DeactivateNetwork(ctx, v.ID, first.ID)
	refused("deactivating an inactive network", &nf, acc, err)
	for _, id := range []string{first.ID, second.ID, third.ID} {
		ok(c.WifiNetworks.Delete(ctx, id))
	}
	acc, err = c.WifiNetworks.Delete(ctx, first.ID)
	refused("deleting a deleted network", &nf, acc, err)
	return []string{first.ID, second.ID, third.ID, v.ID}
}
