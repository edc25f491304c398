package migrations_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
)

func TestPruneExportsRemovesOnlyOldExportsNoExecutionReferences(t *testing.T) {
	ctx := t.Context()
	store, err := exportstore.New(filepath.Join(t.TempDir(), "exports"))
	require.NoError(t, err)
	// No worker polls this queue: a started migration stays running.
	queue := "prune-" + fmt.Sprint(time.Now().UnixNano())
	svc := &migrations.Service{Temporal: temporalC, Store: store, TaskQueue: queue}

	running, err := svc.Start(ctx, sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 101}), migrations.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = temporalC.TerminateWorkflow(context.Background(), running.WorkflowID, "", "test over") })

	closed, err := svc.Start(ctx, sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 102}), migrations.Options{})
	require.NoError(t, err)
	require.NoError(t, temporalC.TerminateWorkflow(ctx, closed.WorkflowID, "", "closed moments ago"))

	// Another workflow type that takes an export (verification, rollback...).
	other, err := store.PutBytes(sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 103}))
	require.NoError(t, err)
	otherRun, err := temporalC.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "verify-" + queue, TaskQueue: queue},
		"SomeLaterWorkflow", map[string]any{"Export": map[string]any{"SHA256": other.SHA256}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = temporalC.TerminateWorkflow(context.Background(), otherRun.GetID(), "", "test over") })

	oldUnused, err := store.PutBytes(sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 104}))
	require.NoError(t, err)
	recentUnused, err := store.PutBytes(sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 105}))
	require.NoError(t, err)

	file := func(sha string) string { return filepath.Join(store.Dir, sha+".json") }
	abandoned := filepath.Join(store.Dir, ".incoming-1234")
	uploading := filepath.Join(store.Dir, ".incoming-5678")
	notOurs := filepath.Join(store.Dir, "notes.txt")
	for _, p := range []string{abandoned, uploading, notOurs} {
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o600))
	}
	now := time.Now()
	for p, age := range map[string]time.Duration{
		file(running.Export.SHA256): 48 * time.Hour,
		file(closed.Export.SHA256):  48 * time.Hour,
		file(other.SHA256):          48 * time.Hour,
		file(oldUnused.SHA256):      48 * time.Hour,
		file(recentUnused.SHA256):   2 * time.Hour,
		abandoned:                   2 * time.Hour,
		uploading:                   time.Minute,
		notOurs:                     48 * time.Hour,
	} {
		require.NoError(t, os.Chtimes(p, now.Add(-age), now.Add(-age)))
	}

	waitVisible(t, fmt.Sprintf("WorkflowId = '%s' AND ExecutionStatus = 'Running'", running.WorkflowID))
	waitVisible(t, fmt.Sprintf("WorkflowId = '%s' AND ExecutionStatus = 'Terminated'", closed.WorkflowID))
	waitVisible(t, fmt.Sprintf("WorkflowId = '%s' AND ExecutionStatus = 'Running'", otherRun.GetID()))

	_, err = svc.PruneExports(ctx, 30*time.Minute, false)
	require.ErrorContains(t, err, "at least 1h0m0s")

	present := func() []string {
		entries, err := os.ReadDir(store.Dir)
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		slices.Sort(names)
		return names
	}
	everything := present()
	require.Len(t, everything, 8)

	dry, err := svc.PruneExports(ctx, 24*time.Hour, true)
	require.NoError(t, err)
	require.Equal(t, everything, present(), "a dry run removes nothing")
	require.ElementsMatch(t, []string{oldUnused.SHA256 + ".json", ".incoming-1234"}, names(dry.Removed))
	kept := map[string]string{}
	for _, k := range dry.Kept {
		kept[k.SHA256] = k.WorkflowID
	}
	require.Equal(t, map[string]string{
		running.Export.SHA256: running.WorkflowID,
		closed.Export.SHA256:  closed.WorkflowID,
		other.SHA256:          otherRun.GetID(),
	}, kept)
	require.Equal(t, 1, dry.Recent)

	rep, err := svc.PruneExports(ctx, 24*time.Hour, false)
	require.NoError(t, err)
	require.ElementsMatch(t, names(dry.Removed), names(rep.Removed))
	want := []string{
		running.Export.SHA256 + ".json", // a running migration reads it
		closed.Export.SHA256 + ".json",  // closed within the retention: report, verify, rollback
		other.SHA256 + ".json",          // any workflow type's input counts
		recentUnused.SHA256 + ".json",   // stored within the retention
		".incoming-5678",                // an upload in progress
		"notes.txt",                     // not the store's
	}
	slices.Sort(want)
	require.Equal(t, want, present())

	// The kept exports still load.
	for _, sha := range []string{running.Export.SHA256, closed.Export.SHA256, other.SHA256} {
		_, err := store.Load(exportstore.Ref{SHA256: sha})
		require.NoError(t, err)
	}
}

func names(entries []exportstore.Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name)
	}
	return out
}

// waitVisible waits until Temporal's visibility lists an execution for query.
func waitVisible(t *testing.T, query string) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := temporalC.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		return err == nil && len(resp.GetExecutions()) == 1
	}, 30*time.Second, 50*time.Millisecond, query)
}
