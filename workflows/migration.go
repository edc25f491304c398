package workflows

import (
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// ErrInvalidInput is the error type of a migration refused before it starts.
const ErrInvalidInput = "InvalidInput"

// MigrationWorkflow migrates every pool of an export: it plans the export, runs
// one PoolWorkflow per pool through a window of at most Window() children, and
// aggregates their results. Past PoolsPerRun pools it drains its window and
// continues as new, so its history stays bounded.
func MigrationWorkflow(ctx workflow.Context, in MigrationInput) (MigrationResult, error) {
	in, err := in.Normalize()
	if err != nil {
		return MigrationResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidInput, nil)
	}
	if in.Plan.Now.IsZero() {
		// Every activity re-plans the export; they must all judge expiry at the same instant.
		in.Plan.Now = workflow.Now(ctx).UTC()
	}
	m := &migration{in: in, st: MigrationState{}}
	if in.Continued != nil {
		m.st = *in.Continued
	}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, m.progress); err != nil {
		return MigrationResult{}, err
	}
	if err := workflow.SetQueryHandler(ctx, PoolsQuery, m.pools); err != nil {
		return MigrationResult{}, err
	}

	var page activities.PlanResult
	planIn := activities.PlanInput{ExportInput: m.exportInput(), Offset: m.st.NextPool, Limit: in.PoolsPerRun}
	if err := workflow.ExecuteActivity(planContext(ctx), a.Plan, planIn).Get(ctx, &page); err != nil {
		if ctx.Err() != nil {
			return MigrationResult{Status: StatusCanceled, Pools: m.st.Done, TotalPools: m.st.TotalPools, Totals: m.st.Totals}, nil
		}
		return MigrationResult{}, temporal.NewNonRetryableApplicationError("planning the export: "+reason(err), activities.ErrExportInvalid, nil)
	}
	if in.Continued == nil {
		m.st.TotalPools, m.st.TotalRows = page.TotalPools, page.TotalRows
	}
	m.pending = page.Pools

	m.runPools(ctx)

	m.st.NextPool += len(page.Pools)
	if m.st.NextPool < m.st.TotalPools && ctx.Err() == nil {
		next := in
		st := m.st
		next.Continued = &st
		return MigrationResult{}, workflow.NewContinueAsNewError(ctx, MigrationWorkflowName, next)
	}
	res := MigrationResult{Status: m.status(ctx), Pools: m.st.Done, TotalPools: m.st.TotalPools, Totals: m.st.Totals}
	return res, nil
}

type migration struct {
	in      MigrationInput
	st      MigrationState
	pending []activities.PoolRef
	running []RunningPool
}

func (m *migration) exportInput() activities.ExportInput {
	return activities.ExportInput{Export: m.in.Export, Plan: m.in.Plan}
}

// runPools runs this run's pools through the window and waits for all of them.
func (m *migration) runPools(ctx workflow.Context) {
	parentID := workflow.GetInfo(ctx).WorkflowExecution.ID
	w := newWindow(ctx, m.in.Window())
	for len(m.pending) > 0 && ctx.Err() == nil {
		pool := m.pending[0]
		m.pending = m.pending[1:]
		childID := ChildWorkflowID(parentID, pool.Key)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:          childID,
			WaitForCancellation: true, // a cancelled pool reports what R1 holds
		})
		m.running = append(m.running, RunningPool{Key: pool.Key, WorkflowID: childID, Rows: pool.Rows})
		f := workflow.ExecuteChildWorkflow(cctx, PoolWorkflowName, PoolInput{
			ExportInput:           m.exportInput(),
			Pool:                  pool,
			PassphraseConcurrency: m.in.PassphraseConcurrency,
			PassphrasesPerRun:     m.in.PassphrasesPerRun,
			PolicySetName:         m.in.PolicySetName,
			ActivityTimeout:       m.in.ActivityTimeout,
		})
		w.run(f, func(f workflow.Future) {
			var res PoolResult
			if err := f.Get(ctx, &res); err != nil {
				res = PoolResult{Key: pool.Key, DisplayName: pool.DisplayName, Status: StatusFailed, Error: reason(err),
					Counts: Counts{Failed: pool.Rows, Skipped: pool.SkippedCount, Refused: pool.RefusedCount}}
				if ctx.Err() != nil {
					res.Status = StatusCanceled
				}
			}
			res.WorkflowID = childID
			m.finish(res)
		})
	}
	w.drain()
}

// ChildWorkflowID is the ID of a pool's workflow: a person finds it in the UI
// from the migration's ID and the pool key.
func ChildWorkflowID(parentID, poolKey string) string {
	return parentID + "/pool/" + poolKey
}

func (m *migration) finish(res PoolResult) {
	m.running = slices.DeleteFunc(m.running, func(r RunningPool) bool { return r.Key == res.Key })
	// The parent carries every pool's result across continue-as-new, so it
	// names a bounded number of failed rows; each pool's own result has more.
	listed := 0
	for _, d := range m.st.Done {
		listed += len(d.FailedRows)
	}
	keep := min(len(res.FailedRows), MaxListedRowsPerPoolInParent, max(MaxListedRowsInParent-listed, 0))
	res.FailedRows = res.FailedRows[:keep]
	m.st.Totals.add(res.Counts)
	m.st.Done = append(m.st.Done, res)
}

func (m *migration) status(ctx workflow.Context) Status {
	if ctx.Err() != nil {
		return StatusCanceled
	}
	failed, completed := 0, 0
	for _, p := range m.st.Done {
		switch p.Status {
		case StatusFailed:
			failed++
		case StatusCompleted:
			completed++
		}
	}
	switch {
	case completed == len(m.st.Done):
		return StatusCompleted
	case failed == len(m.st.Done):
		return StatusFailed
	default:
		return StatusPartial
	}
}

func (m *migration) progress() (MigrationProgress, error) {
	p := MigrationProgress{
		Pools:       m.st.TotalPools,
		Passphrases: m.st.TotalRows,
		Finished:    m.st.Totals,
		Running:     append([]RunningPool(nil), m.running...),
		Window:      m.in.Window(),
	}
	p.PoolsRunning = len(m.running)
	for _, d := range m.st.Done {
		if d.Status == StatusFailed {
			p.PoolsFailed++
		} else {
			p.PoolsDone++
		}
	}
	p.PoolsPending = p.Pools - p.PoolsDone - p.PoolsFailed - p.PoolsRunning
	return p, nil
}

func (m *migration) pools() (PoolsView, error) {
	p, _ := m.progress()
	return PoolsView{Done: m.st.Done, Running: p.Running, Pending: p.PoolsPending}, nil
}
