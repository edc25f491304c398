package migrations_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// List's filters, on the dev server's visibility: migrations started with the
// search attributes a migration sets (no worker polls the queue, so nothing
// changes them), on a task queue whose name holds a quote.
func TestListFiltersOnTheSearchAttributesAndQuotesTheTaskQueue(t *testing.T) {
	ctx := t.Context()
	queue := fmt.Sprintf("it's-list-%d", time.Now().UnixNano())
	svc := &migrations.Service{Temporal: temporalC, TaskQueue: queue}
	exportA := "aaaaaaaa" + fmt.Sprintf("%056x", 1)
	exportB := "bbbbbbbb" + fmt.Sprintf("%056x", 2)
	start := func(id string, sa ...temporal.SearchAttributeUpdate) {
		_, err := temporalC.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue,
			TypedSearchAttributes: temporal.NewSearchAttributes(sa...)}, workflows.MigrationWorkflowName, workflows.MigrationInput{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = temporalC.TerminateWorkflow(context.Background(), id, "", "test over") })
	}
	paused, running, planning, ended := queue+"-paused", queue+"-running", queue+"-planning", queue+"-ended"
	start(paused, workflows.SAExport.ValueSet(exportA), workflows.SAStatus.ValueSet("RUNNING"), workflows.SAPaused.ValueSet(true),
		workflows.SAPoolsDone.ValueSet(3), workflows.SAPoolsFailed.ValueSet(1), workflows.SAFirstPool.ValueSet("Bldg003"))
	start(running, workflows.SAExport.ValueSet(exportB), workflows.SAStatus.ValueSet("RUNNING"), workflows.SAPaused.ValueSet(false))
	start(planning) // no search attribute yet
	start(ended, workflows.SAExport.ValueSet(exportA), workflows.SAStatus.ValueSet("RUNNING"), workflows.SAPaused.ValueSet(true))
	require.NoError(t, temporalC.TerminateWorkflow(ctx, ended, "", "test"))
	// A workflow of another type on the queue is never listed.
	_, err := temporalC.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: queue + "-pool", TaskQueue: queue,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SAPaused.ValueSet(true))}, workflows.PoolWorkflowName)
	require.NoError(t, err)
	t.Cleanup(func() { _ = temporalC.TerminateWorkflow(context.Background(), queue+"-pool", "", "test over") })

	ids := func(f migrations.ListFilter) []string {
		l, err := svc.List(ctx, f)
		require.NoError(t, err)
		var out []string
		for _, m := range l {
			out = append(out, m.WorkflowID)
		}
		slices.Sort(out)
		return out
	}
	require.Eventually(t, func() bool { return len(ids(migrations.ListFilter{})) == 4 }, 30*time.Second, 100*time.Millisecond, "visibility shows all four")

	require.Equal(t, []string{paused}, ids(migrations.ListFilter{Status: "paused"}), "exactly the paused one; the ended one's pause ended with it")
	require.Equal(t, []string{planning, running}, ids(migrations.ListFilter{Status: "running"}), "a migration that has not planned yet is running")
	require.Equal(t, []string{ended}, ids(migrations.ListFilter{Status: "failed"}), "a terminated migration counts as failed")
	require.Empty(t, ids(migrations.ListFilter{Status: "completed"}))
	require.Equal(t, []string{ended, paused}, ids(migrations.ListFilter{Export: exportA}))
	require.Equal(t, []string{ended, paused}, ids(migrations.ListFilter{Export: exportA[:8]}), "a digest prefix")
	require.Equal(t, []string{running}, ids(migrations.ListFilter{Export: exportB, Status: "running"}))
	require.Len(t, ids(migrations.ListFilter{Limit: 1}), 1)

	l, err := svc.List(ctx, migrations.ListFilter{Status: "paused"})
	require.NoError(t, err)
	m := l[0]
	require.Equal(t, "RUNNING", m.Status)
	require.True(t, m.Paused)
	require.Equal(t, 3, *m.PoolsDone)
	require.Equal(t, 1, *m.PoolsFailed)
	require.Equal(t, "Bldg003", m.FirstPool)
	require.Equal(t, exportA, m.Export)
	l, err = svc.List(ctx, migrations.ListFilter{Status: "failed"})
	require.NoError(t, err)
	require.Equal(t, "TERMINATED", l[0].Status)
	require.False(t, l[0].Paused)
	require.Nil(t, l[0].PoolsDone, "no count recorded")

	_, err = svc.List(ctx, migrations.ListFilter{Export: exportA[:20] + "' OR 'a' = 'a"})
	require.ErrorContains(t, err, "is not an export digest")
}
