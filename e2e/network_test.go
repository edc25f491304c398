package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// perPool is a plan that puts every pool on the air on venue, each pool on
// its own SSID ("<display name> WiFi", cut to R1's 32 characters).
func (e *env) perPool(export []byte, venue string) cloudpath.PlanOptions {
	e.t.Helper()
	opts := e.planOptions()
	opts.NetworkMode = cloudpath.NetworkPerPool
	opts.Venues = []string{venue}
	exp, err := cloudpath.ParseBytes(export, cloudpath.ParseOptions{})
	require.NoError(e.t, err)
	opts.SSIDMap = map[string]string{}
	for i, p := range exp.Pools {
		opts.SSIDMap[p.DisplayName] = fmt.Sprintf("Res %c%d", 'A'+i%26, i)
	}
	return opts
}

// requireOnTheAir checks R1's networks against the plan: per pool exactly one
// DPSK network of its SSID and name, bound to its pool, active venue-wide on
// the venues it lists (by id), and no other network of ours.
func (e *env) requireOnTheAir(export []byte, opts cloudpath.PlanOptions, venueIDs ...string) {
	e.t.Helper()
	t := e.t
	plan, err := migrations.Check(export, opts)
	require.NoError(t, err)
	inv := e.sim.Inventory(e.tenant)
	pools := map[string]string{}
	for _, p := range inv.Pools {
		pools[p.Name] = p.ID
	}
	for _, u := range plan.Units {
		var match []r1sim.InvNetwork
		for _, n := range inv.Networks {
			if n.SSID == u.Network.SSID {
				match = append(match, n)
			}
		}
		require.Len(t, match, 1, "one network with SSID %q", u.Network.SSID)
		n := match[0]
		require.Equal(t, "dpsk", n.Type)
		require.Equal(t, u.Network.Name, n.Name)
		require.True(t, r1client.SameID(pools[u.PoolName], n.DPSKPoolID), "network %q is bound to pool %q", n.Name, u.PoolName)
		for _, v := range venueIDs {
			active := false
			for _, a := range n.Activations {
				active = active || (r1client.SameID(a.VenueID, v) && a.IsAllApGroups)
			}
			require.True(t, active, "network %q is on the air on venue %s", n.Name, v)
		}
	}
}

func (e *env) seedVenue(name string, apGroups []string, networksPerGroup int) r1sim.SeededVenue {
	e.t.Helper()
	v, err := e.sim.AddVenue(e.tenant, r1sim.VenueSeed{Name: name, APGroups: apGroups, NetworksPerAPGroup: networksPerGroup})
	require.NoError(e.t, err)
	return v
}

func TestPerPoolNetworksGoOnTheAirAndAReRunCreatesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	venue := e.seedVenue("Campus North", []string{"Floor 1", "Floor 2"}, 3)
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 20, Seed: 51})
	opts := e.perPool(export, venue.Name)

	first, res := e.migrate(export, migrations.Options{Plan: opts, ParallelExecution: true})
	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res.Pools)
	e.requireInventoryEqualsExport(export, opts)
	e.requireOnTheAir(export, opts, venue.ID)
	e.requireReportedNetworks(first.WorkflowID, 3, []string{report.NetworkCreated}, report.ActivationCreated, venue.ID)
	for _, p := range res.Pools {
		require.NotNil(t, p.Network, "the result names the network")
		require.True(t, p.Network.Created)
		require.Len(t, p.Network.Activations, 1)
		require.True(t, p.Network.Activations[0].Created)
		require.Equal(t, venue.Name, p.Network.Activations[0].VenueName)
	}

	before := e.sim.Stats()
	second, again := e.migrate(export, migrations.Options{Plan: opts, ParallelExecution: true})
	require.Equal(t, workflows.StatusCompleted, again.Status, "%+v", again.Pools)
	// Found again; bound again when R1's list does not show the binding (idempotent).
	e.requireReportedNetworks(second.WorkflowID, 3, []string{report.NetworkAdopted, report.NetworkBound}, report.ActivationAlready, venue.ID)
	after := e.sim.Stats()
	for _, op := range []string{"POST /wifiNetworks", "PUT /venues/{id}/wifiNetworks/{id}", "POST /identityGroups", "POST /dpskServices/{id}/passphrases"} {
		require.Equal(t, before.Calls[op], after.Calls[op], "the re-run made no %s", op)
	}
	for _, p := range again.Pools {
		require.False(t, p.Network.Created, "adopted")
		require.False(t, p.Network.Activations[0].Created, "active already")
	}
	e.requireOnTheAir(export, opts, venue.ID)
}

func TestPoolsSharingAnSSIDMergeIntoOnePoolAndOneNetwork(t *testing.T) {
	t.Parallel()
	root, err := stack.ModuleRoot()
	require.NoError(t, err)
	export, err := os.ReadFile(filepath.Join(root, "examples", "sample-export.json"))
	require.NoError(t, err)
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	venue := e.seedVenue("Residence Halls", nil, 0)
	opts := e.planOptions()
	opts.NetworkMode, opts.MergeBySSID, opts.Venues = cloudpath.NetworkPerPool, true, []string{venue.ID}

	_, res := e.migrate(export, migrations.Options{Plan: opts, ParallelExecution: true})
	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res.Pools)
	require.Len(t, res.Pools, 1, "the 8 pools on SSID Residents are one")
	require.Equal(t, 480, res.Totals.Created)
	inv := e.sim.Inventory(e.tenant)
	require.Len(t, inv.Pools, 1)
	require.Len(t, inv.Networks, 1)
	require.Len(t, inv.Pools[0].Passphrases, 480)
	e.requireInventoryEqualsExport(export, opts)
	e.requireOnTheAir(export, opts, venue.ID)
}

func TestTwoPoolsRacingForAVenuesLastSlotActivateOnlyOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	venue := e.seedVenue("Stadium", []string{"East", "West"}, workflows.DefaultMaxSSIDsPerAPGroup-1) // one slot left
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 10, Seed: 52})
	opts := e.perPool(export, venue.Name)

	_, res := e.migrate(export, migrations.Options{Plan: opts, ParallelExecution: true, MaxConcurrent: 2})
	require.Equal(t, workflows.StatusPartial, res.Status)
	active, refused := 0, 0
	for _, p := range res.Pools {
		require.Equal(t, 10, p.Counts.Created, "the passphrases migrated either way")
		require.NotNil(t, p.Network)
		require.True(t, p.Network.Created, "both networks exist, bound")
		if len(p.Network.Activations) == 1 {
			active++
			continue
		}
		refused++
		require.Equal(t, workflows.StatusPartial, p.Status)
		require.Contains(t, p.Error, "the limit is 15 per AP group", "the reason names the limit")
	}
	require.Equal(t, 1, active)
	require.Equal(t, 1, refused)
	for _, g := range e.sim.Inventory(e.tenant).Venues[0].APGroups {
		require.LessOrEqual(t, g.SSIDCount, workflows.DefaultMaxSSIDsPerAPGroup, "AP group %s", g.Name)
	}
}

func TestAnSSIDHeldByAnotherKindOfNetworkIsRefusedAndLeftAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	venue := e.seedVenue("Library", nil, 0)
	export := sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 10, Seed: 53})
	opts := e.perPool(export, venue.Name)
	var ssid string
	for _, v := range opts.SSIDMap {
		ssid = v
	}
	pskID, err := e.sim.AddNetwork(e.tenant, r1sim.NetworkSeed{Name: "Guest " + ssid, SSID: ssid, Type: "psk"})
	require.NoError(t, err)
	before := e.sim.Inventory(e.tenant).Networks

	_, res := e.migrate(export, migrations.Options{Plan: opts})
	require.Equal(t, workflows.StatusPartial, res.Status)
	require.Contains(t, res.Pools[0].Error, "not a DPSK network and was left untouched")
	require.Equal(t, 10, res.Totals.Created, "the passphrases migrated")
	after := e.sim.Inventory(e.tenant).Networks
	require.Equal(t, before, after, "R1's networks are as they were")
	require.Equal(t, pskID, after[0].ID)
}

// TestNetworkStepsHoldUnderEveryBehaviourR1MightHave runs a small per-pool
// migration and its re-run under each simulator switch for what the R1
// contract leaves open, with half the network writes losing their answer so
// the retried create, bind and activation paths run.
func TestNetworkStepsHoldUnderEveryBehaviourR1MightHave(t *testing.T) {
	t.Parallel()
	lossy := r1sim.Faults{CommitThenFailRate: 0.5, CommitThenFailOps: []string{r1sim.OpCreateNetwork, r1sim.OpBindPool, r1sim.OpActivateNetwork}}
	for _, tc := range []struct {
		name string
		nb   r1sim.NetworkBehaviour
	}{
		{"defaults", r1sim.NetworkBehaviour{}},
		{"limit refused in the activity", r1sim.NetworkBehaviour{LimitRefusal: "async"}},
		{"other wording", r1sim.NetworkBehaviour{Wording: "b"}},
		{"re-activation succeeds", r1sim.NetworkBehaviour{AlreadyActive: "success"}},
		{"duplicate network is a 409", r1sim.NetworkBehaviour{Duplicate: "conflict"}},
		{"rebinding refused", r1sim.NetworkBehaviour{Rebind: "refuse"}},
		{"GET lags", r1sim.NetworkBehaviour{StaleGet: "lag"}},
		{"GET is current", r1sim.NetworkBehaviour{StaleGet: "current"}},
		{"R1 names the bound pool", r1sim.NetworkBehaviour{ExposePool: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, r1sim.Options{Networks: tc.nb, Faults: lossy, Seed: 54})
			cfg := e.workerConfig()
			cfg.R1.Timeout = 2 * time.Second
			e.startWorker(cfg)
			venue := e.seedVenue("Annex", []string{"Ground"}, 2)
			export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 5, Seed: 54})
			opts := e.perPool(export, venue.Name)
			for run := 0; run < 2; run++ {
				_, res := e.migrate(export, migrations.Options{Plan: opts, ParallelExecution: true})
				require.Equal(t, workflows.StatusCompleted, res.Status, "run %d: %+v", run, res.Pools)
			}
			e.requireInventoryEqualsExport(export, opts)
			e.requireOnTheAir(export, opts, venue.ID)
			require.Len(t, e.sim.Inventory(e.tenant).Networks, 2*2+2, "our two networks and the two seeded per group")
		})
	}
}

func TestAWorkerKilledDuringActivationEndsAsACleanRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{VisibilityDelay: 2 * time.Second})
	bin := buildWorker(t)
	venue := e.seedVenue("Depot", []string{"Dock"}, 1)
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 15, Seed: 55})
	opts := e.perPool(export, venue.Name)

	first := e.workerProcess(t, bin)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := e.svc.Start(ctx, export, migrations.Options{Plan: opts, ParallelExecution: true, ActivityTimeout: 5 * time.Second})
	require.NoError(t, err)
	// Kill it once an activation has been asked of R1.
	require.Eventually(t, func() bool {
		return e.sim.Stats().Calls["PUT /venues/{id}/wifiNetworks/{id}"] > 0
	}, 3*time.Minute, 20*time.Millisecond)
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_, _ = first.Process.Wait()

	e.workerProcess(t, bin)
	res, err := e.svc.Wait(ctx, st.WorkflowID)
	require.NoError(t, err)
	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res.Pools)
	e.requireInventoryEqualsExport(export, opts)
	e.requireOnTheAir(export, opts, venue.ID)
	require.Len(t, e.sim.Inventory(e.tenant).Networks, 3+2, "three networks of ours, and the seeded ones")
	for _, p := range res.Pools {
		require.True(t, strings.HasPrefix(p.Network.SSID, "Res "))
	}
}

// A rollback takes what a run put on the air off it, in the contract's order
// (deactivate, then delete the network, then the pool and group), and leaves
// the networks it found on the venue as they were.
func TestRollingBackPerPoolNetworksTakesThemOffTheAirAndLeavesTheVenueAsItWas(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	venue := e.seedVenue("Campus West", []string{"Floor 1"}, 2)
	before := e.sim.Inventory(e.tenant).Networks
	require.NotEmpty(t, before, "the venue has networks of its own")
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 15, Seed: 57})
	opts := e.perPool(export, venue.Name)

	st, res := e.migrate(export, migrations.Options{Plan: opts, ParallelExecution: true})
	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res.Pools)
	e.requireOnTheAir(export, opts, venue.ID)
	require.Len(t, e.sim.Inventory(e.tenant).Networks, len(before)+2)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pv, err := e.svc.PreviewRollback(ctx, st.WorkflowID)
	require.NoError(t, err)
	require.Equal(t, 2, pv.Totals.Networks, "the preview names both networks")
	rb := e.rollBackCompletely(ctx, st.WorkflowID)
	require.Equal(t, 2, rb.Totals.Networks)
	require.Equal(t, 2, rb.Totals.Activations)

	inv := e.sim.Inventory(e.tenant)
	require.Empty(t, inv.Pools)
	require.Empty(t, inv.IdentityGroups)
	require.ElementsMatch(t, before, inv.Networks, "the venue's own networks, active where they were; ours gone")
}

// requireReportedNetworks checks the report's networks: one per pool, each
// with one of the outcomes and one activation on venueID with its outcome.
func (e *env) requireReportedNetworks(migrationID string, pools int, outcomes []string, activation, venueID string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := e.svc.Report(ctx, migrationID)
	require.NoError(e.t, err)
	require.Len(e.t, rep.Networks, pools)
	for _, n := range rep.Networks {
		require.Contains(e.t, outcomes, n.Outcome, "%+v", n)
		require.NotEmpty(e.t, n.NetworkID)
		require.Len(e.t, n.Activations, 1)
		require.True(e.t, r1client.SameID(venueID, n.Activations[0].VenueID))
		require.Equal(e.t, activation, n.Activations[0].Outcome)
	}
}
