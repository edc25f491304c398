package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// A worker told to stop (SIGTERM, as docker-compose and Kubernetes do) lets
// the R1 calls in flight finish: R1 answers every one of them, the process
// exits 0, and a new worker completes the migration with nothing lost or doubled.
func TestWorkerStoppedMidCallsLetsThemFinish(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	bin := buildWorker(t)
	export := sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 40, Seed: 21})
	const (
		createOp    = "POST /dpskServices/{id}/passphrases"
		stopTimeout = 30 * time.Second
		latency     = 4 * time.Second
	)
	first := e.workerProcess(t, bin, "R1_TIMEOUT=20s", "WORKER_STOP_TIMEOUT="+stopTimeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true, PassphraseConcurrency: 10})
	require.NoError(t, err)

	// Once the pool exists every R1 call takes a few seconds, so the
	// passphrase creates are in flight for a while.
	require.Eventually(t, func() bool { return len(e.sim.Inventory(e.tenant).Pools) == 1 }, 2*time.Minute, 20*time.Millisecond)
	slow, sigma := r1sim.Duration(latency), 0.0
	require.NoError(t, e.sim.Configure(r1sim.Settings{LatencyMedian: &slow, LatencySigma: &sigma}))
	require.Eventually(t, func() bool { return e.sim.Stats().Calls[createOp] >= 5 }, 2*time.Minute, 20*time.Millisecond)
	require.NoError(t, first.Process.Signal(syscall.SIGTERM))
	sent := e.sim.Stats().Calls[createOp]
	require.Less(t, held(e), sent, "creates are in flight when the worker is told to stop")

	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	select {
	case err := <-exited:
		require.NoError(t, err, "the worker exits 0 after a graceful stop")
	case <-time.After(stopTimeout + time.Minute):
		t.Fatalf("the worker did not exit after SIGTERM (stop timeout %s)", stopTimeout)
	}
	stats := e.sim.Stats()
	require.Zero(t, stats.Abandoned, "every R1 call in flight at SIGTERM was answered, none cut off")
	require.GreaterOrEqual(t, stats.Calls[createOp], sent)
	require.Equal(t, stats.Calls[createOp], held(e), "every create sent before the stop landed in R1")
	require.Less(t, held(e), 40, "the worker stopped mid-migration")

	fast := r1sim.Duration(0)
	require.NoError(t, e.sim.Configure(r1sim.Settings{LatencyMedian: &fast}))
	e.workerProcess(t, bin)
	res, err := e.svc.Wait(ctx, st.WorkflowID)
	if err != nil {
		e.explain(st.WorkflowID)
	}
	require.NoError(t, err)
	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res)
	require.Equal(t, 40, res.Totals.Created+res.Totals.Adopted)
	require.Zero(t, e.sim.Stats().Abandoned)
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}
