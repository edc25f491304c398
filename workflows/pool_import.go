package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// importRows is the opt-in bulk import (BulkImport): rows of a pool this run
// has just created go to R1 in CSV files of up to 10,000 rows, one request
// each, built in the activity from the stored export. R1's answer is never
// trusted: the rows a file carried are read back, and only those R1 then
// shows exactly are recorded as created. Every other row (refused file, rows
// left out, rows the CSV cannot carry) is sent one by one by migrateRows, as
// without the option.
func (p *poolRun) importRows(ctx workflow.Context) {
	if !p.in.BulkImport || !p.st.FreshPool || p.st.Imported || p.st.Cursor > 0 {
		return
	}
	p.st.Imported = true // once per pool, whatever happens
	p.setPhase(ctx, "passphrases (bulk import)")
	rows := make([]int, 0, p.in.Pool.Rows)
	for i := range p.in.Pool.Rows {
		rows = append(rows, i)
	}
	for len(rows) > 0 && ctx.Err() == nil {
		batch := rows[:min(len(rows), activities.MaxImportRows)]
		rows = rows[len(batch):]
		var res activities.ImportResult
		in := activities.ImportInput{ExportInput: p.in.ExportInput, PoolKey: p.in.Pool.Key, PoolID: p.st.Record.DPSKPool.ID, Rows: batch}
		if err := p.call(ctx, a.ImportPassphrases, in).Get(ctx, &res); err != nil {
			if ctx.Err() == nil {
				p.logImport(ctx, "R1 refused the import; its rows go one by one", reason(err))
			}
			break // what did not go in goes one by one
		}
		rows = append(res.Rest, rows...) // did not fit this file: the next one
		if res.RequestID == "" {
			continue
		}
		for _, r := range res.Carried {
			p.st.Carried.Add(r) // a later read that shows it counts it as created, not adopted
		}
		if err := p.waitR1(ctx, res.RequestID); err != nil && ctx.Err() == nil {
			p.logImport(ctx, "R1's import failed; its rows go one by one", err.Error())
		}
		p.readBack(ctx, res.Carried)
	}
	// The pool now holds rows this run did not send one by one: the rows left
	// are read before they are sent.
	p.st.FreshPool = false
}

// readBack records as created every carried row R1 shows exactly.
func (p *poolRun) readBack(ctx workflow.Context, carried []int) {
	slices.Sort(carried)
	for chunk := range slices.Chunk(carried, activities.MaxRowsPerRead) {
		var held activities.RowsResult
		if err := p.call(ctx, a.ReadRows, p.rowsInput(chunk)).Get(ctx, &held); err != nil {
			continue // unknown: these rows are read again before they are sent
		}
		for _, r := range held.Same {
			p.st.Record.Rows.Created.Add(r)
		}
	}
}

func (p *poolRun) logImport(ctx workflow.Context, what, why string) {
	workflow.GetLogger(ctx).Warn(what, "pool", p.in.Pool.DisplayName, "reason", why)
}
