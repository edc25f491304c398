// Package stack starts the pieces of a local dpskmigrate stack for tests and
// benchmarks: the pinned Temporal CLI's dev server, the R1 simulator and
// in-process workers.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// TemporalCLI returns the pinned Temporal CLI: $DPSKMIGRATE_TEMPORAL_CLI, or
// bin/temporal at the module root (built by `make temporal`).
func TemporalCLI() (string, error) {
	if p := os.Getenv("DPSKMIGRATE_TEMPORAL_CLI"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("DPSKMIGRATE_TEMPORAL_CLI=%s: %w (run `make temporal`)", p, err)
		}
		return p, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "bin", "temporal")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the Temporal CLI is not built at %s: run `make temporal` (or `make test`, which builds it)", p)
	}
	return p, nil
}

// ModuleRoot is the directory holding go.mod, found from the working directory up.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// StartTemporal starts a dev server (in-memory SQLite) from the pinned CLI.
func StartTemporal(ctx context.Context, logs io.Writer) (*testsuite.DevServer, error) {
	cli, err := TemporalCLI()
	if err != nil {
		return nil, err
	}
	if logs == nil {
		logs = io.Discard
	}
	return testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: cli,
		LogLevel:     "error",
		ExtraArgs:    SearchAttributeArgs(),
		Stdout:       logs,
		Stderr:       logs,
		ClientOptions: &client.Options{
			Logger: quietLogger{},
		},
	})
}

// SearchAttributeArgs registers the workflows' search attributes on a dev
// server (temporal server start-dev --search-attribute NAME=TYPE ...).
func SearchAttributeArgs() []string {
	var args []string
	for _, name := range slices.Sorted(maps.Keys(workflows.SearchAttributes)) {
		args = append(args, "--search-attribute", name+"="+workflows.SearchAttributes[name])
	}
	return args
}

// Sim is an R1 simulator served over real HTTP on loopback.
type Sim struct {
	*r1sim.Sim
	Server *httptest.Server
}

// StartSim serves a simulator with opts.
func StartSim(opts r1sim.Options) *Sim {
	s := r1sim.New(opts)
	return &Sim{Sim: s, Server: httptest.NewServer(s)}
}

// Close stops the simulator's server.
func (s *Sim) Close() { s.Server.Close() }

// R1Config returns client settings for tenant on the simulator.
func (s *Sim) R1Config(tenant string) r1client.Config {
	return r1client.Config{BaseURL: s.Server.URL, TenantID: tenant, ClientID: "dpskmigrate-test", ClientSecret: "test-secret", Timeout: 5 * time.Second}
}

// WorkerConfig returns a worker configuration for tenant on the simulator.
func (s *Sim) WorkerConfig(tenant, taskQueue, exportDir string) worker.Config {
	return worker.Config{
		TaskQueue:               taskQueue,
		ExportDir:               exportDir,
		R1:                      s.R1Config(tenant),
		CallsPerMinute:          100000,
		MaxConcurrentActivities: 50,
	}
}

// RunWithTemporal runs a test package against one dev server, started before
// its tests and stopped after them; call it from TestMain.
func RunWithTemporal(m *testing.M, use func(*testsuite.DevServer)) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := StartTemporal(ctx, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the Temporal dev server:", err)
		return 1
	}
	defer srv.Stop()
	use(srv)
	return m.Run()
}
