package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// TestBulkImportNeverTrustsR1sAnswer migrates with --bulk-import against an R1
// that imports as asked, one that refuses the CSV template, and one that
// silently leaves rows out: R1 ends equal to the export each time, every row
// counts as created (none as adopted), and a rollback empties R1 again.
func TestBulkImportNeverTrustsR1sAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		faults  r1sim.Faults
		perRow  func(rows, expiring int) bool // the per-row creates expected
		imports int
	}{
		{"R1 imports the file", r1sim.Faults{}, func(n, exp int) bool { return n == exp }, 3},
		{"R1 refuses the template", r1sim.Faults{ImportHeaderChanged: true}, func(n, exp int) bool { return n > exp }, 3},
		{"R1 leaves rows out", r1sim.Faults{ImportDropsRows: true}, func(n, exp int) bool { return n > exp }, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, r1sim.Options{VisibilityDelay: time.Second, Faults: tc.faults})
			e.startWorker(e.workerConfig())
			const pools, rows = 3, 40
			export := sampledata.JSON(sampledata.Spec{Pools: pools, RowsPerPool: rows, Seed: 91})
			st, res := e.migrate(export, migrations.Options{ParallelExecution: true, BulkImport: true})
			require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res.Pools)
			require.Equal(t, pools*rows, res.Totals.Created, "every row created by this run: %+v", res.Totals)
			require.Zero(t, res.Totals.Adopted)
			e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})

			calls := e.sim.Stats().Tenants[e.tenant].Calls
			expiring := pools * rows / 2 // the sample's rows with an expiry date go one by one
			t.Logf("calls: %v", calls)
			require.Equal(t, tc.imports, calls[r1sim.OpImportPassphrases], "one import per pool")
			require.True(t, tc.perRow(calls[r1sim.OpCreatePassphrase], expiring), "%d per-row creates, %d rows with an expiry date", calls[r1sim.OpCreatePassphrase], expiring)

			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			sw, err := e.svc.StartRollback(ctx, st.WorkflowID, migrations.SweepOptions{})
			require.NoError(t, err)
			rb, err := e.svc.WaitRollback(ctx, sw.WorkflowID)
			require.NoError(t, err)
			require.Equal(t, workflows.StatusCompleted, rb.Status, "%+v", rb.Pools)
			require.Empty(t, e.sim.Inventory(e.tenant).Pools, "the rollback removes the imported rows with their pools")
		})
	}
}
