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
)

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

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Two migrations, the second adopting what the first created, cover
	// create, adopt, policy set and continue-as-new.
	for _, opts := range []migrations.Options{
		{Plan: e.planOptions(), ParallelExecution: true, MaxConcurrent: 2, PolicySetName: "Residents", WorkflowID: "replay-parallel", PassphrasesPerRun: 10},
		{Plan: e.planOptions(), WorkflowID: "replay-sequential-rerun"},
	} {
		st, err := e.svc.Start(ctx, export, opts)
		require.NoError(t, err)
		_, err = e.svc.Wait(ctx, st.WorkflowID)
		require.NoError(t, err)
	}
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})

	root, err := stack.ModuleRoot()
	require.NoError(t, err)
	dir := filepath.Join(root, "workflows", "testdata", "histories")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	resp, err := temporalC.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowId STARTS_WITH 'replay-'", PageSize: 1000})
	require.NoError(t, err)
	require.NotEmpty(t, resp.Executions)
	secrets := passphrasesOf(t, export)
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
