package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// The pool's side of the migration's shared waits (shared_waits.go). The
// pool registers the request id of every write R1 accepts; the migration
// answers with what R1 did, which settles the pending row (or a setup wait).
// Rows whose answer was lost, R1 refused as duplicates, or that no answer
// settles within sharedFallbackAfter are read from R1 by the pool itself, as
// a pool on its own reads all of them.
const (
	waitBatch           = 100             // ids per registration while sending
	sharedFallbackAfter = 2 * time.Minute // then the pool reads the row itself (sooner with a shorter confirm deadline)
)

// shared reports whether the migration reads the pool's R1 activities.
func (p *poolRun) shared() bool { return p.in.SharedWaits && p.parentID != "" }

// listenForWaits takes the migration's answers. A run continued as new
// registers the writes it carries again (the migration ignores ids it has).
func (p *poolRun) listenForWaits(ctx workflow.Context) {
	if !p.shared() {
		return
	}
	p.answers = map[string]activities.R1ActivityStatus{}
	ch := workflow.GetSignalChannel(ctx, R1WaitedSignal)
	p.waitedCh = ch
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var w R1Waited
			if !ch.Receive(gctx, &w) {
				return
			}
			for _, st := range w.Activities {
				p.onActivity(st)
			}
		}
	})
	for _, r := range p.st.Pending {
		if r.RequestID != "" && r.Duplicate == "" {
			p.unregistered = append(p.unregistered, r.RequestID)
		}
	}
}

// onActivity settles the pending row R1's activity is about.
func (p *poolRun) onActivity(st activities.R1ActivityStatus) {
	i := slices.IndexFunc(p.st.Pending, func(r PendingRow) bool { return r.RequestID == st.RequestID })
	if i < 0 {
		p.answers[st.RequestID] = st // a setup wait
		return
	}
	r := p.st.Pending[i]
	switch {
	case st.Succeeded && r.Patch:
		p.st.Record.Rows.Patch(r.Row, r.VLANID)
	case st.Succeeded:
		p.st.Record.Rows.Created.Add(r.Row)
	case st.Duplicate:
		// A retried create met our own earlier one: what R1 holds decides.
		p.st.Pending[i].Duplicate, p.st.Pending[i].Explained = st.Message, true
		return
	default:
		p.fail(r.RowRef, "R1 refused the passphrase: "+st.Message)
	}
	p.st.Pending = slices.Delete(p.st.Pending, i, i+1)
}

// register tells the migration about accepted writes: in batches while
// rows are being sent, all of them when all is set.
func (p *poolRun) register(ctx workflow.Context, all bool) {
	if !p.shared() || len(p.unregistered) == 0 || (!all && len(p.unregistered) < waitBatch) {
		return
	}
	ids := p.unregistered
	p.unregistered = nil
	f := workflow.SignalExternalWorkflow(ctx, p.parentID, "", R1WaitSignal, R1Wait{Pool: p.in.Pool.Key, IDs: ids})
	if all {
		_ = f.Get(ctx, nil) // before the run ends or waits for the answers
		return
	}
	// While sending, not waited for: the rows keep going out while it travels.
	workflow.Go(ctx, func(gctx workflow.Context) { _ = f.Get(gctx, nil) })
}

// tellSent tells the migration every write is sent: it may give the pool's
// slot to the next pool when nothing but confirmations is left (no policy set
// or network step follows), or else reads the pool's confirmations first.
func (p *poolRun) tellSent(ctx workflow.Context) {
	if !p.shared() || p.sentAll {
		return
	}
	p.sentAll = true
	p.register(ctx, true)
	if p.in.PolicySetName == "" && p.in.Pool.Network == nil {
		p.signalParent(ctx, PoolSentSignal, p.in.Pool.Key)
	} else {
		p.signalParent(ctx, R1WaitSignal, R1Wait{Pool: p.in.Pool.Key, IDs: p.pendingIDs(), Urgent: true})
	}
}

func (p *poolRun) pendingIDs() []string {
	var ids []string
	for _, r := range p.st.Pending {
		if r.RequestID != "" && r.Duplicate == "" {
			ids = append(ids, r.RequestID)
		}
	}
	return ids
}

func (p *poolRun) signalParent(ctx workflow.Context, name string, arg any) {
	// A migration that is gone answers nothing: the rows are read at their deadline.
	_ = workflow.SignalExternalWorkflow(ctx, p.parentID, "", name, arg).Get(ctx, nil)
}

// needsRead reports whether the pool reads the row itself rather than wait for
// the migration's answer.
func (p *poolRun) needsRead(r PendingRow, now int64) bool {
	fallback := min(sharedFallbackAfter, p.confirmMaxWait()/2)
	return !p.shared() || r.RequestID == "" || r.Duplicate != "" || now-r.Since >= int64(fallback/time.Second)
}

// waitShared waits for the migration's answer about one of the pool's R1
// requests, as waitR1 reads it: an urgent wait, read with the others due.
func (p *poolRun) waitShared(ctx workflow.Context, requestID string) (activities.R1ActivityStatus, error) {
	p.signalParent(ctx, R1WaitSignal, R1Wait{Pool: p.in.Pool.Key, IDs: []string{requestID}, Urgent: true})
	deadline := p.activeNow(ctx).Add(r1ActivityMaxWait)
	for {
		if st, ok := p.answers[requestID]; ok {
			delete(p.answers, requestID)
			return st, nil
		}
		left := deadline.Sub(p.activeNow(ctx))
		if left <= 0 {
			return activities.R1ActivityStatus{}, errR1Late
		}
		if _, err := workflow.AwaitWithTimeout(ctx, left, func() bool { _, ok := p.answers[requestID]; return ok }); err != nil {
			return activities.R1ActivityStatus{}, err
		}
	}
}

// takeAnswers applies the answers that have arrived, before the run continues as new.
func (p *poolRun) takeAnswers() {
	if !p.shared() {
		return
	}
	var w R1Waited
	for p.waitedCh.ReceiveAsync(&w) {
		for _, st := range w.Activities {
			p.onActivity(st)
		}
	}
}
