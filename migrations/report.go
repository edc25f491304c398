package migrations

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// ExportUnavailableError is a report (or a rollback preview, or a
// verification's differences) that cannot be built because the migration's
// export cannot be read from the store: each plans the export again to name
// every row. Storing the same file again fixes it (the store is
// content-addressed).
type ExportUnavailableError struct {
	SHA256 string
	Err    error
	For    string // what needs the export; default "the report"
}

func (e *ExportUnavailableError) Error() string {
	what := cmp.Or(e.For, "the report")
	return fmt.Sprintf("%s needs the migration's export (sha256 %s) and cannot read it: %v; store the same export file again with `dpskmigrate store FILE` (DPSKMIGRATE_EXPORT_DIR must be the workers' store)", what, e.SHA256, e.Err)
}

func (e *ExportUnavailableError) Unwrap() error { return e.Err }

// reportConcurrency bounds the pool workflows read at once.
const reportConcurrency = 8

// Report gives every row of a migration's export its outcome (report.Build),
// from what Temporal and the export store hold; it reads nothing from R1.
//
//   - The migration's input (the first event of its history) names the export
//     and the plan options. When the input left plan.now empty, the workflow
//     fixed it at its start and gave it to its Plan activity and every pool:
//     it is read from that activity's input in the same history, so the plan
//     made again judges expiry at the same instant.
//   - The export, from the store, planned again with those options, names
//     every row.
//   - Each pool's record comes from its workflow's final result (completed,
//     failed or cancelled; the last run of a pool that continued as new).
//     A pool whose workflow does not exist never started; one still running
//     has not attempted its rows yet.
//
// Like every method that takes a migration ID, it answers ErrNotFound for
// anything but a MigrationWorkflow.
func (s *Service) Report(ctx context.Context, id string) (*report.Report, error) {
	info, err := s.Migration(ctx, id)
	if err != nil {
		return nil, err
	}
	state := statusName(info.GetStatus())
	in, err := s.plannedInput(ctx, id, info.GetExecution().GetRunId())
	if err != nil {
		return nil, err
	}
	if s.Store == nil {
		return nil, errors.New("no export store: the report plans the migration's export again")
	}
	data, err := s.Store.Load(in.Export)
	if err != nil {
		return nil, &ExportUnavailableError{SHA256: in.Export.SHA256, Err: err}
	}
	exp, err := cloudpath.Parse(bytes.NewReader(data), cloudpath.ParseOptions{})
	if err != nil {
		return nil, fmt.Errorf("the migration's export no longer parses: %w", err)
	}
	plan, err := cloudpath.NewPlan(exp, in.Plan)
	if err != nil {
		return nil, fmt.Errorf("the migration's export cannot be planned with its options, so no pool of it ran: %w", err)
	}
	pools, err := s.poolRuns(ctx, id, state, plan)
	if err != nil {
		return nil, err
	}
	rep, err := report.Build(exp, plan, pools)
	if err != nil {
		return nil, err
	}
	rep.MigrationID, rep.State, rep.Export = id, state, in.Export.SHA256
	if state == "RUNNING" {
		rep.Notes = append(rep.Notes, "the migration is still running: the rows of pools that are running or have not started are not attempted for now")
	}
	return rep, nil
}

// planActivity is the name under which the workers register activities.Plan.
const planActivity = "Plan"

// plannedInput is the migration's input with the plan options its workflow
// used. A run continued as new carries them whole; a first run whose input
// has no plan.now gave its Plan activity the instant it fixed.
func (s *Service) plannedInput(ctx context.Context, id, runID string) (workflows.MigrationInput, error) {
	var in workflows.MigrationInput
	dc := s.dataConverter()
	it := s.Temporal.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var now time.Time // when no Plan activity was scheduled: what workflow.Now gave or will give
	for n := 0; it.HasNext() && n < 1000; n++ {
		ev, err := it.Next()
		if err != nil {
			return in, fmt.Errorf("reading the history of migration %s: %w", id, notFound(err))
		}
		if n == 0 {
			started := ev.GetWorkflowExecutionStartedEventAttributes()
			if started == nil {
				return in, fmt.Errorf("migration %s begins with %s, not WorkflowExecutionStarted", id, ev.GetEventType())
			}
			if err := dc.FromPayloads(started.GetInput(), &in); err != nil {
				return in, fmt.Errorf("reading the input of migration %s: %w", id, err)
			}
			if !in.Plan.Now.IsZero() {
				return in, nil
			}
			now = ev.GetEventTime().AsTime()
			continue
		}
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			sched := ev.GetActivityTaskScheduledEventAttributes()
			if sched.GetActivityType().GetName() != planActivity {
				continue
			}
			var pin activities.PlanInput
			if err := dc.FromPayloads(sched.GetInput(), &pin); err != nil {
				return in, fmt.Errorf("reading the plan options of migration %s: %w", id, err)
			}
			in.Plan = pin.Plan
			return in, nil
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			// The task that completes fixes workflow.Now at its start time;
			// its Plan activity follows at once.
			now = ev.GetEventTime().AsTime()
		}
	}
	// The workflow never planned (it refused its input, or has not run yet):
	// no pool ran, and the plan judges expiry as the workflow does or would.
	in.Plan.Now = now.UTC()
	return in, nil
}

func (s *Service) dataConverter() converter.DataConverter {
	if s.DataConverter != nil {
		return s.DataConverter
	}
	return converter.GetDefaultDataConverter()
}

// poolRuns reads every pool workflow of the plan, a few at a time. The first
// read that fails cancels the others and is the error: it is recorded before
// the cancel, so a sibling's cancellation (which the SDK does not report as
// context.Canceled) never stands in for it.
func (s *Service) poolRuns(ctx context.Context, id, state string, plan *cloudpath.Plan) ([]report.Pool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]report.Pool, len(plan.Units))
	var (
		mu    sync.Mutex
		first error
	)
	var stopped error // the caller's cancellation, or a failed read, before every read started
	slots := make(chan struct{}, reportConcurrency)
	var wg sync.WaitGroup
	for i := range plan.Units {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if stopped = ctx.Err(); stopped != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			p, err := s.poolRun(ctx, id, state, &plan.Units[i])
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				cancel()
				return
			}
			out[i] = p
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if stopped != nil {
		return nil, stopped
	}
	return out, nil
}

// poolRun is what Temporal holds of one pool's workflow.
func (s *Service) poolRun(ctx context.Context, migrationID, migrationState string, u *cloudpath.PoolUnit) (report.Pool, error) {
	p := report.Pool{Key: u.Key}
	wid := workflows.ChildWorkflowID(migrationID, u.Key)
	desc, err := s.Temporal.DescribeWorkflowExecution(ctx, wid, "")
	if _, missing := errors.AsType[*serviceerror.NotFound](err); missing {
		p.State, p.Detail = report.PoolNotStarted, notStartedDetail(migrationState)
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("reading pool workflow %s: %w", wid, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	if name := info.GetType().GetName(); name != workflows.PoolWorkflowName {
		return p, fmt.Errorf("workflow %s is a %s, not the pool's %s: the report cannot tell what became of the pool's rows", wid, name, workflows.PoolWorkflowName)
	}
	status := info.GetStatus()
	if status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		p.State = report.PoolRunning
		return p, nil
	}
	var res workflows.PoolResult
	err = s.Temporal.GetWorkflow(ctx, wid, info.GetExecution().GetRunId()).Get(ctx, &res)
	var app *temporal.ApplicationError
	var canceled *temporal.CanceledError
	switch {
	case err == nil:
	case errors.As(err, &app) && app.HasDetails():
		err = app.Details(&res)
	case errors.As(err, &canceled) && canceled.HasDetails():
		err = canceled.Details(&res)
	case errors.As(err, &app) && app.Type() == workflows.ErrInvalidInput:
		p.State, p.Detail = report.PoolRefused, "the pool's workflow refused its input, so no row was sent: "+app.Message()
		return p, nil
	case status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		p.State = report.PoolLost
		p.Detail = fmt.Sprintf("the pool's workflow ended (%s) without reporting what it did: R1 may hold this row", statusName(status))
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("reading the result of pool workflow %s: %w", wid, err)
	}
	if res.Key != "" && res.Key != u.Key {
		return p, fmt.Errorf("pool workflow %s reports pool %q, not %q", wid, res.Key, u.Key)
	}
	// The record's rows are positions in the pool's plan: the plan made again
	// must be the one the pool ran.
	if res.Counts.Skipped != len(u.Skipped) || res.Counts.Refused != len(u.Refused) {
		return p, fmt.Errorf("pool %q ran a plan with %d skipped and %d refused rows, the export planned again gives %d and %d: the report would misname its rows",
			u.DisplayName, res.Counts.Skipped, res.Counts.Refused, len(u.Skipped), len(u.Refused))
	}
	p.State, p.Record = report.PoolEnded, res.Record
	if status == enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED {
		p.State = report.PoolCanceled
	}
	return p, nil
}

func notStartedDetail(migrationState string) string {
	switch migrationState {
	case "RUNNING":
		return "the pool has not started yet: the migration is still running"
	case "CANCELED":
		return "the pool's workflow never started: the migration was cancelled before its turn"
	}
	return fmt.Sprintf("the pool's workflow never started: the migration ended (%s) before its turn", migrationState)
}

// statusName is RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT...
func statusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.TrimPrefix(enumspb.WorkflowExecutionStatus_name[int32(s)], "WORKFLOW_EXECUTION_STATUS_")
}
