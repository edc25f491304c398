package main

// These tests run the real dpskmigrate binary as a process against the pinned
// Temporal CLI's dev server, the R1 simulator over HTTP and an in-process
// worker, and check what a person sees: output, exit codes, and that no
// output ever holds a passphrase.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

var (
	binary      string // the dpskmigrate binary under test
	temporalCLI string
	temporalC   client.Client
	frontend    string
	seq         atomic.Int64
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "dpskmigrate-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "dpskmigrate")

	// Build the binary while the dev server starts.
	var wg sync.WaitGroup
	var buildErr error
	var buildOut []byte
	wg.Add(1)
	go func() {
		defer wg.Done()
		cmd := exec.Command(goTool(), "build", "-o", binary, ".")
		buildOut, buildErr = cmd.CombinedOutput()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := stack.StartTemporal(ctx, nil)
	wg.Wait()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the Temporal dev server:", err)
		return 1
	}
	defer srv.Stop()
	if buildErr != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", buildErr, buildOut)
		return 1
	}
	temporalCLI, err = stack.TemporalCLI()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	temporalC, frontend = srv.Client(), srv.FrontendHostPort()
	return m.Run()
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// env is one test's stack: its task queue, simulator tenant, export store and worker.
type env struct {
	t         *testing.T
	queue     string
	tenant    string
	sim       *stack.Sim
	exportDir string
	home      string
	svc       *migrations.Service
	vars      map[string]string // the CLI's environment
	secrets   []string          // passphrases no output may contain
}

func newEnv(t *testing.T) *env {
	t.Helper()
	n := seq.Add(1)
	e := &env{
		t:      t,
		queue:  fmt.Sprintf("cli-%d-%s", n, strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))),
		tenant: fmt.Sprintf("tenant-%d", n),
		home:   t.TempDir(),
	}
	e.sim = stack.StartSim(r1sim.Options{ActivityNotFoundFor: 100 * time.Millisecond, ActivityPendingFor: 200 * time.Millisecond})
	t.Cleanup(e.sim.Close)
	store, err := exportstore.New(filepath.Join(t.TempDir(), "exports")) // t.TempDir() is 0755: the store makes a 0700 one
	require.NoError(t, err)
	e.exportDir = store.Dir
	e.svc = &migrations.Service{Temporal: temporalC, Store: store, TaskQueue: e.queue}
	r1 := e.sim.R1Config(e.tenant)
	e.vars = map[string]string{
		"HOME":                   e.home,
		"PATH":                   os.Getenv("PATH"),
		"TEMPORAL_ADDRESS":       frontend,
		"TEMPORAL_NAMESPACE":     "default",
		"TEMPORAL_UI_URL":        "http://ui.test:8233",
		"DPSKMIGRATE_TASK_QUEUE": e.queue,
		"DPSKMIGRATE_EXPORT_DIR": e.exportDir,
		"R1_BASE_URL":            r1.BaseURL,
		"R1_TENANT_ID":           r1.TenantID,
		"R1_CLIENT_ID":           r1.ClientID,
		"R1_CLIENT_SECRET":       r1.ClientSecret,
	}
	return e
}

// startWorker runs an in-process worker with R1 budget callsPerMinute (0 = unlimited for tests).
func (e *env) startWorker(callsPerMinute int) {
	e.t.Helper()
	cfg := e.sim.WorkerConfig(e.tenant, e.queue, e.exportDir)
	if callsPerMinute > 0 {
		cfg.CallsPerMinute = callsPerMinute
	}
	w, err := worker.New(temporalC, cfg)
	require.NoError(e.t, err)
	require.NoError(e.t, w.Start())
	e.t.Cleanup(w.Stop)
}

// export writes a sample export to a file and remembers its passphrases.
func (e *env) export(spec sampledata.Spec) string {
	e.t.Helper()
	for _, p := range sampledata.Build(spec).DPSKPools {
		for _, d := range p.DPSKs {
			if len(d.Passphrase) >= 6 {
				e.secrets = append(e.secrets, d.Passphrase)
			}
		}
	}
	path := filepath.Join(e.t.TempDir(), "export.json")
	require.NoError(e.t, os.WriteFile(path, sampledata.JSON(spec), 0o600))
	return path
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// run runs the CLI and checks that its output holds no passphrase.
func (e *env) run(args ...string) result {
	e.t.Helper()
	return e.runWith(nil, args...)
}

func (e *env) runWith(extra map[string]string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	for k, v := range e.vars {
		if _, ok := extra[k]; !ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range extra {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	case err != nil:
		e.t.Fatalf("running dpskmigrate %s: %v", strings.Join(args, " "), err)
	}
	for _, s := range e.secrets {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			e.t.Fatalf("dpskmigrate %s printed a passphrase of the export:\n%s", strings.Join(args, " "), r)
		}
	}
	return r
}

// startedID reads the migration ID from start's output.
func startedID(t *testing.T, r result) string {
	t.Helper()
	for _, line := range strings.Split(r.stdout, "\n") {
		if rest, ok := strings.CutPrefix(line, "Started migration "); ok {
			return strings.Fields(rest)[0]
		}
	}
	t.Fatalf("no migration ID in:\n%s", r)
	return ""
}

func (e *env) wait(id string) workflows.MigrationResult {
	e.t.Helper()
	// Three minutes: some tests run the worker at two R1 calls a second, and a
	// cancelled migration's pools still finish their calls in flight and read
	// what R1 holds, behind the other migration's calls, on a loaded CI machine.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := e.svc.Wait(ctx, id)
	if err != nil {
		// Where it stands, for the log: its progress and each running pool's.
		dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer dcancel()
		if p, perr := e.svc.Progress(dctx, id); perr == nil {
			e.t.Logf("migration %s: %+v", id, p)
			for _, r := range p.Running {
				pp, _ := e.svc.PoolProgress(dctx, r.WorkflowID)
				e.t.Logf("pool %s: %+v", r.WorkflowID, pp)
			}
		}
	}
	require.NoError(e.t, err)
	return res
}
