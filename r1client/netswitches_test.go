package r1client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// The simulator's switches for what the contract does not establish
// (NETWORK_ACTIVATION.md §12): each behaviour as the client sees it.

func TestActivatingAnActiveNetworkPerSwitch(t *testing.T) {
	for _, tc := range []struct {
		answer, wording string
		wantFail        bool
		wantText        string // in the failure
	}{
		{"fail", "a", true, "already activated"},
		{"fail", "b", true, "already has"},
		{"success", "a", false, ""},
	} {
		t.Run(tc.answer+"/"+tc.wording, func(t *testing.T) {
			e := newEnv(t, r1sim.Options{Networks: r1sim.NetworkBehaviour{AlreadyActive: tc.answer, Wording: tc.wording}})
			ctx := context.Background()
			v := seedVenue(t, e, r1sim.VenueSeed{Name: "Twice"})
			id := createDPSK(t, e, "twice-net")
			mustSucceed(t, e.c, must(e.c.Venues.ActivateNetwork(ctx, v.ID, id, "")))
			acc, err := e.c.Venues.ActivateNetwork(ctx, v.ID, id, "")
			if err != nil {
				t.Fatal(err)
			}
			a := waitActivity(t, e.c, acc.RequestID)
			if a.Failed() != tc.wantFail || !strings.Contains(a.FailureMessage(), tc.wantText) {
				t.Fatalf("second activation: %s %q, want failed=%v with %q", a.Status, a.FailureMessage(), tc.wantFail, tc.wantText)
			}
			if tc.wording == "b" && strings.Contains(a.FailureMessage(), "already activated") {
				t.Fatalf("wording b must not say %q: %q", "already activated", a.FailureMessage())
			}
			if n, _ := inventoryNetwork(e, id); len(n.Activations) != 1 || !n.Activations[0].IsAllApGroups {
				t.Fatalf("activations %+v, want one, venue-wide", n.Activations)
			}
		})
	}
}

func TestDuplicateNamesAndSSIDsPerSwitch(t *testing.T) {
	for _, answer := range []string{"async", "conflict"} {
		for _, wording := range []string{"a", "b"} {
			for _, clash := range []string{"name", "ssid"} {
				t.Run(answer+"/"+wording+"/"+clash, func(t *testing.T) {
					e := newEnv(t, r1sim.Options{Networks: r1sim.NetworkBehaviour{Duplicate: answer, Wording: wording}})
					createDPSK(t, e, "taken")
					dup := r1client.DPSKNetwork{Name: "taken", SSID: "free"}
					if clash == "ssid" {
						dup = r1client.DPSKNetwork{Name: "free", SSID: "taken"}
					}
					acc, err := e.c.WifiNetworks.CreateDPSK(context.Background(), dup)
					switch answer {
					case "conflict":
						var ce *r1client.ConflictError
						if !errors.As(err, &ce) || ce.StatusCode != 409 || r1client.Retryable(err) {
							t.Fatalf("duplicate %s: %v, want a 409 *ConflictError", clash, err)
						}
					case "async":
						if err != nil || acc.ID == "" {
							t.Fatalf("duplicate %s: %+v, %v, want a 202 with a would-be id", clash, acc, err)
						}
						a := waitActivity(t, e.c, acc.RequestID)
						if !a.Failed() || !strings.Contains(strings.ToLower(a.FailureMessage()), clash) {
							t.Fatalf("duplicate %s: %s %q", clash, a.Status, a.FailureMessage())
						}
						// Only wording a says it in words the client recognises.
						if a.Duplicate() != (wording == "a") {
							t.Fatalf("Duplicate() = %v for %q", a.Duplicate(), a.FailureMessage())
						}
					}
					if n := len(e.sim.Inventory(testTenant).Networks); n != 1 {
						t.Fatalf("%d networks, want the first only", n)
					}
				})
			}
		}
	}
}

func TestRebindingAPoolPerSwitch(t *testing.T) {
	for _, answer := range []string{"replace", "refuse"} {
		t.Run(answer, func(t *testing.T) {
			e := newEnv(t, r1sim.Options{Networks: r1sim.NetworkBehaviour{Rebind: answer}})
			ctx := context.Background()
			_, first := setup(t, e.c, "first", 8)
			_, second := setup(t, e.c, "second", 8)
			id := createDPSK(t, e, "rebound")
			mustSucceed(t, e.c, must(e.c.WifiNetworks.BindDPSKService(ctx, id, first)))
			mustSucceed(t, e.c, must(e.c.WifiNetworks.BindDPSKService(ctx, id, first))) // the same pool again: fine
			a := waitActivity(t, e.c, must(e.c.WifiNetworks.BindDPSKService(ctx, id, second)).RequestID)
			want := second
			if answer == "refuse" {
				want = first
				if !a.Failed() || !strings.Contains(a.FailureMessage(), "already bound") {
					t.Fatalf("rebinding: %s %q, want FAIL already bound", a.Status, a.FailureMessage())
				}
			} else if a.Failed() {
				t.Fatalf("rebinding: %q", a.FailureMessage())
			}
			if n, _ := inventoryNetwork(e, id); !r1client.SameID(n.DPSKPoolID, want) {
				t.Fatalf("bound pool %s, want %s", n.DPSKPoolID, want)
			}
		})
	}
}

func TestTheBoundPoolShowsOnlyWhenExposed(t *testing.T) {
	for _, exposed := range []bool{false, true} {
		e := newEnv(t, r1sim.Options{Networks: r1sim.NetworkBehaviour{ExposePool: exposed, StaleGet: "current"}})
		ctx := context.Background()
		_, poolID := setup(t, e.c, "shown", 8)
		id := createDPSK(t, e, "shown-net")
		mustSucceed(t, e.c, must(e.c.WifiNetworks.BindDPSKService(ctx, id, poolID)))
		q, _ := networkNamed(t, e.c, "shown-net")
		g, err := e.c.WifiNetworks.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := ""
		if exposed {
			want = poolID
		}
		if q.DPSKPoolID != want || g.DPSKPoolID != want {
			t.Fatalf("exposed=%v: query %q, get %q, want %q", exposed, q.DPSKPoolID, g.DPSKPoolID, want)
		}
	}
}

func TestTheSSIDLimitPerSwitch(t *testing.T) {
	for _, tc := range []struct{ refusal, wording string }{{"sync", "a"}, {"sync", "b"}, {"async", "a"}, {"async", "b"}} {
		t.Run(tc.refusal+"/"+tc.wording, func(t *testing.T) {
			e := newEnv(t, r1sim.Options{Networks: r1sim.NetworkBehaviour{LimitRefusal: tc.refusal, Wording: tc.wording, SSIDLimit: 4}})
			ctx := context.Background()
			// Two venue-wide networks and one on "Gym" only: Gym is one below 4.
			v := seedVenue(t, e, r1sim.VenueSeed{Name: "Club", APGroups: []string{"Gym", "Pool"}, VenueWideNetworks: 2})
			if _, err := e.sim.AddNetwork(testTenant, r1sim.NetworkSeed{Name: "gym-psk", SSID: "gym", VenueID: v.ID,
				APGroupIDs: []string{v.APGroups[1].ID}}); err != nil {
				t.Fatal(err)
			}
			groups, err := e.c.Venues.QueryAPGroups(ctx, v.ID, 1, 10)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			for _, g := range groups.Items {
				counts[g.Name] = len(g.WifiNetworkIDs)
			}
			if counts["Default"] != 2 || counts["Gym"] != 3 || counts["Pool"] != 2 {
				t.Fatalf("SSIDs per AP group before: %v", counts)
			}
			mustSucceed(t, e.c, must(e.c.Venues.ActivateNetwork(ctx, v.ID, createDPSK(t, e, "fits"), "")))
			over := createDPSK(t, e, "over")
			acc, err := e.c.Venues.ActivateNetwork(ctx, v.ID, over, "")
			var text string
			if tc.refusal == "sync" {
				var ve *r1client.ValidationError
				if !errors.As(err, &ve) || ve.StatusCode != 422 {
					t.Fatalf("activation past the limit: %v, want a 422 *ValidationError", err)
				}
				text = err.Error()
			} else {
				if err != nil {
					t.Fatal(err)
				}
				a := waitActivity(t, e.c, acc.RequestID)
				if !a.Failed() {
					t.Fatalf("activation past the limit: %s", a.Status)
				}
				text = a.FailureMessage()
			}
			if !strings.Contains(text, "4") || !strings.Contains(text, "Gym") {
				t.Fatalf("the refusal %q names neither the limit nor the AP group", text)
			}
			if n, _ := networkNamed(t, e.c, "over"); len(n.VenueApGroups) != 0 {
				t.Fatalf("the refused network is on the air: %+v", n.VenueApGroups)
			}
		})
	}
}

func TestStaleGetAgainstTheCurrentQuery(t *testing.T) {
	for _, mode := range []string{"frozen", "lag", "current"} {
		t.Run(mode, func(t *testing.T) {
			clk := newFakeClock()
			e := newEnv(t, r1sim.Options{Clock: clk.Now, Networks: r1sim.NetworkBehaviour{StaleGet: mode, StaleGetLag: time.Minute}},
				func(c *r1client.Config) { c.Clock = clk.Now })
			ctx := context.Background()
			v := seedVenue(t, e, r1sim.VenueSeed{Name: "Stale"})
			id := createDPSK(t, e, "stale-net")
			mustSucceed(t, e.c, must(e.c.Venues.ActivateNetwork(ctx, v.ID, id, "")))
			q, _ := networkNamed(t, e.c, "stale-net")
			if _, ok := q.ActiveOn(v.ID); !ok {
				t.Fatalf("the query must be current: %+v", q.VenueApGroups)
			}
			activeInGet := func() bool {
				g, err := e.c.WifiNetworks.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				_, ok := g.ActiveOn(v.ID)
				return ok
			}
			now := activeInGet()
			clk.Advance(time.Minute)
			later := activeInGet()
			clk.Advance(time.Hour)
			muchLater := activeInGet()
			want := map[string][3]bool{"frozen": {false, false, false}, "lag": {false, true, true}, "current": {true, true, true}}[mode]
			if got := [3]bool{now, later, muchLater}; got != want {
				t.Fatalf("GET shows the activation at once, after a minute, after an hour: %v, want %v", got, want)
			}
			if mode != "current" && e.sim.Stats().StaleReads == 0 {
				t.Fatal("stale GETs are not counted as stale reads")
			}
		})
	}
}

// With R1's eventual consistency, a network, its activation and its
// deletion show in reads only after the visibility delay, and their
// activities complete exactly then.
func TestNetworkWritesShowWhenTheirActivitiesSucceed(t *testing.T) {
	e, clk := consistentEnv(t, r1sim.Options{Networks: r1sim.NetworkBehaviour{StaleGet: "current"}})
	ctx := context.Background()
	v := seedVenue(t, e, r1sim.VenueSeed{Name: "Eventual", APGroups: []string{"Wing"}})
	step := func(what string, acc r1client.Accepted, shown func() bool) {
		t.Helper()
		for i := 0; i < 4; i++ {
			if activityNow(t, e.c, acc.RequestID).Done() || shown() {
				t.Fatalf("%s shows or finishes before the delay (step %d)", what, i)
			}
			clk.Advance(visibility / 4)
		}
		if a := activityNow(t, e.c, acc.RequestID); a.Status != r1client.StatusSuccess || !shown() {
			t.Fatalf("%s after the delay: activity %q, shown %v", what, a.Status, shown())
		}
	}
	acc, err := e.c.WifiNetworks.CreateDPSK(ctx, r1client.DPSKNetwork{Name: "late-net", SSID: "late-net"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.ID
	step("the network", acc, func() bool {
		_, inQuery := networkNamed(t, e.c, "late-net")
		_, err := e.c.WifiNetworks.Get(ctx, id)
		if inQuery != (err == nil) {
			t.Fatalf("query (%v) and GET (%v) disagree", inQuery, err)
		}
		return inQuery
	})
	onAir := func() bool {
		n, _ := networkNamed(t, e.c, "late-net")
		_, active := n.ActiveOn(v.ID)
		groups, err := e.c.Venues.QueryAPGroups(ctx, v.ID, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups.Items {
			if (len(g.WifiNetworkIDs) == 1) != active {
				t.Fatalf("AP group %s (%v) and network (%v) disagree", g.Name, g.WifiNetworkIDs, active)
			}
		}
		return active
	}
	step("the activation", must(e.c.Venues.ActivateNetwork(ctx, v.ID, id, "")), onAir)
	step("the deactivation", must(e.c.Venues.DeactivateNetwork(ctx, v.ID, id)), func() bool { return !onAir() })
	step("the delete", must(e.c.WifiNetworks.Delete(ctx, id)), func() bool {
		_, inQuery := networkNamed(t, e.c, "late-net")
		return !inQuery
	})
}
