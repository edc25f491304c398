package r1client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// visibility is the simulated time between a write's 202 and its visibility to reads.
const visibility = 10 * time.Second

// consistentEnv is a simulator whose writes show after visibility, on a fake
// clock the client shares.
func consistentEnv(t *testing.T, opts r1sim.Options) (*env, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	opts.Clock, opts.VisibilityDelay = clk.Now, visibility
	return newEnv(t, opts, func(c *r1client.Config) { c.Clock = clk.Now }), clk
}

// activityNow reads one activity; "" = not visible yet (404).
func activityNow(t *testing.T, c *r1client.Client, requestID string) r1client.Activity {
	t.Helper()
	a, err := c.Activities.Get(context.Background(), requestID)
	var nf *r1client.NotFoundError
	if errors.As(err, &nf) {
		return r1client.Activity{}
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// visibleSetup creates a group and a pool in it, letting fake time pass until reads show them.
func visibleSetup(t *testing.T, e *env, clk *fakeClock, name string) (groupID, poolID string) {
	t.Helper()
	ctx := context.Background()
	g, err := e.c.IdentityGroups.Create(ctx, name+"-group", "")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(visibility)
	p, err := e.c.Pools.Create(ctx, g.ID, r1client.Pool{Name: name, PassphraseFormat: "KEYBOARD_FRIENDLY", PassphraseLength: 8})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(visibility)
	for _, acc := range []r1client.Accepted{g, p} {
		if a := activityNow(t, e.c, acc.RequestID); a.Status != r1client.StatusSuccess {
			t.Fatalf("setup activity %+v", a)
		}
	}
	return g.ID, p.ID
}

func TestAWriteShowsExactlyWhenItsActivitySucceeds(t *testing.T) {
	e, clk := consistentEnv(t, r1sim.Options{ActivityNotFoundFor: time.Second, ActivityPendingFor: 2 * time.Second})
	ctx := context.Background()
	var groupID, poolID string
	requests := map[string]string{}
	found := map[string]func() bool{
		"group": func() bool { x, err := e.c.IdentityGroups.FindByName(ctx, "late-group"); return err == nil && x != nil },
		"pool":  func() bool { x, err := e.c.Pools.FindByName(ctx, "late-pool"); return err == nil && x != nil },
		"passphrase": func() bool {
			x, err := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{Usernames: []string{"late-user"}})
			return err == nil && len(x.Items) == 1
		},
	}
	seen := map[string]map[string]bool{}
	// Every 500 ms of fake time: the group is created at 0 s, its pool at 5 s,
	// a passphrase at 15 s; each activity is done exactly when reads find its object.
	for step := 0; step < 60; step++ {
		var acc r1client.Accepted
		var err error
		switch step {
		case 0:
			acc, err = e.c.IdentityGroups.Create(ctx, "late-group", "")
			groupID, requests["group"] = acc.ID, acc.RequestID
		case 10:
			acc, err = e.c.Pools.Create(ctx, groupID, r1client.Pool{Name: "late-pool", PassphraseFormat: "KEYBOARD_FRIENDLY", PassphraseLength: 8})
			poolID, requests["pool"] = acc.ID, acc.RequestID
		case 30:
			acc, err = e.c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{Passphrase: "late-passphrase", Username: "late-user"})
			requests["passphrase"] = acc.RequestID
		}
		if err != nil {
			t.Fatal(err)
		}
		for what, requestID := range requests {
			a := activityNow(t, e.c, requestID)
			if seen[what] == nil {
				seen[what] = map[string]bool{}
			}
			seen[what][a.Status] = true
			if shown := found[what](); a.Done() != shown {
				t.Fatalf("at +%s: %s activity %q but found in reads: %v", time.Duration(step)*visibility/20, what, a.Status, shown)
			}
		}
		clk.Advance(visibility / 20)
	}
	for _, what := range []string{"group", "pool", "passphrase"} {
		for _, st := range []string{"", r1client.StatusPending, r1client.StatusInProgress, r1client.StatusSuccess} {
			if !seen[what][st] {
				t.Errorf("%s activity never seen in status %q: %v", what, st, seen[what])
			}
		}
	}
}

func TestALostCreateShowsOnceAfterTheDelay(t *testing.T) {
	for _, mode := range []string{"502", "cut"} {
		t.Run(mode, func(t *testing.T) {
			e, clk := consistentEnv(t, r1sim.Options{})
			ctx := context.Background()
			_, poolID := visibleSetup(t, e, clk, "setup")
			fault := func(rate float64) {
				t.Helper()
				err := e.sim.Configure(r1sim.Settings{CommitThenFailRate: &rate, CommitThenFailMode: &mode, CommitThenFailOps: &[]string{"creates"}})
				if err != nil {
					t.Fatal(err)
				}
			}
			lost := func(err error) {
				t.Helper()
				if err == nil || !r1client.Retryable(err) {
					t.Fatalf("got %v, want a retryable error (the answer is lost)", err)
				}
			}
			countIn := func(names []string, name string) int {
				n := 0
				for _, x := range names {
					if x == name {
						n++
					}
				}
				return n
			}
			committed := func() (groups, pools, rows []string) {
				inv := e.sim.Inventory(testTenant)
				for _, g := range inv.IdentityGroups {
					groups = append(groups, g.Name)
				}
				for _, p := range inv.Pools {
					pools = append(pools, p.Name)
					for _, pp := range p.Passphrases {
						rows = append(rows, pp.Username)
					}
				}
				return
			}

			// Passphrase: committed, answer lost, invisible; the retry is accepted and fails as a duplicate.
			row := r1client.PassphraseCreate{Passphrase: "lost-answer-pass", Username: "lost-user", VLANID: 7}
			fault(1)
			_, err := e.c.Passphrases.Create(ctx, poolID, row)
			lost(err)
			fault(0)
			if _, _, rows := committed(); countIn(rows, "lost-user") != 1 {
				t.Fatalf("the create must be committed: %v", rows)
			}
			if p, err := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{Usernames: []string{"lost-user"}}); err != nil || len(p.Items) != 0 {
				t.Fatalf("the lost create must not show yet: %+v, %v", p, err)
			}
			retry, err := e.c.Passphrases.Create(ctx, poolID, row)
			if err != nil {
				t.Fatalf("the retried create must be accepted: %v", err)
			}
			if a := activityNow(t, e.c, retry.RequestID); a.Done() {
				t.Fatalf("the retry's activity finished before the delay: %+v", a)
			}

			// Group: the retry is refused at once (409), the name being taken.
			fault(1)
			_, err = e.c.IdentityGroups.Create(ctx, "lost-group", "")
			lost(err)
			fault(0)
			if g, err := e.c.IdentityGroups.FindByName(ctx, "lost-group"); err != nil || g != nil {
				t.Fatalf("the lost group must not show yet: %+v, %v", g, err)
			}
			var conflict *r1client.ConflictError
			if _, err := e.c.IdentityGroups.Create(ctx, "lost-group", ""); !errors.As(err, &conflict) {
				t.Fatalf("retried group create: %v, want a *ConflictError", err)
			}
			groups, _, _ := committed()
			if countIn(groups, "lost-group") != 1 {
				t.Fatalf("groups %v", groups)
			}
			lostGroupID := e.sim.Inventory(testTenant).IdentityGroups[1].ID

			// Pool: the retry on the same group is refused at once (409), the group having its pool.
			clk.Advance(visibility)
			pool := r1client.Pool{Name: "lost-pool", PassphraseFormat: "KEYBOARD_FRIENDLY", PassphraseLength: 8}
			fault(1)
			_, err = e.c.Pools.Create(ctx, lostGroupID, pool)
			lost(err)
			fault(0)
			if p, err := e.c.Pools.FindByName(ctx, "lost-pool"); err != nil || p != nil {
				t.Fatalf("the lost pool must not show yet: %+v, %v", p, err)
			}
			if _, err := e.c.Pools.Create(ctx, lostGroupID, pool); !errors.As(err, &conflict) {
				t.Fatalf("retried pool create: %v, want a *ConflictError", err)
			}

			clk.Advance(visibility)
			a := activityNow(t, e.c, retry.RequestID)
			if !a.Failed() || !strings.Contains(a.FailureMessage(), "already exists") {
				t.Fatalf("retried passphrase create: %+v (%s), want FAIL already exists", a, a.FailureMessage())
			}
			if p, err := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{Usernames: []string{"lost-user"}}); err != nil || len(p.Items) != 1 || p.Items[0].VLANID != 7 {
				t.Fatalf("after the delay the row shows once: %+v, %v", p, err)
			}
			if g, err := e.c.IdentityGroups.FindByName(ctx, "lost-group"); err != nil || g == nil {
				t.Fatalf("after the delay the group shows: %v", err)
			}
			if p, err := e.c.Pools.FindByName(ctx, "lost-pool"); err != nil || p == nil || !r1client.SameID(p.IdentityGroupID, lostGroupID) {
				t.Fatalf("after the delay the pool shows on its group: %+v, %v", p, err)
			}
			groups, pools, rows := committed()
			if countIn(groups, "lost-group") != 1 || countIn(pools, "lost-pool") != 1 || countIn(rows, "lost-user") != 1 {
				t.Fatalf("each lost create must exist once: %v %v %v", groups, pools, rows)
			}
			if st := e.sim.Stats(); st.CommitThenFail != 3 {
				t.Fatalf("commitThenFail = %d, want 3", st.CommitThenFail)
			}
		})
	}
}

func TestQueryByIDsReadsUpTo500ActivitiesInOneCall(t *testing.T) {
	e, clk := consistentEnv(t, r1sim.Options{ActivityNotFoundFor: time.Second, ActivityPendingFor: 2 * time.Second})
	ctx := context.Background()
	_, poolID := visibleSetup(t, e, clk, "bulk")
	create := func(i int) string {
		t.Helper()
		acc, err := e.c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{Passphrase: fmt.Sprintf("bulk-passphrase-%03d", i), Username: fmt.Sprintf("u%03d", i)})
		if err != nil {
			t.Fatal(err)
		}
		return acc.RequestID
	}
	var ids []string
	for i := 0; i < 299; i++ {
		ids = append(ids, create(i))
	}
	ids = append(ids, create(0)) // a duplicate: its activity fails
	clk.Advance(visibility / 2)
	for i := 300; i < 500; i++ {
		ids = append(ids, create(i))
	}
	query := func() map[string]r1client.Activity {
		t.Helper()
		before := e.sim.Stats().Calls["POST /activities/query"]
		p, err := e.c.Activities.QueryByIDs(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if calls := e.sim.Stats().Calls["POST /activities/query"] - before; calls != 1 {
			t.Fatalf("%d calls, want 1", calls)
		}
		if !p.Last || p.TotalCount != len(p.Items) {
			t.Fatalf("one page must hold every row: %d of %d, last %v", len(p.Items), p.TotalCount, p.Last)
		}
		out := map[string]r1client.Activity{}
		for _, a := range p.Items {
			out[a.RequestID] = a
		}
		return out
	}
	count := func(got map[string]r1client.Activity, from, to int, status string) int {
		n := 0
		for _, id := range ids[from:to] {
			if got[id].Status == status {
				n++
			}
		}
		return n
	}

	// Each activity: 404 for 1 s, then PENDING for the first half of the time
	// until its write shows (10 s after the 202), then INPROGRESS, then done.
	got := query()
	if len(got) != 300 || count(got, 0, 300, r1client.StatusPending) != 300 {
		t.Fatalf("at +5s: %d activities, %d of the first 300 PENDING; want the first 300 only", len(got), count(got, 0, 300, r1client.StatusPending))
	}
	clk.Advance(visibility / 2)
	got = query()
	if len(got) != 500 || count(got, 0, 299, r1client.StatusSuccess) != 299 || got[ids[299]].Status != r1client.StatusFail ||
		count(got, 300, 500, r1client.StatusPending) != 200 {
		t.Fatalf("at +10s: %d activities, want 299 SUCCESS, 1 FAIL, 200 PENDING", len(got))
	}
	if msg := got[ids[299]].FailureMessage(); !strings.Contains(msg, "already exists") {
		t.Fatalf("the duplicate's failure: %q", msg)
	}
	clk.Advance(2 * time.Second)
	if got = query(); count(got, 300, 500, r1client.StatusInProgress) != 200 {
		t.Fatalf("at +12s: %d of the last 200 INPROGRESS", count(got, 300, 500, r1client.StatusInProgress))
	}
	clk.Advance(3 * time.Second)
	if got = query(); len(got) != 500 || count(got, 300, 500, r1client.StatusSuccess) != 200 {
		t.Fatalf("at +15s: %d of the last 200 SUCCESS", count(got, 300, 500, r1client.StatusSuccess))
	}

	// Ids R1 does not know are simply absent; no ids, no call; more than 500, a refusal without a call.
	p, err := e.c.Activities.QueryByIDs(ctx, []string{"unknown-request", ids[0]})
	if err != nil || len(p.Items) != 1 || p.Items[0].RequestID != ids[0] {
		t.Fatalf("an unknown id: %+v, %v", p, err)
	}
	before := e.sim.Stats().Calls["POST /activities/query"]
	if p, err := e.c.Activities.QueryByIDs(ctx, nil); err != nil || len(p.Items) != 0 || !p.Last {
		t.Fatalf("no ids: %+v, %v", p, err)
	}
	if _, err := e.c.Activities.QueryByIDs(ctx, append(ids, "one-too-many")); err == nil || !strings.Contains(err.Error(), "at most 500") {
		t.Fatalf("501 ids: %v, want a refusal", err)
	}
	if _, err := e.c.Activities.QueryByIDs(ctx, []string{""}); err == nil {
		t.Fatal("an empty id must be refused")
	}
	if after := e.sim.Stats().Calls["POST /activities/query"]; after != before {
		t.Fatalf("refused queries made %d calls", after-before)
	}
}
