package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
)

func TestStorePruneRemovesOldExportsNoMigrationUses(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // no worker: the migration started below stays running
	used := e.export(sampledata.Spec{Pools: 1, RowsPerPool: 3, Seed: 47})
	r := e.run("start", used)
	require.Equal(t, 0, r.code, r)
	id := startedID(t, r)
	t.Cleanup(func() { _ = temporalC.TerminateWorkflow(context.Background(), id, "", "test over") })
	data, err := os.ReadFile(used)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	usedFile := filepath.Join(e.exportDir, hex.EncodeToString(sum[:])+".json")

	r = e.run("store", e.export(sampledata.Spec{Pools: 1, RowsPerPool: 3, Seed: 48}))
	require.Equal(t, 0, r.code, r)
	var unused exportstore.Ref
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &unused))
	unusedFile := filepath.Join(e.exportDir, unused.SHA256+".json")

	old := time.Now().Add(-40 * 24 * time.Hour)
	for _, f := range []string{usedFile, unusedFile} {
		require.NoError(t, os.Chtimes(f, old, old))
	}
	require.Eventually(t, func() bool {
		resp, err := temporalC.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "default", Query: "WorkflowId = '" + id + "' AND ExecutionStatus = 'Running'"})
		return err == nil && len(resp.GetExecutions()) == 1
	}, 30*time.Second, 50*time.Millisecond, "the migration is visible")

	r = e.run("store", "--prune", "--older-than", "30d", "--dry-run")
	t.Logf("store --prune --dry-run:\n%s", r)
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, "Would remove (dry run, nothing removed): 1 file(s)\n  "+unused.SHA256+".json")
	require.Contains(t, r.stdout, "used by workflow "+id)
	require.FileExists(t, unusedFile, "a dry run removes nothing")

	r = e.run("store", "--older-than", "30d", "--prune")
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, "Removed: 1 file(s)")
	require.NoFileExists(t, unusedFile)
	require.FileExists(t, usedFile, "the running migration's export is kept")
}
