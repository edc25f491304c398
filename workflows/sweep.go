package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// A sweep runs one child workflow per pool of a migration's plan, through the
// same window as a migration, a page of pools per run: verification and
// rollback are sweeps. The parent's history stays bounded because the caller
// continues as new after each page.
type sweep struct {
	child  string // the child workflow type
	window int
	plan   activities.ExportInput
	perRun int
}

// SweepInput is what verification and rollback have in common: which
// migration, its export and effective plan options, and the window.
type SweepInput struct {
	MigrationID string `json:"migrationId"`
	activities.ExportInput
	MaxConcurrent   int           `json:"maxConcurrent,omitempty"` // 1..20, default 5
	PoolsPerRun     int           `json:"poolsPerRun,omitempty"`
	ActivityTimeout time.Duration `json:"activityTimeout,omitempty"`
}

func (in SweepInput) normalize() (SweepInput, error) {
	m := MigrationInput{Export: in.Export, Plan: in.Plan, ParallelExecution: true, MaxConcurrent: in.MaxConcurrent,
		PoolsPerRun: in.PoolsPerRun, ActivityTimeout: in.ActivityTimeout}
	m, err := m.Normalize()
	if err != nil {
		return in, err
	}
	if in.MigrationID == "" {
		return in, errMigrationID
	}
	in.MaxConcurrent, in.PoolsPerRun = m.MaxConcurrent, m.PoolsPerRun
	return in, nil
}

// page plans the export and returns the pools of this run.
func (s sweep) page(ctx workflow.Context, offset int) (activities.PlanResult, error) {
	var page activities.PlanResult
	in := activities.PlanInput{ExportInput: s.plan, Offset: offset, Limit: s.perRun}
	err := workflow.ExecuteActivity(planContext(ctx), a.Plan, in).Get(ctx, &page)
	return page, err
}

// run starts a child per pool (input made by childInput; nil skips the pool)
// through the window and hands each one's outcome to done.
func (s sweep) run(ctx workflow.Context, pools []activities.PoolRef, childInput func(activities.PoolRef) any, done func(activities.PoolRef, string, workflow.Future)) {
	parentID := workflow.GetInfo(ctx).WorkflowExecution.ID
	w := newWindow(ctx, s.window)
	for _, pool := range pools {
		if ctx.Err() != nil {
			break
		}
		in := childInput(pool)
		if in == nil {
			continue
		}
		id := ChildWorkflowID(parentID, pool.Key)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: id, WaitForCancellation: true, StaticSummary: pool.DisplayName,
		})
		w.run(workflow.ExecuteChildWorkflow(cctx, s.child, in), func(f workflow.Future) { done(pool, id, f) })
	}
	w.drain()
}
