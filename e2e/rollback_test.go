package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// r1 is a client on the test's simulator, for setting R1 up as a person would.
func (e *env) r1() *r1client.Client {
	e.t.Helper()
	c, err := r1client.New(e.sim.R1Config(e.tenant))
	require.NoError(e.t, err)
	return c
}

// adoptedPool makes R1 hold, before the migration, the plan's unit as a pool
// someone made: its group, the pool with a longer minimum length and another
// policy set attached, row 0 exactly as the export has it (adopted), row 1
// with VLAN 7 (patched) and row 2's username with another passphrase
// (conflict).
func (e *env) adoptedPool(u cloudpath.PoolUnit) {
	e.t.Helper()
	ctx := context.Background()
	c := e.r1()
	set, err := c.PolicySets.Create(ctx, "Old set", "")
	require.NoError(e.t, err)
	g, err := c.IdentityGroups.Create(ctx, u.IdentityGroupName, "theirs")
	require.NoError(e.t, err)
	p, err := c.Pools.Create(ctx, g.ID, r1client.Pool{Name: u.PoolName, PassphraseFormat: u.Settings.PassphraseFormat, PassphraseLength: u.Settings.PassphraseLength})
	require.NoError(e.t, err)
	_, err = c.Pools.AttachPolicySet(ctx, p.ID, set.ID)
	require.NoError(e.t, err)
	for i, vlan := range []int{u.Rows[0].VLANID, 7} {
		r := u.Rows[i]
		_, err := c.Passphrases.Create(ctx, p.ID, r1client.PassphraseCreate{Passphrase: r.Passphrase, Username: r.Username, VLANID: vlan,
			NumberOfDevicesType: r.NumberOfDevicesType, NumberOfDevices: r.NumberOfDevices, ExpirationDate: r.ExpirationDate})
		require.NoError(e.t, err)
	}
	_, err = c.Passphrases.Create(ctx, p.ID, r1client.PassphraseCreate{Passphrase: "someone-elses-passphrase", Username: u.Rows[2].Username})
	require.NoError(e.t, err)
	longer := u.Settings.PassphraseLength + 2 // the migration lowers it
	_, err = c.Pools.Patch(ctx, p.ID, r1client.PoolPatch{PassphraseLength: &longer})
	require.NoError(e.t, err)
}

// snapshot is R1's content without the ids R1 makes up, comparable across runs.
func snapshot(t *testing.T, inv r1sim.Inventory) string {
	inv.Tenant = ""
	b, err := json.Marshal(inv)
	require.NoError(t, err)
	return string(b)
}

func TestRollbackRestoresR1AsItWasAndKeepsWhatOthersAdded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 12, Seed: 61})
	opts := e.planOptions()
	plan, err := migrations.Check(export, opts)
	require.NoError(t, err)
	e.adoptedPool(plan.Units[1])
	before := snapshot(t, e.sim.Inventory(e.tenant))

	st, res := e.migrate(export, migrations.Options{Plan: opts, ParallelExecution: true, PolicySetName: "Residents"})
	require.Equal(t, workflows.StatusPartial, res.Status, "the conflict")
	require.Equal(t, 1, res.Totals.Adopted)
	require.Equal(t, 1, res.Totals.Patched)
	require.Equal(t, 1, res.Totals.Conflicts)

	// A person adds a passphrase to a pool the migration created.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := e.r1()
	created, err := c.Pools.FindByName(ctx, plan.Units[0].PoolName)
	require.NoError(t, err)
	_, err = c.Passphrases.Create(ctx, created.ID, r1client.PassphraseCreate{Passphrase: "added-by-hand-1", Username: "hand"})
	require.NoError(t, err)

	pv, err := e.svc.PreviewRollback(ctx, st.WorkflowID)
	require.NoError(t, err)
	t.Logf("preview: %+v", pv.Totals)
	require.Equal(t, 12+12+9, pv.Totals.Passphrases, "created rows of three pools")
	require.Equal(t, 1, pv.Totals.VLANs)
	require.Equal(t, 2, pv.Totals.Pools)
	require.Equal(t, 2, pv.Totals.Groups)
	require.Equal(t, 1, pv.Totals.PolicySets)
	require.Equal(t, 3+1, pv.Totals.Restores, "three attachments and one pool length")
	require.Positive(t, pv.Totals.EstimatedR1Calls)
	require.NotEqual(t, before, snapshot(t, e.sim.Inventory(e.tenant)), "the preview runs after the migration changed R1")

	sw, err := e.svc.StartRollback(ctx, st.WorkflowID, migrations.SweepOptions{})
	require.NoError(t, err)
	rb, err := e.svc.WaitRollback(ctx, sw.WorkflowID)
	require.NoError(t, err)
	t.Logf("rollback: %s %+v pools %+v", rb.Status, rb.Totals, rb.Pools)
	require.Equal(t, workflows.StatusPartial, rb.Status, "the pool with the hand-made passphrase is kept")
	kept := slices.IndexFunc(rb.Pools, func(p workflows.RollbackPoolResult) bool { return p.Key == plan.Units[0].Key })
	require.GreaterOrEqual(t, kept, 0)
	require.Contains(t, rb.Pools[kept].Kept[0], "holds 1 passphrase(s) the migration did not create")

	// R1 is as before, plus the kept pool (and its group) with the hand-made passphrase.
	after := e.sim.Inventory(e.tenant)
	var keptPool r1sim.InvPool
	after.Pools = slices.DeleteFunc(after.Pools, func(p r1sim.InvPool) bool {
		if p.Name == plan.Units[0].PoolName {
			keptPool = p
			return true
		}
		return false
	})
	after.IdentityGroups = slices.DeleteFunc(after.IdentityGroups, func(g r1sim.InvGroup) bool { return g.Name == plan.Units[0].IdentityGroupName })
	require.Len(t, keptPool.Passphrases, 1)
	require.Equal(t, "hand", keptPool.Passphrases[0].Username)
	require.Equal(t, before, snapshot(t, after), "everything else is as it was before the migration")

	// A second rollback changes nothing.
	sw2, err := e.svc.StartRollback(ctx, st.WorkflowID, migrations.SweepOptions{})
	require.NoError(t, err)
	rb2, err := e.svc.WaitRollback(ctx, sw2.WorkflowID)
	require.NoError(t, err)
	require.Zero(t, rb2.Totals.Passphrases+rb2.Totals.Pools+rb2.Totals.Groups+rb2.Totals.VLANs+rb2.Totals.PolicySets)
	after2 := e.sim.Inventory(e.tenant)
	require.Equal(t, snapshot(t, e.sim.Inventory(e.tenant)), snapshot(t, after2))
}

func TestVerifyIsCleanAfterAMigrationAndNamesWhatChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 15, Seed: 62})
	opts := e.planOptions()
	st, res := e.migrate(export, migrations.Options{Plan: opts, ParallelExecution: true})
	require.Equal(t, workflows.StatusCompleted, res.Status)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	verify := func() workflows.VerifyResult {
		sw, err := e.svc.StartVerify(ctx, st.WorkflowID, migrations.SweepOptions{})
		require.NoError(t, err)
		v, err := e.svc.WaitVerify(ctx, sw.WorkflowID)
		require.NoError(t, err)
		return v
	}
	v := verify()
	require.Equal(t, workflows.VerifyMatch, v.Status, "%+v", v)
	require.Equal(t, workflows.VerifyCounts{Expected: 30, Matched: 30}, v.Totals)

	// Tamper: delete row 3 of the first pool, change row 5's VLAN, add a passphrase.
	plan, err := migrations.Check(export, opts)
	require.NoError(t, err)
	u := plan.Units[0]
	c := e.r1()
	pool, err := c.Pools.FindByName(ctx, u.PoolName)
	require.NoError(t, err)
	page, err := c.Passphrases.Query(ctx, pool.ID, r1client.PassphraseQuery{Page: 1, PageSize: 50, Usernames: []string{u.Rows[3].Username, u.Rows[5].Username}})
	require.NoError(t, err)
	for _, p := range page.Items {
		if p.Username == u.Rows[3].Username {
			_, err = c.Passphrases.Delete(ctx, pool.ID, []string{p.ID})
		} else {
			vlan := 999
			_, err = c.Passphrases.Patch(ctx, pool.ID, p.ID, r1client.PassphrasePatch{VLANID: &vlan})
		}
		require.NoError(t, err)
	}
	_, err = c.Passphrases.Create(ctx, pool.ID, r1client.PassphraseCreate{Passphrase: "a-stranger-1234", Username: "stranger"})
	require.NoError(t, err)

	v = verify()
	require.Equal(t, workflows.VerifyDifferent, v.Status)
	require.Equal(t, workflows.VerifyCounts{Expected: 30, Matched: 28, Missing: 1, Changed: 1, Extra: 1}, v.Totals)
	pools, err := e.svc.VerifyPools(ctx, v.Pools[0].WorkflowID[:len(v.Pools[0].WorkflowID)-len("/pool/"+v.Pools[0].Key)], []string{u.Key})
	require.NoError(t, err)
	pr := pools[u.Key]
	require.Equal(t, "3", pr.Missing.String(), "exactly the deleted row")
	require.Len(t, pr.Changed, 1)
	require.Equal(t, 5, pr.Changed[0].Row)
	require.Equal(t, []string{"vlan"}, pr.Changed[0].Fields)
	require.Equal(t, "stranger", pr.Extra[0].Username)
}

func TestRollingBackACancelledMigrationRemovesWhatItCreated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{Latency: r1sim.Latency{Median: 60 * time.Millisecond}})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 60, Seed: 63})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true, MaxConcurrent: 2})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return held(e) >= 40 }, 2*time.Minute, 20*time.Millisecond)
	require.NoError(t, e.svc.Cancel(ctx, st.WorkflowID))
	res, err := e.svc.Wait(ctx, st.WorkflowID)
	require.NoError(t, err)
	require.Equal(t, workflows.StatusCanceled, res.Status)
	pv, err := e.svc.PreviewRollback(ctx, st.WorkflowID)
	require.NoError(t, err)
	require.Positive(t, pv.Totals.Passphrases, "the cancelled pools recorded what they created")

	e.rollBackCompletely(ctx, st.WorkflowID)
	inv := e.sim.Inventory(e.tenant)
	require.Empty(t, inv.Pools, "R1 is as before the migration: empty")
	require.Empty(t, inv.IdentityGroups)
}

func TestARollbackKilledMidwayEndsAsACleanOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 600, Seed: 64})
	st, res := e.migrate(export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true})
	require.Equal(t, workflows.StatusCompleted, res.Status)
	e.workers.Stop()

	// The rollback runs on a worker process that is killed once deleting began.
	require.NoError(t, e.sim.Configure(r1sim.Settings{LatencyMedian: ptr(r1sim.Duration(150 * time.Millisecond))}))
	bin := buildWorker(t)
	first := e.workerProcess(t, bin)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sw, err := e.svc.StartRollback(ctx, st.WorkflowID, migrations.SweepOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return e.sim.Stats().Calls["DELETE /dpskServices/{id}/passphrases"] > 0
	}, 2*time.Minute, 20*time.Millisecond)
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_, _ = first.Process.Wait()
	e.workerProcess(t, bin)
	rb, err := e.svc.WaitRollback(ctx, sw.WorkflowID)
	require.NoError(t, err)
	require.Equal(t, workflows.StatusCompleted, rb.Status, "%+v", rb.Pools)
	inv := e.sim.Inventory(e.tenant)
	require.Empty(t, inv.Pools)
	require.Empty(t, inv.IdentityGroups)
	require.Empty(t, inv.PolicySets)
}

func ptr[T any](v T) *T { return &v }

// TestCancellingDuringSetupLeavesNothingARollbackMisses cancels a migration
// while R1 is still creating a pool's identity group or DPSK pool: the record
// names what R1 made anyway, so the rollback leaves R1 empty.
func TestCancellingDuringSetupLeavesNothingARollbackMisses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		op   string        // cancel once R1 has seen this create...
		wait time.Duration // ... and this long after
	}{
		{"while the group's create is on its way", r1sim.OpCreateGroup, 0},
		{"while R1 works on the pool", r1sim.OpCreatePool, 2500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, r1sim.Options{Latency: r1sim.Latency{Median: 2 * time.Second}, ActivityPendingFor: 8 * time.Second, VisibilityDelay: time.Second})
			e.startWorker(e.workerConfig())
			export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 5, Seed: 64})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true, MaxConcurrent: 2})
			require.NoError(t, err)
			require.Eventually(t, func() bool { return e.sim.Stats().Calls[tc.op] >= 1 }, time.Minute, 10*time.Millisecond)
			time.Sleep(tc.wait)
			require.NoError(t, e.svc.Cancel(ctx, st.WorkflowID))
			res, err := e.svc.Wait(ctx, st.WorkflowID)
			require.NoError(t, err)
			require.Equal(t, workflows.StatusCanceled, res.Status, "%+v", res.Pools)
			require.NotEmpty(t, e.sim.Inventory(e.tenant).IdentityGroups, "R1 made something before the cancellation (else this test shows nothing)")

			e.rollBackCompletely(ctx, st.WorkflowID)
			inv := e.sim.Inventory(e.tenant)
			require.Empty(t, inv.Pools, "R1 is as before the migration: empty")
			require.Empty(t, inv.IdentityGroups)
		})
	}
}

// rollBackCompletely rolls migrationID back and requires the rollback to
// complete (nothing kept); it returns the result for further checks.
func (e *env) rollBackCompletely(ctx context.Context, migrationID string) workflows.RollbackResult {
	e.t.Helper()
	sw, err := e.svc.StartRollback(ctx, migrationID, migrations.SweepOptions{})
	require.NoError(e.t, err)
	rb, err := e.svc.WaitRollback(ctx, sw.WorkflowID)
	require.NoError(e.t, err)
	require.Equal(e.t, workflows.StatusCompleted, rb.Status, "%+v", rb.Pools)
	return rb
}
