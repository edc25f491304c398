package workflows

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplayRecordedHistories replays histories recorded from real runs on a
// dev server (make histories), one directory per release. A change to a
// workflow that would break a running migration, verification or rollback
// fails here; guard such changes with workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	releases, err := filepath.Glob(filepath.Join("testdata", "histories", "*", "index.json"))
	require.NoError(t, err)
	require.NotEmpty(t, releases, "no recorded histories: run make histories")
	for _, indexFile := range releases {
		dir := filepath.Dir(indexFile)
		data, err := os.ReadFile(indexFile)
		require.NoError(t, err)
		var index map[string]workflow.Execution
		require.NoError(t, json.Unmarshal(data, &index))
		require.NotEmpty(t, index)
		for name, exec := range index {
			t.Run(filepath.Base(dir)+"/"+name, func(t *testing.T) {
				f, err := os.Open(filepath.Join(dir, name))
				require.NoError(t, err)
				defer f.Close()
				history, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
				require.NoError(t, err)
				r := worker.NewWorkflowReplayer()
				for name, wf := range map[string]any{
					MigrationWorkflowName: MigrationWorkflow, PoolWorkflowName: PoolWorkflow,
					VerifyWorkflowName: VerifyWorkflow, VerifyPoolWorkflowName: VerifyPoolWorkflow,
					RollbackWorkflowName: RollbackWorkflow, RollbackPoolWorkflowName: RollbackPoolWorkflow,
				} {
					r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: name})
				}
				require.NoError(t, r.ReplayWorkflowHistoryWithOptions(nil, history, worker.ReplayWorkflowHistoryOptions{OriginalExecution: exec}))
			})
		}
	}
}
