package e2e

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/metrics"
	"github.com/dpskmigrate/dpskmigrate/internal/r1budget"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// The R1 budget of a running migration is lowered without restarting
// anything, with the Temporal CLI's task-queue rate limit as the README says:
// R1 sees the calls slow to the new limit at once, status and the metrics
// say the budget in force, a limit above the workers' budget does not speed
// a worker past its own, and once the limit is removed the migration
// finishes with everything in R1.
//
// Not parallel: it measures call rates, which other tests' load would blur.
func TestLoweringTheR1BudgetWhileAMigrationRuns(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	// 6 calls/s: well below what three pools of 10 passphrases in flight
	// reach without it, so a worker's own limit shows.
	const workerPerMinute = 360
	cfg := e.workerConfig()
	cfg.CallsPerMinute = workerPerMinute
	cfg.Metrics = metrics.New(nil)
	cfg.BudgetRefresh = 100 * time.Millisecond
	srv := httptest.NewServer(cfg.Metrics.Handler())
	t.Cleanup(srv.Close)
	e.startWorker(cfg)
	r1Queue := workflows.R1TaskQueue(e.queue)
	setLimit := func(perSecond, reason string) {
		t.Helper()
		out, err := temporalCLI(t, "task-queue", "config", "set", "--task-queue", r1Queue, "--task-queue-type", "activity",
			"--queue-rps-limit", perSecond, "--queue-rps-limit-reason", reason)
		require.NoError(t, err, out)
	}
	t.Cleanup(func() { setLimit("default", "e2e: test over") })

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 45, Seed: 61})
	st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true})
	require.NoError(t, err)

	calls := func() int { return e.sim.Stats().PerTenant[e.tenant] }
	// rate is R1's calls per second over about window.
	rate := func(window time.Duration) float64 {
		n0, t0 := calls(), time.Now()
		time.Sleep(window)
		return float64(calls()-n0) / time.Since(t0).Seconds()
	}
	budget := func() migrations.Budget {
		b, err := e.svc.Budget(ctx)
		require.NoError(t, err)
		return b
	}
	gauge := func() float64 {
		fams, err := scrape(srv.URL)
		require.NoError(t, err)
		return sum(fams, metrics.R1Budget, nil)
	}
	statusSays := func(want string) {
		t.Helper()
		out := runCLI(t, e, "status", st.WorkflowID)
		require.Contains(t, strings.Join(strings.Fields(out), " "), want, out) // the line wraps at 100 columns
	}

	// Passphrases are being created at the workers' budget.
	require.Eventually(t, func() bool { return held(e) >= 10 }, time.Minute, 20*time.Millisecond)
	b := budget()
	require.Equal(t, r1budget.SourceWorker, b.Source, "%+v", b)
	require.Equal(t, float64(workerPerMinute), b.CallsPerMinute)
	statusSays("R1 budget in force: 360 calls/min, the workers' R1_CALLS_PER_MINUTE")
	before := rate(4 * time.Second)

	// Lowered to 1.5 calls/s, 90 a minute.
	const lowered = 1.5
	setLimit(strconv.FormatFloat(lowered, 'f', -1, 64), "e2e: R1 UI busy")
	b = budget()
	require.Equal(t, r1budget.SourceQueue, b.Source, "%+v", b)
	require.Equal(t, lowered*60, b.CallsPerMinute)
	require.Equal(t, "e2e: R1 UI busy", b.Reason)
	require.Equal(t, float64(workerPerMinute), b.WorkerCallsPerMinute)
	statusSays("R1 budget in force: 90 calls/min, the limit set on task queue")
	require.Eventually(t, func() bool { return gauge() == lowered*60 }, 30*time.Second, 50*time.Millisecond, "the budget metric follows the queue limit")
	time.Sleep(time.Second) // the calls already handed to the worker
	during := rate(5 * time.Second)

	// A limit above the workers' budget: each worker still holds itself to its own.
	const above = 30.0
	setLimit(strconv.FormatFloat(above, 'f', -1, 64), "e2e: above the workers")
	statusSays("each worker still stops at its own 360/min")
	aboveRate := rate(4 * time.Second)

	// Removed: back to the workers' budget, and the migration completes.
	setLimit("default", "e2e: R1 UI quiet again")
	b = budget()
	require.Equal(t, r1budget.SourceWorker, b.Source, "%+v", b)
	require.Equal(t, float64(workerPerMinute), b.CallsPerMinute)
	require.Eventually(t, func() bool { return gauge() == workerPerMinute }, 30*time.Second, 50*time.Millisecond)
	t.Logf("R1 calls/s: %.1f at the workers' budget (%d/min), %.1f with the queue limit at %g/s, %.1f with it at %g/s (above the workers')",
		before, workerPerMinute, during, lowered, aboveRate, above)

	require.Greater(t, before, 2*lowered, "before the limit, calls ran well above it")
	require.Less(t, during, 1.5*lowered, "R1 sees the lowered rate")
	require.Less(t, during, before/2, "well under the earlier rate")
	require.Less(t, aboveRate, 1.5*workerPerMinute/60, "a queue limit above the workers' does not take a worker past its own")

	res, err := e.svc.Wait(ctx, st.WorkflowID)
	if err != nil {
		e.explain(st.WorkflowID)
	}
	require.NoError(t, err)
	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res)
	require.Zero(t, e.sim.Stats().RateLimited)
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}
