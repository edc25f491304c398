package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// migrateRows brings the pool's rows into R1, PassphrasesPerRun rows per run:
// per chunk of up to 500 rows, one query for what R1 already holds, then one
// create or VLAN patch per row that needs it (bounded in flight). R1 shows a
// write only some time after accepting it, so accepted rows wait in Pending
// and are confirmed in batches while the next chunks are sent (pool_confirm.go);
// they travel across continue-as-new, and the last run waits for all of them.
func (p *poolRun) migrateRows(ctx workflow.Context) error {
	runStart := p.st.Cursor
	// One window for the run: the next chunk's rows start while the last
	// ones of this chunk are in flight, so the budget never idles between chunks.
	p.importRows(ctx)
	p.window = newWindow(ctx, p.in.PassphraseConcurrency)
	defer func() { p.window = nil }()
	readAhead := workflow.GetVersion(ctx, changeReadAhead, workflow.DefaultVersion, 1) == 1
	var ahead *chunkRead // the next chunk's read, started while this one is sent
	for p.st.Cursor < p.in.Pool.Rows && ctx.Err() == nil {
		done := p.st.Cursor - runStart
		if done >= p.in.PassphrasesPerRun || (done > 0 && workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
			p.window.drain()
			p.register(ctx, true)
			p.takeAnswers()
			next := p.in
			st := p.st
			next.Continued = &st
			return workflow.NewContinueAsNewError(ctx, PoolWorkflowName, next)
		}
		end := min(p.st.Cursor+activities.MaxRowsPerRead, p.in.Pool.Rows, runStart+p.in.PassphrasesPerRun)
		var c chunkRead
		if ahead != nil && ahead.from == p.st.Cursor && ahead.to == end {
			c = *ahead
		} else {
			c = p.readChunk(ctx, p.st.Cursor, end)
		}
		ahead = nil
		if readAhead && end < p.in.Pool.Rows && end < runStart+p.in.PassphrasesPerRun {
			next := p.readChunk(ctx, end, min(end+activities.MaxRowsPerRead, p.in.Pool.Rows, runStart+p.in.PassphrasesPerRun))
			ahead = &next
		}
		p.sendRows(ctx, c)
		if ctx.Err() == nil {
			p.st.Cursor = end
		}
		p.confirmDue(ctx, false)
		p.reportProgress(ctx, false)
	}
	p.window.drain()
	if ctx.Err() == nil {
		p.tellSent(ctx)
		p.drainPending(ctx)
	}
	if ctx.Err() != nil {
		p.confirmOnCancel(ctx)
	}
	p.reportProgress(ctx, true)
	return nil
}

// chunkRead is the read of one chunk's rows: what R1 holds of rows
// [from, to), or for a pool this run created, their plan (no R1 call).
type chunkRead struct {
	from, to int
	rows     []int           // the chunk's rows not created already (by a bulk import)
	read     workflow.Future // nil when rows is empty
}

// readChunk starts the read of rows [from, to).
func (p *poolRun) readChunk(ctx workflow.Context, from, to int) chunkRead {
	c := chunkRead{from: from, to: to, rows: make([]int, 0, to-from)}
	for i := from; i < to; i++ {
		if !p.st.Record.Rows.Created.Contains(i) { // a bulk import created it
			c.rows = append(c.rows, i)
		}
	}
	switch {
	case len(c.rows) == 0:
	case p.st.FreshPool:
		// R1 holds none of these rows: this run created the pool and has not sent them.
		c.read = workflow.ExecuteActivity(planContext(ctx), a.PlanRows, p.rowsInput(c.rows))
	default:
		c.read = p.call(ctx, a.ReadRows, p.rowsInput(c.rows))
	}
	return c
}

// sendRows takes a chunk's read and sends a create or a VLAN patch for each
// of its rows that needs one.
func (p *poolRun) sendRows(ctx workflow.Context, c chunkRead) {
	if c.read == nil {
		return
	}
	rows := c.rows
	var held activities.RowsResult
	if err := c.read.Get(ctx, &held); err != nil {
		if ctx.Err() != nil {
			return // not attempted
		}
		// Unknown state: nothing is created blind. A re-run picks these rows up.
		for _, r := range rows {
			p.fail(activities.RowRef{Row: r, Index: -1, Username: rowLabel(r)}, "could not read the pool: "+reason(err))
		}
		return
	}
	for _, r := range held.Same {
		if p.st.Carried.Contains(r) {
			p.st.Record.Rows.Created.Add(r) // this run's import put it there
		} else {
			p.st.Record.Rows.Adopted.Add(r)
		}
	}
	for _, c := range held.Conflicts {
		p.conflict(c)
	}

	window := p.window
	for _, fix := range held.VLANFix {
		if ctx.Err() != nil {
			break
		}
		in := activities.PatchVLANInput{RowInput: p.rowInput(fix.Row), PassphraseID: fix.PassphraseID}
		window.run(p.call(ctx, a.PatchPassphraseVLAN, in), func(f workflow.Future) {
			var acc activities.Accepted
			switch err := f.Get(ctx, &acc); {
			case err != nil && ctx.Err() != nil:
				p.accept(ctx, PendingRow{RowRef: fix, Patch: true}) // may have landed
			case err != nil:
				p.fail(fix, "VLAN patch: "+reason(err))
			default:
				p.accept(ctx, PendingRow{RowRef: fix, RequestID: acc.RequestID, Patch: true})
			}
		})
		p.register(ctx, false)
	}
	for _, ref := range held.Absent {
		if ctx.Err() != nil {
			break
		}
		window.run(p.call(ctx, a.CreatePassphrase, p.rowInput(ref.Row)), func(f workflow.Future) {
			var acc activities.Accepted
			switch err := f.Get(ctx, &acc); {
			case err != nil && ctx.Err() != nil:
				p.accept(ctx, PendingRow{RowRef: ref}) // may or may not have landed: a read tells
			case err != nil && reason(err) == activities.ConflictReason:
				p.conflict(ref)
			case err != nil:
				p.fail(ref, reason(err))
			case acc.Existing:
				p.st.Record.Rows.Created.Add(ref.Row) // an earlier attempt of ours landed, and R1 shows it
			default:
				p.accept(ctx, PendingRow{RowRef: ref, RequestID: acc.RequestID})
			}
		})
		p.register(ctx, false)
	}
}

// accept records a write R1 accepted: it waits in Pending until reads show it.
func (p *poolRun) accept(ctx workflow.Context, row PendingRow) {
	row.Since = p.activeNow(ctx).Unix()
	p.st.Pending = append(p.st.Pending, row)
	if p.shared() && row.RequestID != "" {
		p.unregistered = append(p.unregistered, row.RequestID)
	}
}

func (p *poolRun) rowsInput(rows []int) activities.RowsInput {
	return activities.RowsInput{ExportInput: p.in.ExportInput, PoolKey: p.in.Pool.Key, PoolID: p.st.Record.DPSKPool.ID, Rows: rows}
}

func (p *poolRun) rowInput(row int) activities.RowInput {
	return activities.RowInput{ExportInput: p.in.ExportInput, PoolKey: p.in.Pool.Key, PoolID: p.st.Record.DPSKPool.ID, Row: row}
}

// Progress reports to the parent, which shows live passphrase counts.
const (
	PoolProgressSignal = "pool-progress"
	progressEvery      = 10 * time.Second
)

// PoolProgressReport is a pool's progress as it tells its migration.
type PoolProgressReport struct {
	Key       string `json:"key"`
	Done      int    `json:"done"`      // rows handled, including those R1 accepted and does not show yet
	Confirmed int    `json:"confirmed"` // rows whose outcome is known
}

// reportProgress tells the parent how far the pool is, at most every
// progressEvery (always when final), and refreshes the pool's UI details.
func (p *poolRun) reportProgress(ctx workflow.Context, final bool) {
	p.showDetails(ctx)
	now := workflow.Now(ctx)
	if p.parentID == "" || ctx.Err() != nil || (!final && now.Sub(p.lastShown) < progressEvery) {
		return
	}
	p.lastShown = now
	pr, _ := p.progress()
	report := PoolProgressReport{Key: p.in.Pool.Key, Done: pr.Done, Confirmed: pr.Done - pr.Accepted}
	// A parent that is gone or from the first release ignores it; nothing waits on it but this.
	_ = workflow.SignalExternalWorkflow(ctx, p.parentID, "", PoolProgressSignal, report).Get(ctx, nil)
}

func rowLabel(row int) string { return "(row " + strconv.Itoa(row) + ")" }
