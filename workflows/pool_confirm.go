package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// Confirming writes R1 accepted. R1 shows a write only once its asynchronous
// activity is done, seconds or tens of seconds after the 202, so a pending
// row is read first confirmFirstAfter after R1 accepted it, then after
// doubling delays. Reads are batched: one query reads up to 500 rows; while
// rows are still being sent a query is made only when a full batch is due,
// and once all rows are sent every pending row is read in passes at doubling
// intervals. Rows still not shown explainAfter after their acceptance have
// their R1 activity read once, in bulk, to learn whether R1 refused them; a
// row never shown within confirmMaxWait fails. So the cost per row stays a
// small fraction of a call however slow R1 is, and a pool's history stays
// bounded.
const (
	confirmFirstAfter = 2 * time.Second
	confirmMaxDelay   = 60 * time.Second
	explainAfter      = 20 * time.Second
	confirmMaxWait    = 5 * time.Minute
)

// dueAt is when the row should be read next (Unix seconds).
func (r PendingRow) dueAt() int64 {
	d := min(confirmFirstAfter<<min(r.Reads, 10), confirmMaxDelay)
	return r.Since + int64(d/time.Second)
}

// confirmDue reads the pending rows that are due: all of them when force,
// else only once a full query's worth is due.
func (p *poolRun) confirmDue(ctx workflow.Context, force bool) {
	now := p.activeNow(ctx).Unix()
	var due []int
	for _, r := range p.st.Pending {
		if r.dueAt() <= now && p.needsRead(r, now) {
			due = append(due, r.Row)
		}
	}
	if len(due) > 0 && (force || len(due) >= activities.MaxRowsPerRead) {
		p.readRows(ctx, due)
	}
	p.explainLate(ctx, force)
	p.giveUpOnLate(ctx)
}

// drainPending waits until every pending row is confirmed or given up on:
// passes at doubling intervals, each reading every pending row (one query per
// 500 rows), so a row that R1 shows late costs a few shared reads.
func (p *poolRun) drainPending(ctx workflow.Context) {
	for pass := 0; len(p.st.Pending) > 0 && ctx.Err() == nil; pass++ {
		wait := min(confirmFirstAfter<<min(pass, 10), confirmMaxDelay)
		youngest := p.st.Pending[0].Since
		for _, r := range p.st.Pending {
			youngest = max(youngest, r.Since)
		}
		// Never read a row sooner than confirmFirstAfter after R1 accepted it.
		wait = max(wait, time.Unix(youngest, 0).Add(confirmFirstAfter).Sub(p.activeNow(ctx)))
		// The migration's answers may settle every row sooner.
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return len(p.st.Pending) == 0 }); err != nil {
			return
		}
		if len(p.st.Pending) == 0 {
			break
		}
		p.readRows(ctx, p.rowsToRead(ctx))
		p.explainLate(ctx, true)
		p.giveUpOnLate(ctx)
		p.reportProgress(ctx, false)
	}
}

// readRows reads rows, one query per 500.
func (p *poolRun) readRows(ctx workflow.Context, rows []int) {
	slices.Sort(rows)
	for chunk := range slices.Chunk(rows, activities.MaxRowsPerRead) {
		p.readPending(ctx, p.r1, chunk)
	}
}

// confirmOnCancel makes one last read of the pending rows, on a context that
// outlives the cancellation, so the record says what R1 holds; rows still not
// shown stay unconfirmed (a rollback looks for them, a re-run adopts them).
func (p *poolRun) confirmOnCancel(ctx workflow.Context) {
	if len(p.st.Pending) == 0 {
		return
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	r1 := r1Context(dctx, p.in.ActivityTimeout)
	rows := p.pendingRows()
	for chunk := range slices.Chunk(rows, activities.MaxRowsPerRead) {
		p.readPending(dctx, r1, chunk)
	}
	for _, r := range p.st.Pending {
		p.st.Record.Rows.Unconfirmed.Add(r.Row)
	}
	p.st.Pending = nil
}

// rowsToRead are the pending rows the pool reads itself (needsRead).
func (p *poolRun) rowsToRead(ctx workflow.Context) []int {
	now := p.activeNow(ctx).Unix()
	var rows []int
	for _, r := range p.st.Pending {
		if p.needsRead(r, now) {
			rows = append(rows, r.Row)
		}
	}
	slices.Sort(rows)
	return rows
}

func (p *poolRun) pendingRows() []int {
	rows := make([]int, 0, len(p.st.Pending))
	for _, r := range p.st.Pending {
		rows = append(rows, r.Row)
	}
	slices.Sort(rows)
	return rows
}

// readPending asks R1, in one query, which of rows it now shows as the export
// has them, and settles those.
func (p *poolRun) readPending(ctx, r1 workflow.Context, rows []int) {
	if r1 == p.r1 {
		p.awaitRunning(ctx) // the last read of a cancelled pool is never held back
	}
	var held activities.RowsResult
	if err := workflow.ExecuteActivity(r1, a.ReadRows, p.rowsInput(rows)).Get(ctx, &held); err != nil {
		p.bumpReads(rows) // unknown: read again later, within the bound
		return
	}
	settled := map[int]bool{}
	// Rows the migration's answers settled while the read was on its way are done.
	held.Same = slices.DeleteFunc(held.Same, func(r int) bool { return !p.isPending(r) })
	held.Conflicts = slices.DeleteFunc(held.Conflicts, func(r activities.RowRef) bool { return !p.isPending(r.Row) })
	held.VLANFix = slices.DeleteFunc(held.VLANFix, func(r activities.RowRef) bool { return !p.isPending(r.Row) })
	for _, r := range held.Same {
		pr := p.pending(r)
		if pr.Patch {
			p.st.Record.Rows.Patch(r, pr.VLANID)
		} else {
			p.st.Record.Rows.Created.Add(r)
		}
		settled[r] = true
	}
	for _, ref := range held.Conflicts {
		p.conflict(ref)
		settled[ref.Row] = true
	}
	var unseen []int
	for _, ref := range held.VLANFix {
		if p.pending(ref.Row).Patch {
			unseen = append(unseen, ref.Row) // the patch is not visible yet
			continue
		}
		p.fail(ref, fmt.Sprintf("R1 holds the passphrase with VLAN %d instead of the export's; run the migration again to patch it", ref.VLANID))
		settled[ref.Row] = true
	}
	for _, ref := range held.Absent {
		unseen = append(unseen, ref.Row)
	}
	p.bumpReads(unseen)
	p.st.Pending = slices.DeleteFunc(p.st.Pending, func(r PendingRow) bool { return settled[r.Row] })
}

func (p *poolRun) bumpReads(rows []int) {
	for _, row := range rows {
		for i := range p.st.Pending {
			if p.st.Pending[i].Row == row {
				p.st.Pending[i].Reads++
			}
		}
	}
}

func (p *poolRun) pending(row int) PendingRow {
	for _, r := range p.st.Pending {
		if r.Row == row {
			return r
		}
	}
	return PendingRow{RowRef: activities.RowRef{Row: row}}
}

// explainLate reads, once and in bulk, the R1 activity of every row still not
// shown explainAfter after R1 accepted it (while rows are being sent, only once
// a full read's worth is late). A refusal fails the row, unless R1 refused it
// as a duplicate: then a retried create met our own earlier one, and what R1
// holds decides (reads go on).
func (p *poolRun) explainLate(ctx workflow.Context, force bool) {
	if p.shared() {
		return // the migration reads every row's activity
	}
	now := p.activeNow(ctx).Unix()
	var ids []string
	byID := map[string]int{}
	for _, r := range p.st.Pending {
		if r.RequestID != "" && !r.Explained && now-r.Since >= int64(explainAfter/time.Second) {
			ids = append(ids, r.RequestID)
			byID[r.RequestID] = r.Row
		}
	}
	if len(ids) == 0 || (!force && len(ids) < activities.MaxActivitiesPerRead) {
		return
	}
	failed := map[int]string{} // row → R1's reason
	for chunk := range slices.Chunk(ids, activities.MaxActivitiesPerRead) {
		var res activities.R1ActivitiesResult
		if err := p.call(ctx, a.ReadR1Activities, p.activitiesInput(chunk, byID)).Get(ctx, &res); err != nil {
			continue // explained by the deadline instead
		}
		for _, st := range res.Activities {
			row, ok := byID[st.RequestID]
			if !ok || !st.Failed {
				continue
			}
			if st.Duplicate {
				p.markDuplicate(row, st.Message)
				continue
			}
			failed[row] = st.Message
		}
	}
	for i := range p.st.Pending {
		if _, asked := byID[p.st.Pending[i].RequestID]; asked {
			p.st.Pending[i].Explained = true
		}
	}
	p.st.Pending = slices.DeleteFunc(p.st.Pending, func(r PendingRow) bool {
		msg, refused := failed[r.Row]
		if refused {
			p.fail(r.RowRef, "R1 refused the passphrase: "+msg)
		}
		return refused
	})
}

func (p *poolRun) markDuplicate(row int, msg string) {
	for i := range p.st.Pending {
		if p.st.Pending[i].Row == row {
			p.st.Pending[i].Duplicate = msg
		}
	}
}

func (p *poolRun) activitiesInput(ids []string, byID map[string]int) activities.R1ActivitiesInput {
	rows := make([]int, len(ids))
	for i, id := range ids {
		rows[i] = byID[id]
	}
	return activities.R1ActivitiesInput{RequestIDs: ids, Rows: &activities.RowsInput{ExportInput: p.in.ExportInput, PoolKey: p.in.Pool.Key, PoolID: p.st.Record.DPSKPool.ID, Rows: rows}}
}

// giveUpOnLate fails the rows R1 has not shown within confirmMaxWait.
func (p *poolRun) giveUpOnLate(ctx workflow.Context) {
	now := p.activeNow(ctx).Unix()
	maxWait := p.confirmMaxWait()
	limit := int64(maxWait / time.Second)
	p.st.Pending = slices.DeleteFunc(p.st.Pending, func(r PendingRow) bool {
		if now-r.Since < limit {
			return false
		}
		switch {
		case r.Duplicate != "":
			p.fail(r.RowRef, "R1 refused it as a duplicate and does not show it: "+r.Duplicate)
		default:
			p.st.Record.Rows.Unconfirmed.Add(r.Row)
			p.listRow(r.RowRef, fmt.Sprintf("R1 accepted it (request %s) but did not show it within %s; a re-run adopts it if R1 holds it", r.RequestID, maxWait))
		}
		return true
	})
}

// confirmMaxWait is how long a row R1 accepted may take to show.
func (p *poolRun) confirmMaxWait() time.Duration {
	if p.in.ConfirmMaxWait > 0 {
		return p.in.ConfirmMaxWait
	}
	return confirmMaxWait
}
