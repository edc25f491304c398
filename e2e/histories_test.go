package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// historiesRelease names the directory this release's histories go to: the
// replay test replays every release's, so a workflow change must stay
// compatible with all of them. Keep older releases' directories.
const historiesRelease = "v2"

// TestRecordHistories records the histories that workflows' replay test
// replays. It runs only when asked (make histories): the committed histories
// are the old behaviour a workflow change must stay compatible with.
func TestRecordHistories(t *testing.T) {
	if os.Getenv("DPSKMIGRATE_RECORD_HISTORIES") == "" {
		t.Skip("set DPSKMIGRATE_RECORD_HISTORIES=1 (make histories) to re-record")
	}
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 30, Awkward: true, Seed: 42})
	other := sampledata.JSON(sampledata.Spec{Pools: 4, RowsPerPool: 40, Seed: 7})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// A parallel migration paused, resized and resumed as it starts; a
	// rerun adopting what it created; a verification of it; a migration
	// cancelled midway and the rollback of what that one created. Together
	// they cover create, adopt, policy set, shared waits, updates,
	// continue-as-new, cancellation, verify and rollback.
	st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true, MaxConcurrent: 2,
		PolicySetName: "Residents", WorkflowID: "replay-parallel", PassphrasesPerRun: 10})
	require.NoError(t, err)
	_, err = e.svc.Pause(ctx, st.WorkflowID)
	require.NoError(t, err)
	three := 3
	_, err = e.svc.Configure(ctx, st.WorkflowID, workflows.Configure{MaxConcurrent: &three})
	require.NoError(t, err)
	_, err = e.svc.Resume(ctx, st.WorkflowID)
	require.NoError(t, err)
	_, err = e.svc.Wait(ctx, st.WorkflowID)
	require.NoError(t, err)

	st, err = e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), WorkflowID: "replay-sequential-rerun"})
	require.NoError(t, err)
	_, err = e.svc.Wait(ctx, st.WorkflowID)
	require.NoError(t, err)

	_, err = e.svc.StartVerify(ctx, "replay-parallel", migrations.SweepOptions{WorkflowID: "replay-verify"})
	require.NoError(t, err)
	_, err = e.svc.WaitVerify(ctx, "replay-verify")
	require.NoError(t, err)

	st, err = e.svc.Start(ctx, other, migrations.Options{Plan: e.planOptions(), WorkflowID: "replay-cancelled"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		p, err := e.svc.Progress(ctx, st.WorkflowID)
		return err == nil && p.PoolsDone > 0
	}, time.Minute, 100*time.Millisecond, "the first pool finishes")
	require.NoError(t, e.svc.Cancel(ctx, st.WorkflowID))
	res, err := e.svc.Wait(ctx, st.WorkflowID)
	require.NoError(t, err)
	require.Equal(t, workflows.StatusCanceled, res.Status)

	_, err = e.svc.StartRollback(ctx, "replay-cancelled", migrations.SweepOptions{WorkflowID: "replay-rollback"})
	require.NoError(t, err)
	_, err = e.svc.WaitRollback(ctx, "replay-rollback")
	require.NoError(t, err)
	// The rollback took back everything the cancelled migration created.
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})

	root, err := stack.ModuleRoot()
	require.NoError(t, err)
	dir := filepath.Join(root, "workflows", "testdata", "histories", historiesRelease)
	require.NoError(t, os.RemoveAll(dir)) // this release's histories only; older releases stay
	require.NoError(t, os.MkdirAll(dir, 0o755))
	resp, err := temporalC.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowId STARTS_WITH 'replay-'", PageSize: 1000})
	require.NoError(t, err)
	require.NotEmpty(t, resp.Executions)
	secrets := append(passphrasesOf(t, export), passphrasesOf(t, other)...)
	index := map[string]workflow.Execution{}
	for _, ex := range resp.Executions {
		iter := temporalC.GetWorkflowHistory(ctx, ex.Execution.WorkflowId, ex.Execution.RunId, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		var h historypb.History
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(t, err)
			h.Events = append(h.Events, ev)
		}
		data, err := protojson.MarshalOptions{Indent: " "}.Marshal(&h)
		require.NoError(t, err)
		for _, s := range secrets {
			require.False(t, strings.Contains(h.String(), s), "a passphrase in a recorded history")
		}
		name := strings.NewReplacer("/", "_").Replace(ex.Execution.WorkflowId) + "_" + ex.Execution.RunId + ".json"
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
		index[name] = workflow.Execution{ID: ex.Execution.WorkflowId, RunID: ex.Execution.RunId}
	}
	// The replayer needs each history's workflow ID: child IDs derive from it.
	data, err := json.MarshalIndent(index, "", " ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.json"), data, 0o644))
	t.Logf("recorded %d histories in %s", len(resp.Executions), dir)
}
