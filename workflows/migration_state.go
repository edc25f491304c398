package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"
)

// finish takes a finished pool's result into the migration's totals and, within
// bounds, its list.
func (m *migration) finish(ctx workflow.Context, res PoolResult) {
	m.running = slices.DeleteFunc(m.running, func(r RunningPool) bool { return r.Key == res.Key })
	m.st.PoolCounts.count(res.Status)
	m.st.Totals.add(res.Counts)
	m.keep(res)
	m.poolSearchAttributes(ctx)
	m.showDetails(ctx)
}

// keep lists a pool in the result: without its record (that stays in the
// pool's own result), with a bounded number of failed rows, and at most
// MaxPoolsInResult pools, where a pool that did not complete takes the place
// of one that did.
func (m *migration) keep(res PoolResult) {
	res.Record = nil
	keep := min(len(res.FailedRows), MaxListedRowsPerPoolInParent, max(MaxListedRowsInParent-m.st.RowsListed, 0))
	res.FailedRows = slices.Clip(res.FailedRows[:keep])
	skip := min(len(res.SkippedRows), MaxListedRowsPerPoolInParent, max(MaxListedRowsInParent-m.st.RowsListed-keep, 0))
	res.SkippedRows = slices.Clip(res.SkippedRows[:skip])
	keep += skip
	if len(m.st.Done) < MaxPoolsInResult {
		m.st.Done = append(m.st.Done, res)
		m.st.RowsListed += keep
		return
	}
	m.st.Omitted++
	if res.Status == StatusCompleted {
		return
	}
	i := slices.IndexFunc(m.st.Done, func(d PoolResult) bool { return d.Status == StatusCompleted })
	if i < 0 {
		return
	}
	m.st.RowsListed += keep - len(m.st.Done[i].FailedRows) - len(m.st.Done[i].SkippedRows)
	m.st.Done = append(slices.Delete(m.st.Done, i, i+1), res)
}

// result is the migration's outcome once its last run has finished (or it was
// cancelled).
func (m *migration) result(ctx workflow.Context) MigrationResult {
	res := MigrationResult{
		Pools: m.st.Done, PoolsOmitted: m.st.Omitted, TotalPools: m.st.TotalPools,
		PoolCounts: m.st.PoolCounts, Totals: m.st.Totals,
	}
	if res.Pools == nil {
		res.Pools = []PoolResult{}
	}
	if ctx.Err() != nil {
		res.PoolCounts.NotStarted = max(m.st.TotalPools-res.PoolCounts.Finished(), 0)
		res.Totals.NotAttempted += max(m.st.TotalRows-m.st.RowsStarted, 0)
	}
	res.Status = m.status(ctx)
	m.final = res.Status
	return res
}

func (m *migration) status(ctx workflow.Context) Status {
	pc := m.st.PoolCounts
	switch {
	case ctx.Err() != nil:
		return StatusCanceled
	case pc.Completed == pc.Finished():
		return StatusCompleted
	case pc.Failed == pc.Finished():
		return StatusFailed
	default:
		return StatusPartial
	}
}

func (m *migration) progress() (MigrationProgress, error) {
	pc := m.st.PoolCounts
	p := MigrationProgress{
		Pools:                 m.st.TotalPools,
		Passphrases:           m.st.TotalRows,
		Finished:              m.st.Totals,
		Running:               append([]RunningPool(nil), m.running...),
		Window:                m.st.Control.MaxConcurrent,
		Paused:                m.st.Control.Paused,
		PausedSince:           m.st.Control.PausedSince,
		PassphraseConcurrency: m.st.Control.PassphraseConcurrency,
		PoolsRunning:          len(m.running),
		PoolsFailed:           pc.Failed,
		PoolsDone:             pc.Finished() - pc.Failed,
	}
	p.PoolsPending = max(p.Pools-p.PoolsDone-p.PoolsFailed-p.PoolsRunning, 0)
	p.Status = m.final
	return p, nil
}

func (m *migration) pools() (PoolsView, error) {
	p, _ := m.progress()
	return PoolsView{Done: m.st.Done, Omitted: m.st.Omitted, Running: p.Running, Pending: p.PoolsPending}, nil
}
