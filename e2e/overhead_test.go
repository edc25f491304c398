package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// TestManySmallPoolsCostLessThanACallEachBeyondTheirCreates runs an export of
// many small pools on an R1 that shows writes a second late: the migration
// surveys R1 once, creates each group and pool without looking them up, sends
// a new pool's rows without reading it, and confirms everything with shared
// reads of R1's activities. R1 ends equal to the export, and every call beyond
// the creates (one per passphrase, group and pool) together stays under one
// per pool.
func TestManySmallPoolsCostLessThanACallEachBeyondTheirCreates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{Latency: r1sim.Latency{Median: 10 * time.Millisecond}, VisibilityDelay: time.Second})
	e.startWorker(e.workerConfig())
	const pools, rows = 30, 20
	export := sampledata.JSON(sampledata.Spec{Pools: pools, RowsPerPool: rows, Seed: 81})
	_, res := e.migrate(export, migrations.Options{ParallelExecution: true, MaxConcurrent: 10})
	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res.Pools)
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})

	st := e.sim.Stats().Tenants[e.tenant]
	creates := st.Calls[r1sim.OpCreatePassphrase] + st.Calls[r1sim.OpCreateGroup] + st.Calls[r1sim.OpCreatePool]
	require.Equal(t, res.Totals.Created+2*pools, creates, "one create per passphrase, group and pool")
	overhead := st.TotalCalls - creates
	t.Logf("%d pools × %d rows: %d R1 calls, %d beyond the creates (%.2f per pool): %v", pools, rows, st.TotalCalls, overhead, float64(overhead)/pools, st.Calls)
	require.Less(t, overhead, pools, "less than one call per pool beyond the creates")
	require.Zero(t, st.Calls["GET /activities/{id}"], "every R1 activity is read in bulk")
}

// TestAnR1ThatRefusesReferencesToUnfinishedObjectsStillGetsTheExport runs on
// an R1 that refuses a pool under a group, or a passphrase in a pool, it does
// not show yet: the pools wait for their groups and go on.
func TestAnR1ThatRefusesReferencesToUnfinishedObjectsStillGetsTheExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{VisibilityDelay: 1500 * time.Millisecond, RefuseUnfinishedParents: true})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 6, RowsPerPool: 15, Seed: 82})
	_, res := e.migrate(export, migrations.Options{ParallelExecution: true, MaxConcurrent: 3})
	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res.Pools)
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
	st := e.sim.Stats().Tenants[e.tenant]
	require.Equal(t, 6, st.Calls[r1sim.OpCreateGroup])
	t.Logf("calls: %v", st.Calls)
	require.Greater(t, st.Calls[r1sim.OpCreatePool], 6, "R1 refused pools under groups it did not show yet (else this test shows nothing)")

	// A second run adopts everything the survey finds and creates nothing.
	_, again := e.migrate(export, migrations.Options{ParallelExecution: true, MaxConcurrent: 3})
	require.Equal(t, workflows.StatusCompleted, again.Status)
	require.Zero(t, again.Totals.Created, fmt.Sprintf("%+v", again.Totals))
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}
