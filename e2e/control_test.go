package e2e

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// clientUpdate asks for an update and waits for its outcome, bypassing the
// service's own checks so the workflow's validator is what answers.
func clientUpdate(id, name string, arg any) client.UpdateWorkflowOptions {
	return client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted}
}

// updateEvents counts the update events in a workflow's history.
func updateEvents(t *testing.T, id string) int {
	t.Helper()
	n := 0
	it := temporalC.GetWorkflowHistory(context.Background(), id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		switch ev.GetEventType() {
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED,
			enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED:
			n++
		}
	}
	return n
}

// TestPauseHoldsEveryR1CallAndResumeLosesNothing pauses a parallel migration
// while R1 shows writes late: R1's request count stops growing once the calls
// in flight are done and stays flat for longer than the pools' confirm
// deadline, yet after resume nothing has failed and R1 equals the export.
//
// Not parallel: its pools' 30 s confirm deadline is timing, which other
// tests' load on a 2-core machine would blur.
func TestPauseHoldsEveryR1CallAndResumeLosesNothing(t *testing.T) {
	e := newEnv(t, r1sim.Options{Latency: r1sim.Latency{Median: 30 * time.Millisecond}, VisibilityDelay: 3 * time.Second})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 4, RowsPerPool: 300, Seed: 71})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true, MaxConcurrent: 2, ConfirmMaxWait: 30 * time.Second})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return held(e) >= 100 }, 2*time.Minute, 20*time.Millisecond)

	state, err := e.svc.Pause(ctx, st.WorkflowID)
	require.NoError(t, err)
	require.True(t, state.Paused)
	// Calls in flight finish; then nothing.
	var flat int
	require.Eventually(t, func() bool {
		n := e.sim.Stats().TotalCalls
		time.Sleep(2 * time.Second)
		flat = e.sim.Stats().TotalCalls
		return flat == n
	}, 30*time.Second, 10*time.Millisecond, "R1's request count stops growing")
	// Longer than the pools' confirm deadline. (30 s: a deadline shorter than the
	// migration's lazy reading of released pools' writes, 2 s + a 10 s grace,
	// leaves them to the pools' own fallback reads, which a loaded machine
	// delays past it: 40 rows failed at 10 s under two CPU hogs.)
	time.Sleep(35 * time.Second)
	require.Equal(t, flat, e.sim.Stats().TotalCalls, "no R1 call while paused")
	p, err := e.svc.Progress(ctx, st.WorkflowID)
	require.NoError(t, err)
	require.True(t, p.Paused)
	require.False(t, p.PausedSince.IsZero())
	for _, r := range p.Running {
		pp, err := e.svc.PoolProgress(ctx, r.WorkflowID)
		require.NoError(t, err)
		require.True(t, pp.Paused, "pool %s knows it is paused", r.Key)
	}

	_, err = e.svc.Resume(ctx, st.WorkflowID)
	require.NoError(t, err)
	res, err := e.svc.Wait(ctx, st.WorkflowID)
	if err != nil {
		e.explain(st.WorkflowID)
	}
	require.NoError(t, err)
	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res.Pools)
	require.Zero(t, res.Totals.Failed, "a long pause fails no row R1 accepted")
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}

func TestConfigureWidensTheWindowAndRefusesBadValuesWithoutAHistoryEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{Latency: r1sim.Latency{Median: 40 * time.Millisecond}})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 12, RowsPerPool: 60, Seed: 72})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true, MaxConcurrent: 2, PassphraseConcurrency: 2})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		p, err := e.svc.Progress(ctx, st.WorkflowID)
		return err == nil && p.PoolsRunning == 2
	}, time.Minute, 20*time.Millisecond)

	// Refused: out of range, and nothing to change; neither leaves an event.
	for _, c := range []workflows.Configure{{MaxConcurrent: ptr(99)}, {}} {
		_, err = e.svc.Configure(ctx, st.WorkflowID, c)
		var refused *migrations.RefusedError
		require.True(t, errors.As(err, &refused), "%v", err)
	}
	// The workflow's own validator refuses too (bypassing our client's check).
	h, err := temporalC.UpdateWorkflow(ctx, clientUpdate(st.WorkflowID, workflows.ConfigureUpdate, workflows.Configure{PassphraseConcurrency: ptr(0)}))
	if err == nil {
		err = h.Get(ctx, nil)
	}
	require.ErrorContains(t, err, "passphraseConcurrency 0 is out of range")
	require.Zero(t, updateEvents(t, st.WorkflowID), "refused updates leave no history event")

	state, err := e.svc.Configure(ctx, st.WorkflowID, workflows.Configure{MaxConcurrent: ptr(8), PassphraseConcurrency: ptr(5)})
	require.NoError(t, err)
	require.Equal(t, 8, state.MaxConcurrent)
	require.Equal(t, 2, updateEvents(t, st.WorkflowID), "an accepted update is recorded (accepted, completed)")
	most := 0
	require.Eventually(t, func() bool {
		p, err := e.svc.Progress(ctx, st.WorkflowID)
		if err == nil {
			most = max(most, p.PoolsRunning)
		}
		return most > 2
	}, time.Minute, 20*time.Millisecond, "more pools run at once")
	t.Logf("running pools after configure: up to %d", most)
	res, err := e.svc.Wait(ctx, st.WorkflowID)
	require.NoError(t, err)
	require.Equal(t, workflows.StatusCompleted, res.Status)
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}

func TestAPauseSurvivesAWorkerKillAndSearchAttributesFindIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{Latency: r1sim.Latency{Median: 30 * time.Millisecond}})
	bin := buildWorker(t)
	first := e.workerProcess(t, bin)
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 200, Seed: 73})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true, MaxConcurrent: 2, ActivityTimeout: 5 * time.Second})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return held(e) >= 50 }, 2*time.Minute, 20*time.Millisecond)
	_, err = e.svc.Pause(ctx, st.WorkflowID)
	require.NoError(t, err)
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_, _ = first.Process.Wait()
	e.workerProcess(t, bin)
	p, err := e.svc.Progress(ctx, st.WorkflowID)
	require.NoError(t, err)
	require.True(t, p.Paused, "the pause outlives the worker")

	// Temporal's search finds exactly the paused migration.
	query := "DpskPaused = true AND DpskExport = '" + st.Export.SHA256 + "'"
	require.Eventually(t, func() bool {
		out, err := temporalCLI(t, "workflow", "list", "--query", query)
		return err == nil && strings.Contains(out, st.WorkflowID)
	}, 30*time.Second, 200*time.Millisecond)
	out, err := temporalCLI(t, "workflow", "list", "--query", query)
	require.NoError(t, err)
	t.Logf("temporal workflow list --query %q:\n%s", query, out)
	require.Equal(t, 1, strings.Count(out, "MigrationWorkflow"))

	_, err = e.svc.Resume(ctx, st.WorkflowID)
	require.NoError(t, err)
	res, err := e.svc.Wait(ctx, st.WorkflowID)
	if err != nil {
		e.explain(st.WorkflowID)
	}
	require.NoError(t, err)
	require.Equal(t, workflows.StatusCompleted, res.Status)
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
	d, err := temporalC.DescribeWorkflowExecution(ctx, st.WorkflowID, "")
	require.NoError(t, err)
	require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, d.GetWorkflowExecutionInfo().GetStatus())
}

func TestSearchAttributesFindTheFailedPoolsOfAMigration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 5, Seed: 74})
	e.blockPoolNames(export, 2)
	st, res := e.migrate(export, migrations.Options{ParallelExecution: true})
	require.Equal(t, 2, res.PoolCounts.Failed)
	query := "DpskMigration = '" + st.WorkflowID + "' AND DpskStatus = 'FAILED'"
	var out string
	require.Eventually(t, func() bool {
		var err error
		out, err = temporalCLI(t, "workflow", "list", "--query", query)
		return err == nil && strings.Count(out, "PoolWorkflow") == 2
	}, 30*time.Second, 200*time.Millisecond, "the failed pools are found: %s", out)
	t.Logf("temporal workflow list --query %q:\n%s", query, out)
	out, err := temporalCLI(t, "workflow", "list", "--query", "WorkflowId = '"+st.WorkflowID+"' AND DpskPoolsFailed = 2 AND DpskPoolsDone = 1 AND DpskStatus = 'PARTIAL'")
	require.NoError(t, err)
	require.Contains(t, out, st.WorkflowID, "the migration's counts and status are searchable")
}
