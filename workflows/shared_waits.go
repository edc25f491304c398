package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// Shared waits: the migration reads R1's asynchronous activities for all its
// pools at once. A pool tells the migration the request ids of its writes; the
// migration reads up to 500 of them in one R1 query and tells each pool what
// R1 answered. Confirming a passphrase then costs a five-hundredth of a call
// instead of a share of a read per pool, and a pool's setup wait shares its
// read with the other pools waiting at that moment.
//
// Urgent ids (a pool that cannot go on without the answer, or the last pools
// of the run) are read as soon as R1 can have done them; the others are read
// once a full query's worth is due, or when the oldest has waited lazyGrace.
const (
	R1WaitSignal   = "r1-wait"   // pool → migration: R1Wait
	R1WaitedSignal = "r1-waited" // migration → pool: R1Waited
	PoolSentSignal = "pool-sent" // pool → migration: its key, once every write is sent

	sharedFirstRead   = 2 * time.Second  // R1 rarely finishes sooner
	urgentMaxDelay    = 10 * time.Second // between reads of an urgent id
	lazyMaxDelay      = 30 * time.Second // ... of any other id
	lazyGrace         = 10 * time.Second // a due id waits at most this for a fuller query
	sharedWaitsPerRun = 50_000           // ids tracked at once; beyond, pools read for themselves
)

// R1Wait asks the migration to read R1 activities for a pool (or, with Drop,
// to stop).
type R1Wait struct {
	Pool   string   `json:"pool"` // the pool's key
	IDs    []string `json:"ids,omitempty"`
	Urgent bool     `json:"urgent,omitempty"` // the pool waits on them before it goes on
	Drop   []string `json:"drop,omitempty"`   // settled otherwise: stop reading them
}

// R1Waited is what R1 answered about some of a pool's ids, each finished
// (succeeded or failed).
type R1Waited struct {
	Activities []activities.R1ActivityStatus `json:"activities"`
}

type sharedWait struct {
	id, pool string
	next     time.Time // due
	reads    int
	urgent   bool
}

// sharedWaits is the migration's side.
type sharedWaits struct {
	m        *migration
	waits    []sharedWait    // in order of registration
	draining map[string]bool // pools that have sent everything
	released map[string]bool // ... and gave their slot to the next pool
	allDue   bool            // no pool is left to start in this run
	// hurryTail (changeHurryTail): a pool's ids become due at once when it
	// turns urgent, and the reader hears of it (kick).
	hurryTail bool
	kick      workflow.Channel
}

func newSharedWaits(m *migration) *sharedWaits {
	return &sharedWaits{m: m, draining: map[string]bool{}, released: map[string]bool{}}
}

// serve takes the pools' requests and reads R1 when reads are due, until ctx ends.
func (sw *sharedWaits) serve(ctx workflow.Context) {
	requests := workflow.GetSignalChannel(ctx, R1WaitSignal)
	if sw.hurryTail {
		sw.kick = workflow.NewBufferedChannel(ctx, 1)
	}
	var timer workflow.Future
	var timerAt time.Time
	var cancelTimer workflow.CancelFunc
	for ctx.Err() == nil {
		for {
			var r R1Wait
			if !requests.ReceiveAsync(&r) {
				break
			}
			sw.add(ctx, r)
		}
		now := workflow.Now(ctx)
		at, ok := sw.nextRead(now)
		if ok && !at.After(now) {
			sw.m.awaitRunning(ctx) // paused: no R1 read
			if ctx.Err() != nil {
				return
			}
			sw.read(ctx)
			continue
		}
		if timer != nil && (!ok || !at.Equal(timerAt)) {
			cancelTimer()
			timer = nil
		}
		if ok && timer == nil {
			tctx, cancel := workflow.WithCancel(ctx)
			timer, timerAt, cancelTimer = workflow.NewTimer(tctx, at.Sub(now)), at, cancel
		}
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(requests, func(c workflow.ReceiveChannel, _ bool) {
			var r R1Wait
			c.Receive(ctx, &r)
			sw.add(ctx, r)
		})
		if timer != nil {
			sel.AddFuture(timer, func(workflow.Future) { timer = nil })
		}
		if sw.kick != nil {
			sel.AddReceive(sw.kick, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		}
		sel.Select(ctx)
	}
}

// hurry makes the waits that just turned urgent (pool's, or with pool ""
// every draining pool's) due within a second, however far a lazy schedule had
// put them: at the end of a run nobody else is spending the budget, and every
// second the last rows wait is a second of budget lost.
func (sw *sharedWaits) hurry(ctx workflow.Context, pool string) {
	if !sw.hurryTail {
		return
	}
	soon := workflow.Now(ctx).Add(time.Second)
	for i := range sw.waits {
		w := &sw.waits[i]
		if (w.pool == pool || (pool == "" && sw.draining[w.pool])) && sw.isUrgent(w) && w.next.After(soon) {
			w.next = soon
		}
	}
	if sw.kick != nil {
		sw.kick.SendAsync(nil)
	}
}

func (sw *sharedWaits) add(ctx workflow.Context, r R1Wait) {
	if len(r.Drop) > 0 {
		sw.waits = slices.DeleteFunc(sw.waits, func(w sharedWait) bool { return w.pool == r.Pool && slices.Contains(r.Drop, w.id) })
	}
	now := workflow.Now(ctx)
	for _, id := range r.IDs {
		if i := slices.IndexFunc(sw.waits, func(w sharedWait) bool { return w.id == id }); i >= 0 {
			sw.waits[i].urgent = sw.waits[i].urgent || r.Urgent
			continue
		}
		if len(sw.waits) >= sharedWaitsPerRun {
			// Bounded state: the pool hears nothing and reads for itself at its deadline.
			continue
		}
		sw.waits = append(sw.waits, sharedWait{id: id, pool: r.Pool, next: now.Add(sharedFirstRead), urgent: r.Urgent})
	}
}

// isUrgent: the pool cannot go on without the answer, or has sent everything
// and either holds its slot or is among the run's last pools.
func (sw *sharedWaits) isUrgent(w *sharedWait) bool {
	return w.urgent || (sw.draining[w.pool] && (sw.allDue || !sw.released[w.pool]))
}

// nextRead is when the next R1 read is due (ok false: nothing to read).
func (sw *sharedWaits) nextRead(now time.Time) (time.Time, bool) {
	var at time.Time
	due := 0
	for i := range sw.waits {
		w := &sw.waits[i]
		t := w.next
		if !sw.isUrgent(w) {
			if !w.next.After(now) {
				due++
			}
			t = w.next.Add(lazyGrace)
		}
		if at.IsZero() || t.Before(at) {
			at = t
		}
	}
	if due >= activities.MaxActivitiesPerRead {
		return now, true
	}
	return at, !at.IsZero()
}

// read asks R1 about up to 500 ids, due urgent ones first, then due others,
// then, to fill the query, ids not due yet that R1 may have finished: ids read
// together keep the same schedule, so later reads stay few and full.
func (sw *sharedWaits) read(ctx workflow.Context) {
	now := workflow.Now(ctx)
	var urgent, lazy, ahead []int
	for i := range sw.waits {
		w := &sw.waits[i]
		switch {
		case w.next.After(now):
			if w.reads > 0 || !w.next.After(now.Add(sharedFirstRead/2)) {
				ahead = append(ahead, i)
			}
		case sw.isUrgent(w):
			urgent = append(urgent, i)
		default:
			lazy = append(lazy, i)
		}
	}
	slices.SortStableFunc(ahead, func(x, y int) int { return sw.waits[x].next.Compare(sw.waits[y].next) })
	picked := append(append(urgent, lazy...), ahead...)
	picked = picked[:min(len(picked), activities.MaxActivitiesPerRead)]
	ids := make([]string, len(picked))
	for n, i := range picked {
		ids[n] = sw.waits[i].id
	}
	in := activities.R1ActivitiesInput{RequestIDs: ids, Export: new(sw.m.exportInput())}
	var res activities.R1ActivitiesResult
	err := workflow.ExecuteActivity(r1Context(ctx, sw.m.in.ActivityTimeout), a.ReadR1Activities, in).Get(ctx, &res)
	finished := map[string]activities.R1ActivityStatus{}
	if err == nil {
		for _, st := range res.Activities {
			if st.Succeeded || st.Failed {
				finished[st.RequestID] = st
			}
		}
	}
	now = workflow.Now(ctx)
	answers := map[string][]activities.R1ActivityStatus{}
	var order []string
	for _, i := range picked {
		w := &sw.waits[i]
		if st, ok := finished[w.id]; ok {
			if answers[w.pool] == nil {
				order = append(order, w.pool)
			}
			answers[w.pool] = append(answers[w.pool], st)
			continue
		}
		w.reads++
		limit := lazyMaxDelay
		if sw.isUrgent(w) {
			limit = urgentMaxDelay // someone waits: 2, 4, 8, then every 10 s
		}
		w.next = now.Add(min(sharedFirstRead<<min(w.reads-1, 5), limit))
	}
	sw.waits = slices.DeleteFunc(sw.waits, func(w sharedWait) bool { _, done := finished[w.id]; return done })
	sw.answer(ctx, order, answers)
}

// answer signals each pool its finished ids, all signals at once.
func (sw *sharedWaits) answer(ctx workflow.Context, order []string, answers map[string][]activities.R1ActivityStatus) {
	parentID := workflow.GetInfo(ctx).WorkflowExecution.ID
	futures := make([]workflow.Future, 0, len(order))
	for _, pool := range order {
		futures = append(futures, workflow.SignalExternalWorkflow(ctx, ChildWorkflowID(parentID, pool), "", R1WaitedSignal, R1Waited{Activities: answers[pool]}))
	}
	for _, f := range futures {
		_ = f.Get(ctx, nil) // a pool that has ended needs no answer
	}
}

// poolEnded forgets a finished pool's ids.
func (sw *sharedWaits) poolEnded(pool string) {
	sw.waits = slices.DeleteFunc(sw.waits, func(w sharedWait) bool { return w.pool == pool })
	delete(sw.draining, pool)
	delete(sw.released, pool)
}
