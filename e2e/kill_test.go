package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// buildWorker compiles cmd/worker once per test binary (the tests that run
// worker processes share it) into a directory TestMain removes.
func buildWorker(t *testing.T) string {
	t.Helper()
	workerBuild.once.Do(func() {
		root, err := stack.ModuleRoot()
		if err != nil {
			workerBuild.err = err
			return
		}
		dir, err := os.MkdirTemp("", "dpskmigrate-e2e-worker-")
		if err != nil {
			workerBuild.err = err
			return
		}
		workerBuild.dir = dir
		bin := filepath.Join(dir, "worker")
		out, err := exec.Command("go", "build", "-o", bin, filepath.Join(root, "cmd", "worker")).CombinedOutput()
		if err != nil {
			workerBuild.err = fmt.Errorf("go build ./cmd/worker: %w\n%s", err, out)
			return
		}
		workerBuild.bin = bin
	})
	require.NoError(t, workerBuild.err)
	return workerBuild.bin
}

var workerBuild struct {
	once     sync.Once
	dir, bin string
	err      error
}

// workerProcess starts bin as a worker of e's queue; extraEnv entries
// (KEY=value) override its settings.
func (e *env) workerProcess(t *testing.T, bin string, extraEnv ...string) *exec.Cmd {
	cmd := e.workerCommand(bin, extraEnv...)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	return cmd
}

// workerCommand is the worker process for this test's queue and simulator,
// not started, logging to the test's stderr; extraEnv entries override its settings.
func (e *env) workerCommand(bin string, extraEnv ...string) *exec.Cmd {
	cfg := e.workerConfig()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+devServer.FrontendHostPort(),
		"TEMPORAL_NAMESPACE=default",
		"DPSKMIGRATE_TASK_QUEUE="+cfg.TaskQueue,
		"DPSKMIGRATE_EXPORT_DIR="+cfg.ExportDir,
		"R1_BASE_URL="+cfg.R1.BaseURL,
		"R1_TENANT_ID="+cfg.R1.TenantID,
		"R1_CLIENT_ID="+cfg.R1.ClientID,
		"R1_CLIENT_SECRET="+cfg.R1.ClientSecret,
		"R1_TIMEOUT=2s",
		"R1_CALLS_PER_MINUTE="+strconv.Itoa(cfg.CallsPerMinute),
		"LOG_LEVEL=warn",
	)
	cmd.Env = append(cmd.Env, extraEnv...) // the last value of a key wins
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd
}

func TestWorkerKilledMidMigrationIsReplacedAndNothingIsLostOrDoubled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{Latency: r1sim.Latency{Median: 15 * time.Millisecond, Sigma: 0.3}})
	bin := buildWorker(t)
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 250, Seed: 8})

	first := e.workerProcess(t, bin)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true, ActivityTimeout: 5 * time.Second})
	require.NoError(t, err)

	// Kill the worker once passphrase creation is well under way.
	require.Eventually(t, func() bool { return held(e) >= 120 }, 2*time.Minute, 50*time.Millisecond)
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_, _ = first.Process.Wait()
	killedAt := held(e)
	require.Less(t, killedAt, 500, "the worker died mid-migration")

	e.workerProcess(t, bin)
	res, err := e.svc.Wait(ctx, st.WorkflowID)
	require.NoError(t, err)
	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res)
	require.Equal(t, 500, res.Totals.Created+res.Totals.Adopted)
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}

func held(e *env) int {
	n := 0
	for _, p := range e.sim.Inventory(e.tenant).Pools {
		n += len(p.Passphrases)
	}
	return n
}
