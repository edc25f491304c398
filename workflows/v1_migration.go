package workflows

// This file and v1_pool.go are the workflows as they were first released,
// frozen: histories begun by that release replay through them (see
// versionV2 in migration.go). Do not change them; change the current
// workflows and guard the change with workflow.GetVersion.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// migrationWorkflowV1 is the first release's MigrationWorkflow. It migrates every pool of an export: it plans the export, runs
// one PoolWorkflow per pool through a window of at most Window() children, and
// aggregates their results. Past PoolsPerRun pools it drains its window and
// continues as new, so its history stays bounded.
func migrationWorkflowV1(ctx workflow.Context, in MigrationInput) (MigrationResult, error) {
	in, err := normalizeV1(in)
	if err != nil {
		return MigrationResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidInput, nil)
	}
	if in.Plan.Now.IsZero() {
		// Every activity re-plans the export; they must all judge expiry at the same instant.
		in.Plan.Now = workflow.Now(ctx).UTC()
	}
	m := &migrationV1{in: in, st: MigrationState{}}
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
	if err := workflow.ExecuteActivity(planContextV1(ctx), a.Plan, planIn).Get(ctx, &page); err != nil {
		if ctx.Err() != nil {
			return MigrationResult{Status: StatusCanceled, Pools: m.st.Done, TotalPools: m.st.TotalPools, Totals: m.st.Totals}, nil
		}
		return MigrationResult{}, temporal.NewNonRetryableApplicationError("planning the export: "+reasonV1(err), activities.ErrExportInvalid, nil)
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

type migrationV1 struct {
	in      MigrationInput
	st      MigrationState
	pending []activities.PoolRef
	running []RunningPool
}

func (m *migrationV1) exportInput() activities.ExportInput {
	return activities.ExportInput{Export: m.in.Export, Plan: m.in.Plan}
}

// runPools runs this run's pools through the window and waits for all of them.
func (m *migrationV1) runPools(ctx workflow.Context) {
	parentID := workflow.GetInfo(ctx).WorkflowExecution.ID
	w := newWindowV1(ctx, windowSizeV1(m.in))
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
				res = PoolResult{Key: pool.Key, DisplayName: pool.DisplayName, Status: StatusFailed, Error: reasonV1(err),
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

func (m *migrationV1) finish(res PoolResult) {
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

func (m *migrationV1) status(ctx workflow.Context) Status {
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

func (m *migrationV1) progress() (MigrationProgress, error) {
	p := MigrationProgress{
		Pools:       m.st.TotalPools,
		Passphrases: m.st.TotalRows,
		Finished:    m.st.Totals,
		Running:     append([]RunningPool(nil), m.running...),
		Window:      windowSizeV1(m.in),
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

func (m *migrationV1) pools() (PoolsView, error) {
	p, _ := m.progress()
	return PoolsView{Done: m.st.Done, Running: p.Running, Pending: p.PoolsPending}, nil
}

// window runs futures with at most size of them pending, handling each one's
// completion as it arrives. Sequential mode is a window of one.
type windowV1 struct {
	ctx      workflow.Context
	sel      workflow.Selector
	size     int
	inFlight int
}

func newWindowV1(ctx workflow.Context, size int) *windowV1 {
	return &windowV1{ctx: ctx, sel: workflow.NewSelector(ctx), size: max(size, 1)}
}

// run adds f, then returns once fewer than size futures are pending, so the
// caller's next start never exceeds the window; done is called when f is ready.
func (w *windowV1) run(f workflow.Future, done func(workflow.Future)) {
	w.sel.AddFuture(f, func(f workflow.Future) {
		w.inFlight--
		done(f)
	})
	w.inFlight++
	for w.inFlight >= w.size {
		w.sel.Select(w.ctx)
	}
}

// drain waits for every pending future.
func (w *windowV1) drain() {
	for w.inFlight > 0 {
		w.sel.Select(w.ctx)
	}
}

// r1Context runs activities that call R1: on the rate-limited task queue,
// retried with backoff (or after Retry-After for a 429), never retried for
// what R1 refused on its merits.
func r1ContextV1(ctx workflow.Context, timeout time.Duration) workflow.Context {
	if timeout <= 0 {
		timeout = DefaultActivityTimeout
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              R1TaskQueue(workflow.GetInfo(ctx).TaskQueueName),
		StartToCloseTimeout:    timeout,
		ScheduleToCloseTimeout: 30 * time.Minute, // rate-limit queues and 429 storms are waited out
		WaitForCancellation:    true,             // a call in flight finishes before a cancelled pool reports
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: activities.NonRetryable,
		},
	})
}

// planContext runs the plan activity on the workflow's own task queue.
func planContextV1(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumAttempts:        5,
			NonRetryableErrorTypes: activities.NonRetryable,
		},
	})
}

// reason turns an activity error into the text a person reads: the message of
// the application error, without the SDK's wrapping.
func reasonV1(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Error()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "R1 did not answer in time (" + strings.ToLower(timeout.TimeoutType().String()) + ")"
	}
	if temporal.IsCanceledError(err) {
		return "cancelled"
	}
	return err.Error()
}

func errorTypeV1(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

// normalizeV1 is MigrationInput.Normalize as first released.
func normalizeV1(in MigrationInput) (MigrationInput, error) {
	if err := in.Export.Validate(); err != nil {
		return in, err
	}
	if in.MaxConcurrent == 0 {
		in.MaxConcurrent = DefaultMaxConcurrent
	}
	if in.MaxConcurrent < 1 || in.MaxConcurrent > MaxMaxConcurrent {
		return in, fmt.Errorf("maxConcurrent %d is out of range: use 1 to %d (default %d)", in.MaxConcurrent, MaxMaxConcurrent, DefaultMaxConcurrent)
	}
	if in.PassphraseConcurrency == 0 {
		in.PassphraseConcurrency = 1
		if in.ParallelExecution {
			in.PassphraseConcurrency = DefaultParallelPassphrases
		}
	}
	if in.PassphraseConcurrency < 1 || in.PassphraseConcurrency > MaxPassphraseConcurrency {
		return in, fmt.Errorf("passphraseConcurrency %d is out of range: use 1 to %d", in.PassphraseConcurrency, MaxPassphraseConcurrency)
	}
	if in.PassphrasesPerRun == 0 {
		in.PassphrasesPerRun = DefaultPassphrasesPerRun
	}
	if in.PassphrasesPerRun < 1 || in.PassphrasesPerRun > MaxPassphrasesPerRun {
		return in, fmt.Errorf("passphrasesPerRun %d is out of range: use 1 to %d", in.PassphrasesPerRun, MaxPassphrasesPerRun)
	}
	if in.PoolsPerRun == 0 {
		in.PoolsPerRun = DefaultPoolsPerRun
	}
	if in.PoolsPerRun < 1 || in.PoolsPerRun > 1000 {
		return in, fmt.Errorf("poolsPerRun %d is out of range: use 1 to 1000", in.PoolsPerRun)
	}
	if in.ActivityTimeout != 0 && in.ActivityTimeout < 5*time.Second {
		return in, fmt.Errorf("activityTimeout %s is too short: one R1 call attempt may take several requests; use at least 5s (default %s)", in.ActivityTimeout, DefaultActivityTimeout)
	}
	if len(in.PolicySetName) > 255 {
		return in, fmt.Errorf("policySetName is %d characters long; R1 accepts at most 255", len(in.PolicySetName))
	}
	return in, nil
}

// windowSizeV1 is MigrationInput.Window as first released.
func windowSizeV1(in MigrationInput) int {
	if !in.ParallelExecution {
		return 1
	}
	return in.MaxConcurrent
}
