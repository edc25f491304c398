package r1client_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// seedVenue adds a venue to the test tenant.
func seedVenue(t testing.TB, e *env, seed r1sim.VenueSeed) r1sim.SeededVenue {
	t.Helper()
	v, err := e.sim.AddVenue(testTenant, seed)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// createDPSK creates a DPSK network named and broadcast as name, waits for
// it and returns its id.
func createDPSK(t testing.TB, e *env, name string) string {
	t.Helper()
	acc, err := e.c.WifiNetworks.CreateDPSK(context.Background(), r1client.DPSKNetwork{Name: name, SSID: name, VLAN: 20})
	if err != nil {
		t.Fatal(err)
	}
	if acc.ID == "" {
		t.Fatalf("create answered no network id: %+v", acc)
	}
	mustSucceed(t, e.c, acc)
	return acc.ID
}

// networkNamed queries the networks by name and returns the one named exactly name.
func networkNamed(t testing.TB, c *r1client.Client, name string) (r1client.WifiNetwork, bool) {
	t.Helper()
	p, err := c.WifiNetworks.Query(context.Background(), r1client.WifiNetworkQuery{Names: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range p.Items {
		if n.Name == name {
			return n, true
		}
	}
	return r1client.WifiNetwork{}, false
}

// inventoryNetwork is the simulator's committed record of a network.
func inventoryNetwork(e *env, id string) (r1sim.InvNetwork, bool) {
	for _, n := range e.sim.Inventory(testTenant).Networks {
		if n.ID == id {
			return n, true
		}
	}
	return r1sim.InvNetwork{}, false
}

func TestADPSKNetworkGoesOnTheAirAndComesOff(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	v := seedVenue(t, e, r1sim.VenueSeed{Name: "Harbor View", APGroups: []string{"North", "South"}})
	_, poolID := setup(t, e.c, "harbor", 8)

	id := createDPSK(t, e, "Harbor Residents")
	n, ok := networkNamed(t, e.c, "Harbor Residents")
	if !ok || !r1client.SameID(n.ID, id) || n.SSID != "Harbor Residents" || n.VLAN != 20 || !n.IsDPSK() || len(n.VenueApGroups) != 0 {
		t.Fatalf("queried network %+v", n)
	}
	got, err := e.c.WifiNetworks.Get(ctx, id)
	if err != nil || got.Name != "Harbor Residents" || got.SSID != "Harbor Residents" || got.VLAN != 20 || !got.IsDPSK() || !got.UseDPSKService {
		t.Fatalf("Get = %+v, %v", got, err)
	}

	acc, err := e.c.WifiNetworks.BindDPSKService(ctx, id, poolID)
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	if inv, _ := inventoryNetwork(e, id); !r1client.SameID(inv.DPSKPoolID, poolID) {
		t.Fatalf("bound pool %q, want %q", inv.DPSKPoolID, poolID)
	}

	acc, err = e.c.Venues.ActivateNetwork(ctx, v.ID, id, poolID)
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	n, _ = networkNamed(t, e.c, "Harbor Residents")
	if a, ok := n.ActiveOn(v.ID); !ok || !a.IsAllApGroups || len(a.APGroupIDs) != 3 {
		t.Fatalf("activation read back: %+v", n.VenueApGroups)
	}
	groups, err := e.c.Venues.QueryAPGroups(ctx, v.ID, 1, 10)
	if err != nil || groups.TotalCount != 3 || !groups.Last {
		t.Fatalf("AP groups: %+v, %v", groups, err)
	}
	for _, g := range groups.Items {
		if !slices.ContainsFunc(g.WifiNetworkIDs, func(x string) bool { return r1client.SameID(x, id) }) || !r1client.SameID(g.VenueID, v.ID) {
			t.Errorf("AP group %q does not carry the venue-wide network: %+v", g.Name, g)
		}
	}
	if names := []string{groups.Items[0].Name, groups.Items[1].Name, groups.Items[2].Name}; !slices.Equal(names, []string{"Default", "North", "South"}) ||
		!groups.Items[0].IsDefault {
		t.Fatalf("AP groups %v, want sorted by name with Default the default", names)
	}

	// The network cannot go while it is on the air.
	_, err = e.c.WifiNetworks.Delete(ctx, id)
	var ve *r1client.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "activated") {
		t.Fatalf("deleting an active network: %v, want a *ValidationError saying it is activated", err)
	}

	acc, err = e.c.Venues.DeactivateNetwork(ctx, v.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	_, err = e.c.Venues.DeactivateNetwork(ctx, v.ID, id)
	var nf *r1client.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("deactivating again: %v, want a *NotFoundError", err)
	}
	acc, err = e.c.WifiNetworks.Delete(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	if _, ok := networkNamed(t, e.c, "Harbor Residents"); ok {
		t.Fatal("the deleted network is still found")
	}
	if _, ok := inventoryNetwork(e, id); ok {
		t.Fatal("the deleted network is still in R1")
	}
	// With the network gone, the pool can go.
	acc, err = e.c.Pools.Delete(ctx, poolID)
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	st := e.sim.Stats()
	for _, op := range []string{"POST /wifiNetworks", "POST /wifiNetworks/query", "GET /wifiNetworks/{id}", "DELETE /wifiNetworks/{id}",
		r1sim.OpBindPool, r1sim.OpActivateNetwork, "DELETE /venues/{id}/wifiNetworks/{id}", "POST /venues/apGroups/query"} {
		if st.Calls[op] == 0 {
			t.Errorf("stats never counted %s: %v", op, st.Calls)
		}
	}
}

func TestCreateDPSKRefusesWhatR1WouldRefuseWithoutACall(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ok := r1client.DPSKNetwork{Name: "Résidence Étoile", SSID: "Résidence Étoile", VLAN: 4094}
	tests := []struct {
		name, field string
		mod         func(*r1client.DPSKNetwork)
	}{
		{"name too short", "name", func(n *r1client.DPSKNetwork) { n.Name = "x" }},
		{"name too long", "name", func(n *r1client.DPSKNetwork) { n.Name = strings.Repeat("n", 33) }},
		{"name with a backtick", "name", func(n *r1client.DPSKNetwork) { n.Name = "net`work" }},
		{"name with $(", "name", func(n *r1client.DPSKNetwork) { n.Name = "net$(x)" }},
		{"name with a leading space", "name", func(n *r1client.DPSKNetwork) { n.Name = " network" }},
		{"name on two lines", "name", func(n *r1client.DPSKNetwork) { n.Name = "net\nwork" }},
		{"SSID too short", "wlan.ssid", func(n *r1client.DPSKNetwork) { n.SSID = "s" }},
		{"SSID too long", "wlan.ssid", func(n *r1client.DPSKNetwork) { n.SSID = strings.Repeat("s", 33) }},
		{"SSID over 32 bytes", "wlan.ssid", func(n *r1client.DPSKNetwork) { n.SSID = strings.Repeat("é", 17) }},
		{"SSID with a tab", "wlan.ssid", func(n *r1client.DPSKNetwork) { n.SSID = "ss\tid" }},
		{"SSID with a trailing space", "wlan.ssid", func(n *r1client.DPSKNetwork) { n.SSID = "ssid " }},
		{"VLAN 4095", "wlan.vlanId", func(n *r1client.DPSKNetwork) { n.VLAN = 4095 }},
		{"long description", "description", func(n *r1client.DPSKNetwork) { n.Description = strings.Repeat("d", 257) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := ok
			tc.mod(&n)
			_, err := e.c.WifiNetworks.CreateDPSK(context.Background(), n)
			var ie *r1client.InvalidInputError
			if !errors.As(err, &ie) || ie.Field != tc.field || r1client.Retryable(err) {
				t.Fatalf("got %v, want a non-retryable *InvalidInputError on %s", err, tc.field)
			}
		})
	}
	if calls := e.sim.Stats().Calls["POST /wifiNetworks"]; calls != 0 {
		t.Fatalf("%d refused creates reached R1", calls)
	}
	// The limits themselves pass: 32 characters, 32 bytes, VLAN 4094, spaces inside.
	for _, n := range []r1client.DPSKNetwork{ok, {Name: strings.Repeat("n", 32), SSID: strings.Repeat("s", 32)}, {Name: "a b", SSID: "é é"}} {
		if acc, err := e.c.WifiNetworks.CreateDPSK(context.Background(), n); err != nil {
			t.Errorf("CreateDPSK(%q, %q): %v", n.Name, n.SSID, err)
		} else {
			mustSucceed(t, e.c, acc)
		}
	}
}

func TestNetworkQueriesPageFromOne(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	for i := 7; i >= 1; i-- {
		createDPSK(t, e, fmt.Sprintf("unit-%d", i))
	}
	var names []string
	for page := 1; ; page++ {
		p, err := e.c.WifiNetworks.Query(ctx, r1client.WifiNetworkQuery{Page: page, PageSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		if p.Page != page || p.TotalCount != 7 {
			t.Fatalf("page %d: %+v", page, p)
		}
		for _, n := range p.Items {
			names = append(names, n.Name)
		}
		if p.Last {
			break
		}
		if page > 3 {
			t.Fatal("never the last page")
		}
	}
	want := []string{"unit-1", "unit-2", "unit-3", "unit-4", "unit-5", "unit-6", "unit-7"}
	if !slices.Equal(names, want) {
		t.Fatalf("paged names %v, want %v (sorted by name, each once)", names, want)
	}
	// Filters narrow; R1 may match them loosely, so the caller checks equality.
	p, err := e.c.WifiNetworks.Query(ctx, r1client.WifiNetworkQuery{SSIDs: []string{"unit-1"}})
	if err != nil || len(p.Items) != 1 || p.Items[0].SSID != "unit-1" {
		t.Fatalf("by SSID: %+v, %v", p, err)
	}
	byID, err := e.c.WifiNetworks.Query(ctx, r1client.WifiNetworkQuery{IDs: []string{p.Items[0].ID, "no-such-id"}})
	if err != nil || len(byID.Items) != 1 || byID.Items[0].Name != "unit-1" {
		t.Fatalf("by id: %+v, %v", byID, err)
	}
	loose, err := e.c.WifiNetworks.Query(ctx, r1client.WifiNetworkQuery{Names: []string{"UNIT"}})
	if err != nil || loose.TotalCount != 7 {
		t.Fatalf("a loose name filter: %+v, %v", loose, err)
	}
}

func TestVenuesAreFoundByIDOrExactName(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	tower := seedVenue(t, e, r1sim.VenueSeed{Name: "Tower", City: "Austin", Country: "United States"})
	seedVenue(t, e, r1sim.VenueSeed{Name: "Tower Annex"})
	got, err := e.c.Venues.Get(ctx, tower.ID)
	if err != nil || got.Name != "Tower" || got.City != "Austin" || got.Country != "United States" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	p, err := e.c.Venues.Query(ctx, r1client.VenueQuery{Names: []string{"Tower"}})
	if err != nil || len(p.Items) != 2 {
		t.Fatalf("Query by name: %+v, %v (the simulator matches names loosely)", p, err)
	}
	v, err := r1client.VenueNamed(p.Items, "Tower")
	if err != nil || !r1client.SameID(v.ID, tower.ID) || v.City != "Austin" {
		t.Fatalf("VenueNamed = %+v, %v", v, err)
	}
	if _, err := r1client.VenueNamed(p.Items, "tower"); err == nil || !strings.Contains(err.Error(), "no R1 venue") {
		t.Fatalf("a name in other case: %v, want no match", err)
	}
	if _, err := r1client.VenueNamed(append(p.Items, p.Items[0]), "Tower"); err == nil || !strings.Contains(err.Error(), "2 R1 venues") {
		t.Fatalf("two venues of one name: %v", err)
	}
	_, err = e.c.Venues.Get(ctx, "no-such-venue")
	var nf *r1client.NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "Venue not found") {
		t.Fatalf("unknown venue: %v", err)
	}
}

func TestR1RefusesUnknownObjects(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	v := seedVenue(t, e, r1sim.VenueSeed{Name: "Refusals"})
	_, poolID := setup(t, e.c, "refusals", 8)
	id := createDPSK(t, e, "refusals-net")
	calls := map[string]func() error{
		"activation on an unknown venue":      func() error { _, err := e.c.Venues.ActivateNetwork(ctx, "no-venue", id, ""); return err },
		"activation of an unknown network":    func() error { _, err := e.c.Venues.ActivateNetwork(ctx, v.ID, "no-network", ""); return err },
		"activation with an unknown pool":     func() error { _, err := e.c.Venues.ActivateNetwork(ctx, v.ID, id, "no-pool"); return err },
		"binding an unknown pool":             func() error { _, err := e.c.WifiNetworks.BindDPSKService(ctx, id, "no-pool"); return err },
		"binding to an unknown network":       func() error { _, err := e.c.WifiNetworks.BindDPSKService(ctx, "no-network", poolID); return err },
		"deleting an unknown network":         func() error { _, err := e.c.WifiNetworks.Delete(ctx, "no-network"); return err },
		"getting an unknown network":          func() error { _, err := e.c.WifiNetworks.Get(ctx, "no-network"); return err },
		"deactivation of an unknown venue":    func() error { _, err := e.c.Venues.DeactivateNetwork(ctx, "no-venue", id); return err },
		"deactivation of an inactive network": func() error { _, err := e.c.Venues.DeactivateNetwork(ctx, v.ID, id); return err },
	}
	for name, call := range calls {
		err := call()
		var nf *r1client.NotFoundError
		if !errors.As(err, &nf) || nf.Message == "" && len(nf.SubErrors) == 0 {
			t.Errorf("%s: %v, want a *NotFoundError with R1's reason", name, err)
		}
	}
	// A pool a network is bound to cannot go before the network.
	mustSucceed(t, e.c, must(e.c.WifiNetworks.BindDPSKService(ctx, id, poolID)))
	_, err := e.c.Pools.Delete(ctx, poolID)
	var ve *r1client.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "refusals-net") {
		t.Fatalf("deleting a bound pool: %v, want a *ValidationError naming the network", err)
	}
	if inv := e.sim.Inventory(testTenant); len(inv.Pools) != 1 || len(inv.Networks) != 1 || inv.Networks[0].DPSKPoolID == "" {
		t.Fatalf("the refusals changed R1: %+v", inv)
	}
}

func must(acc r1client.Accepted, err error) r1client.Accepted {
	if err != nil {
		panic(err)
	}
	return acc
}

func TestIdentitiesAreDeletedInBulk(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	groupID, poolID := setup(t, e.c, "bulk", 8)
	for i := range 4 {
		mustSucceed(t, e.c, must(e.c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{
			Passphrase: fmt.Sprintf("bulk-passphrase-%d", i), Username: fmt.Sprintf("unit-%d", i)})))
	}
	ids, err := e.c.Identities.List(ctx, groupID, 0, 10)
	if err != nil || len(ids.Items) != 4 {
		t.Fatalf("identities: %+v, %v", ids, err)
	}
	acc, err := e.c.Identities.Delete(ctx, groupID, []string{ids.Items[0].ID, ids.Items[2].ID})
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	inv := e.sim.Inventory(testTenant)
	var left []string
	for _, i := range inv.IdentityGroups[0].Identities {
		left = append(left, i.Name)
	}
	if !slices.Equal(left, []string{"unit-1", "unit-3"}) {
		t.Fatalf("identities left %v, want unit-1 and unit-3", left)
	}
	if _, err := e.c.Identities.Delete(ctx, "no-such-group", []string{"x"}); err == nil {
		t.Fatal("deleting in an unknown group succeeded")
	}
	var ve *r1client.ValidationError
	if _, err := e.c.Identities.Delete(ctx, groupID, nil); !errors.As(err, &ve) {
		t.Fatalf("an empty id list: %v, want a *ValidationError", err)
	}
}

func TestFaultsAndTheRateLimitApplyToNetworkCalls(t *testing.T) {
	e := newEnv(t, r1sim.Options{Faults: r1sim.Faults{ServerErrorRate: 1}})
	_, err := e.c.WifiNetworks.Query(context.Background(), r1client.WifiNetworkQuery{})
	var se *r1client.ServerError
	if !errors.As(err, &se) || !r1client.Retryable(err) {
		t.Fatalf("query under server errors: %v", err)
	}
	e = newEnv(t, r1sim.Options{RateLimitPerMinute: 60, Burst: 1})
	v := seedVenue(t, e, r1sim.VenueSeed{Name: "Limited"})
	ctx := context.Background()
	if _, err := e.c.Venues.Get(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.Venues.QueryAPGroups(ctx, v.ID, 1, 10)
	var rl *r1client.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("second call in a second under 60/min: %v, want a *RateLimitError", err)
	}
	if st := e.sim.Stats(); st.RateLimited != 1 || st.Calls["GET /venues/{id}"] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// A lost answer to an activation: R1 applied it, the client retries, and
// (by default) R1 fails the retry as already activated. The network's state,
// read with a query, says what happened.
func TestALostActivationIsReadBackFromTheQuery(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	v := seedVenue(t, e, r1sim.VenueSeed{Name: "Lost"})
	id := createDPSK(t, e, "lost-activation")
	ops := []string{r1sim.OpActivateNetwork}
	rate, mode := 1.0, "502"
	if err := e.sim.Configure(r1sim.Settings{CommitThenFailRate: &rate, CommitThenFailMode: &mode, CommitThenFailOps: &ops}); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.Venues.ActivateNetwork(ctx, v.ID, id, "")
	if !r1client.Retryable(err) {
		t.Fatalf("lost answer: %v, want a retryable error", err)
	}
	rate = 0
	_ = e.sim.Configure(r1sim.Settings{CommitThenFailRate: &rate})
	acc, err := e.c.Venues.ActivateNetwork(ctx, v.ID, id, "")
	if err != nil {
		t.Fatal(err)
	}
	if a := waitActivity(t, e.c, acc.RequestID); !a.Failed() || !strings.Contains(a.FailureMessage(), "already activated") {
		t.Fatalf("retried activation: %+v, want FAIL already activated", a)
	}
	if n, _ := networkNamed(t, e.c, "lost-activation"); len(n.VenueApGroups) != 1 || !r1client.SameID(n.VenueApGroups[0].VenueID, v.ID) {
		t.Fatalf("the query shows %+v, want the network active on the venue once", n.VenueApGroups)
	}
	if e.sim.Stats().CommitThenFail != 1 {
		t.Fatal("the fault never fired")
	}
}
