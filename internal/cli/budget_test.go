package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/r1budget"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// A running migration's status says the budget in force and estimates the
// time left at it: here a queue limit of 240/min, so the 458 passphrases left
// take minutes, not the seconds R1_CALLS_PER_MINUTE=1800 would give.
func TestGoldenRunningMigrationWithALoweredBudget(t *testing.T) {
	id := campusID
	progress := &workflows.MigrationProgress{Pools: 2, PoolsRunning: 1, PoolsDone: 1, Passphrases: 600,
		Finished: workflows.Counts{Created: 100},
		Running: []workflows.RunningPool{
			{Key: "tower-b-0d9c8b7a", DisplayName: "Tower B", WorkflowID: workflows.ChildWorkflowID(id, "tower-b-0d9c8b7a"), Rows: 500, Done: 42, Confirmed: 42},
		},
		Window: 1}
	done := pool(id, "annex-9f8e7d6c", "Annex", workflows.StatusCompleted, workflows.Counts{Created: 100})
	view := workflows.PoolsView{Done: []workflows.PoolResult{done}, Running: progress.Running}
	st := migrations.Status{WorkflowID: id, State: "RUNNING", Progress: progress, UIURL: campusUI}
	budget := &budgetInForce{budget: migrations.Budget{TaskQueue: "dpskmigrate-r1", Source: r1budget.SourceQueue,
		CallsPerMinute: 240, WorkerCallsPerMinute: 1800, Workers: 2, Reason: "R1 UI busy during business hours",
		SetBy: "temporal-cli:ops@jump", SetAt: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}}

	var lowered, configured bytes.Buffer
	writeRunningBudget(&lowered, st, view, nil, 1800, budget, false)
	golden(t, "status-running-budget", lowered.String())
	fitsTheTable(t, lowered.String())
	writeRunning(&configured, st, view, nil, 1800, false)
	require.NotContains(t, configured.String(), "R1 budget")
	require.Contains(t, lowered.String(), "| ETA 1m55s\n", "at 240/min")
	require.Contains(t, configured.String(), "| ETA 15s\n", "at 1800/min")
}

// Every source of the budget has its own words, and every line fits.
func TestGoldenBudgetLines(t *testing.T) {
	q := "dpskmigrate-r1"
	cases := []budgetInForce{
		{budget: migrations.Budget{TaskQueue: q, Source: r1budget.SourceWorker, CallsPerMinute: 1800, WorkerCallsPerMinute: 1800, Workers: 1}},
		{budget: migrations.Budget{TaskQueue: q, Source: r1budget.SourceQueue, CallsPerMinute: 240, WorkerCallsPerMinute: 1800, Workers: 1, Reason: "R1 UI busy"}},
		{budget: migrations.Budget{TaskQueue: q, Source: r1budget.SourceQueue, CallsPerMinute: 37.5, Workers: 0}},
		{budget: migrations.Budget{TaskQueue: q, Source: r1budget.SourceQueue, CallsPerMinute: 2400, WorkerCallsPerMinute: 1200, Workers: 1,
			Reason: strings.Repeat("a very long reason \x1b[31m ", 8)}},
		{budget: migrations.Budget{TaskQueue: q, Source: r1budget.SourceQueue, CallsPerMinute: 0, WorkerCallsPerMinute: 1800, Workers: 1, Reason: "stop"}},
		{budget: migrations.Budget{TaskQueue: q, Source: r1budget.SourceSystem, CallsPerMinute: 1200, WorkerCallsPerMinute: 1800, Workers: 1}},
		{budget: migrations.Budget{TaskQueue: q, Source: r1budget.SourceNone}},
		{err: errors.New("reading the rate limits of task queue dpskmigrate-r1 in namespace default: permission denied")},
	}
	var out bytes.Buffer
	for _, c := range cases {
		writeBudget(&out, c)
	}
	golden(t, "status-budget-lines", out.String())
	fitsTheTable(t, out.String())
	require.NotContains(t, out.String(), "\x1b", "a reason cannot send escape sequences to the terminal")
}
