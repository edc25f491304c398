package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"
)

// Venue turns: pools running in parallel activate their networks on a venue
// one at a time, so two of them never race for the venue's last SSID slot.
// The migration hands out the turns; a pool asks by signal and is answered by
// signal, and gives its turn back when done (or when it ends).
const (
	VenueTurnSignal    = "venue-turn"    // pool → migration: VenueTurn
	VenueGrantedSignal = "venue-granted" // migration → pool: the venue id
)

// VenueTurn asks for (or, with Release, gives back) a venue's turn.
type VenueTurn struct {
	Venue   string `json:"venue"`
	Pool    string `json:"pool"` // the pool's key
	Release bool   `json:"release,omitempty"`
}

// takeVenueTurn waits for the venue's turn and returns how to give it back. A
// pool started on its own needs no turn.
func (p *poolRun) takeVenueTurn(ctx workflow.Context, venue string) (func(), error) {
	if p.parentID == "" {
		return func() {}, nil
	}
	ask := func(release bool) error {
		return workflow.SignalExternalWorkflow(ctx, p.parentID, "", VenueTurnSignal, VenueTurn{Venue: venue, Pool: p.in.Pool.Key, Release: release}).Get(ctx, nil)
	}
	if err := ask(false); err != nil {
		return nil, err
	}
	p.setPhase(ctx, "waiting for the venue's turn")
	granted := workflow.GetSignalChannel(ctx, VenueGrantedSignal)
	for {
		var v string
		if !granted.Receive(ctx, &v) {
			return nil, ctx.Err()
		}
		if v == venue {
			break // an older grant (of a turn given up) is ignored
		}
	}
	return func() {
		dctx, _ := workflow.NewDisconnectedContext(ctx) // given back even when cancelled
		_ = workflow.SignalExternalWorkflow(dctx, p.parentID, "", VenueTurnSignal, VenueTurn{Venue: venue, Pool: p.in.Pool.Key, Release: true}).Get(dctx, nil)
	}, nil
}

// venueTurns is the migration's side: per venue, who holds the turn and who waits.
type venueTurns struct {
	parentID string
	holder   map[string]string   // venue → pool key
	waiting  map[string][]string // venue → pool keys, first come first served
}

func newVenueTurns(parentID string) *venueTurns {
	return &venueTurns{parentID: parentID, holder: map[string]string{}, waiting: map[string][]string{}}
}

// serve answers the pools' requests until ctx ends.
func (vt *venueTurns) serve(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, VenueTurnSignal)
	for {
		var t VenueTurn
		if !ch.Receive(ctx, &t) {
			return
		}
		if t.Release {
			vt.release(ctx, t.Venue, t.Pool)
			continue
		}
		if vt.holder[t.Venue] == "" {
			vt.grant(ctx, t.Venue, t.Pool)
		} else if !slices.Contains(vt.waiting[t.Venue], t.Pool) && vt.holder[t.Venue] != t.Pool {
			vt.waiting[t.Venue] = append(vt.waiting[t.Venue], t.Pool)
		}
	}
}

func (vt *venueTurns) grant(ctx workflow.Context, venue, pool string) {
	vt.holder[venue] = pool
	_ = workflow.SignalExternalWorkflow(ctx, ChildWorkflowID(vt.parentID, pool), "", VenueGrantedSignal, venue).Get(ctx, nil)
}

func (vt *venueTurns) release(ctx workflow.Context, venue, pool string) {
	if vt.holder[venue] != pool {
		vt.waiting[venue] = slices.DeleteFunc(vt.waiting[venue], func(k string) bool { return k == pool })
		return
	}
	delete(vt.holder, venue)
	if next := vt.waiting[venue]; len(next) > 0 {
		vt.waiting[venue] = next[1:]
		vt.grant(ctx, venue, next[0])
	}
}

// poolEnded gives back every turn a finished pool held or waited for.
func (vt *venueTurns) poolEnded(ctx workflow.Context, pool string) {
	var held []string
	for venue, holder := range vt.holder {
		if holder == pool {
			held = append(held, venue)
		}
	}
	slices.Sort(held) // map order is random; workflow code must not be
	for _, venue := range held {
		vt.release(ctx, venue, pool)
	}
	for venue := range vt.waiting {
		vt.waiting[venue] = slices.DeleteFunc(vt.waiting[venue], func(k string) bool { return k == pool })
	}
}
