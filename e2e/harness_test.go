// Package e2e runs whole migrations on the real stack: the pinned Temporal
// CLI's dev server, workers, and the R1 simulator over HTTP. Every test ends by
// comparing what R1 holds (the simulator's inventory) with the export.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

var (
	devServer *testsuite.DevServer
	temporalC client.Client
	testSeq   atomic.Int64
)

func TestMain(m *testing.M) {
	code := stack.RunWithTemporal(m, func(srv *testsuite.DevServer) {
		devServer, temporalC = srv, srv.Client()
	})
	if workerBuild.dir != "" {
		_ = os.RemoveAll(workerBuild.dir)
	}
	os.Exit(code)
}

// env is one test's stack: its own task queue, simulator, export store and worker.
type env struct {
	t       *testing.T
	queue   string
	tenant  string
	sim     *stack.Sim
	store   *exportstore.Store
	svc     *migrations.Service
	workers *worker.Workers
	now     time.Time
}

func newEnv(t *testing.T, simOpts r1sim.Options) *env {
	t.Helper()
	n := testSeq.Add(1)
	e := &env{
		t:      t,
		queue:  fmt.Sprintf("e2e-%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), n),
		tenant: fmt.Sprintf("tenant-%d", n),
		now:    time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
	}
	if simOpts.ActivityNotFoundFor == 0 {
		simOpts.ActivityNotFoundFor = 200 * time.Millisecond
	}
	if simOpts.ActivityPendingFor == 0 {
		simOpts.ActivityPendingFor = 300 * time.Millisecond
	}
	e.sim = stack.StartSim(simOpts)
	t.Cleanup(e.sim.Close)
	var err error
	e.store, err = exportstore.New(filepath.Join(t.TempDir(), "exports")) // t.TempDir() is 0755: the store makes a 0700 one
	require.NoError(t, err)
	e.svc = &migrations.Service{Temporal: temporalC, Store: e.store, TaskQueue: e.queue}
	return e
}

func (e *env) workerConfig() worker.Config {
	return e.sim.WorkerConfig(e.tenant, e.queue, e.store.Dir)
}

// startWorker runs an in-process worker until the test ends.
func (e *env) startWorker(cfg worker.Config) {
	e.t.Helper()
	w, err := worker.New(temporalC, cfg)
	require.NoError(e.t, err)
	require.NoError(e.t, w.Start())
	e.workers = w
	e.t.Cleanup(w.Stop)
}

func (e *env) planOptions() cloudpath.PlanOptions {
	return cloudpath.PlanOptions{Now: e.now}
}

// migrate starts a migration and waits for its result.
func (e *env) migrate(export []byte, opts migrations.Options) (migrations.Started, workflows.MigrationResult) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if opts.Plan.Now.IsZero() {
		opts.Plan = e.planOptions()
	}
	st, err := e.svc.Start(ctx, export, opts)
	require.NoError(e.t, err)
	res, err := e.svc.Wait(ctx, st.WorkflowID)
	if err != nil {
		e.explain(st.WorkflowID)
	}
	require.NoError(e.t, err)
	return st, res
}

// explain logs where a migration that did not finish in time stands: its
// progress and every pending activity of its pools.
func (e *env) explain(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st, err := e.svc.Status(ctx, id); err == nil {
		e.t.Logf("migration %s: state %s, progress %+v", id, st.State, st.Progress)
		if st.Progress != nil {
			for _, r := range st.Progress.Running {
				desc, err := temporalC.DescribeWorkflowExecution(ctx, r.WorkflowID, "")
				if err != nil {
					continue
				}
				p, _ := e.svc.PoolProgress(ctx, r.WorkflowID)
				e.t.Logf("pool %s: %+v", r.WorkflowID, p)
				for _, a := range desc.PendingActivities {
					e.t.Logf("  pending %s attempt %d state %s last failure: %v", a.ActivityType.GetName(), a.Attempt, a.State, a.LastFailure.GetMessage())
				}
			}
		}
	}
	e.t.Logf("simulator stats: %+v", e.sim.Stats())
}

// requireInventoryEqualsExport checks R1's end state: every row of the plan
// present exactly once with its passphrase, VLAN, device limit and expiry, in
// the pool and group the plan names; nothing else.
func (e *env) requireInventoryEqualsExport(export []byte, opts cloudpath.PlanOptions) {
	e.t.Helper()
	t := e.t
	if opts.Now.IsZero() {
		opts = e.planOptions()
	}
	exp, err := cloudpath.Parse(bytes.NewReader(export), cloudpath.ParseOptions{})
	require.NoError(t, err)
	plan, err := cloudpath.NewPlan(exp, opts)
	require.NoError(t, err)
	inv := e.sim.Inventory(e.tenant)

	groups := map[string]r1sim.InvGroup{}
	for _, g := range inv.IdentityGroups {
		_, dup := groups[g.Name]
		require.False(t, dup, "identity group %q exists twice", g.Name)
		groups[g.Name] = g
	}
	pools := map[string]r1sim.InvPool{}
	for _, p := range inv.Pools {
		_, dup := pools[p.Name]
		require.False(t, dup, "pool %q exists twice", p.Name)
		pools[p.Name] = p
	}
	require.Len(t, pools, len(plan.Units), "one R1 pool per planned pool")
	require.Len(t, groups, len(plan.Units), "one identity group per planned pool")

	for _, u := range plan.Units {
		g, ok := groups[u.IdentityGroupName]
		require.True(t, ok, "identity group %q missing", u.IdentityGroupName)
		p, ok := pools[u.PoolName]
		require.True(t, ok, "pool %q missing", u.PoolName)
		require.Equal(t, strings.ReplaceAll(g.ID, "-", ""), strings.ReplaceAll(p.IdentityGroupID, "-", ""), "pool %q is under its group", u.PoolName)
		require.Equal(t, u.Settings.PassphraseFormat, p.PassphraseFormat)
		require.LessOrEqual(t, p.PassphraseLength, u.Settings.PassphraseLength)

		held := map[string]r1sim.InvPassphrase{}
		for _, pp := range p.Passphrases {
			_, dup := held[pp.Username]
			require.False(t, dup, "pool %q holds %q twice", u.PoolName, pp.Username)
			held[pp.Username] = pp
		}
		require.Len(t, held, len(u.Rows), "pool %q holds exactly the planned rows", u.PoolName)
		for _, r := range u.Rows {
			pp, ok := held[r.Username]
			require.True(t, ok, "pool %q is missing %q", u.PoolName, r.Username)
			require.True(t, pp.Passphrase == r.Passphrase, "pool %q: %q has another passphrase", u.PoolName, r.Username)
			require.Equal(t, r.VLANID, pp.VLANID, "VLAN of %q", r.Username)
			require.Equal(t, r.NumberOfDevicesType, pp.NumberOfDevicesType, "device limit type of %q", r.Username)
			if r.NumberOfDevicesType == "LIMITED" {
				require.Equal(t, r.NumberOfDevices, pp.NumberOfDevices, "device limit of %q", r.Username)
			}
			requireSameInstant(t, r.ExpirationDate, pp.ExpirationDate, r.Username)
			require.NotEmpty(t, pp.IdentityID, "R1 made an identity for %q", r.Username)
		}
	}
}

func requireSameInstant(t *testing.T, want, got, who string) {
	t.Helper()
	if want == "" || got == "" {
		require.Equal(t, want, got, "expiry of %q", who)
		return
	}
	w, err := time.Parse(time.RFC3339, want)
	require.NoError(t, err)
	g, err := time.Parse(time.RFC3339Nano, got)
	require.NoError(t, err, "R1 expiry %q of %q", got, who)
	require.True(t, w.Equal(g), "expiry of %q: want %s, R1 has %s", who, want, got)
}
