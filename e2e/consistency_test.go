package e2e

import (
	"context"
	"fmt"
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

// passphraseOps are the R1 operations of the passphrase phase: creates,
// VLAN patches, the queries that read what R1 holds, and the bulk reads of
// R1 activities that explain rows R1 does not show.
var passphraseOps = []string{
	r1sim.OpCreatePassphrase,
	"PATCH /dpskServices/{id}/passphrases/{id}",
	"POST /dpskServices/{id}/passphrases/query",
	"POST /activities/query",
}

// TestAnEventuallyConsistentR1LosesNothingAndCostsLittle runs a 2,000-row
// pool against an R1 that shows every write only seconds
// or a minute after accepting it, and loses the answer to some creates that
// landed, so their retries meet "already exists". R1 must end equal to the
// export with no row falsely failed, the passphrase phase must cost at most
// 1.05 R1 calls per passphrase, and no workflow run may pass 10,000 events.
//
// Not parallel: it measures R1 calls per passphrase, which depend on when
// reads happen, and other tests' load on a 2-core machine would blur that.
func TestAnEventuallyConsistentR1LosesNothingAndCostsLittle(t *testing.T) {
	for _, delay := range []time.Duration{5 * time.Second, 60 * time.Second} {
		t.Run(fmt.Sprintf("visible after %s", delay), func(t *testing.T) {
			e := newEnv(t, r1sim.Options{
				VisibilityDelay: delay,
				Faults:          r1sim.Faults{CommitThenFailRate: 0.01, CommitThenFailOps: []string{"creates"}},
				Seed:            41,
			})
			cfg := e.workerConfig()
			cfg.R1.Timeout = 5 * time.Second
			e.startWorker(cfg)
			export := sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 2000, Seed: 41})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			before := e.sim.Stats()
			st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true, ActivityTimeout: 10 * time.Second})
			require.NoError(t, err)
			res, err := e.svc.Wait(ctx, st.WorkflowID)
			if err != nil || res.Status != workflows.StatusCompleted {
				e.explain(st.WorkflowID)
			}
			require.NoError(t, err)
			require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res.Pools)
			require.Zero(t, res.Totals.Failed, "no row falsely failed")
			require.Equal(t, 2000, res.Totals.Created)
			e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})

			stats := e.sim.Stats()
			require.Positive(t, stats.CommitThenFail, "some creates landed and lost their answer")
			calls := 0
			for _, op := range passphraseOps {
				calls += stats.Calls[op] - before.Calls[op]
			}
			perPassphrase := float64(calls) / 2000
			t.Logf("visibility %s: passphrase phase %d R1 calls for 2000 passphrases = %.4f per passphrase (creates %d, row queries %d, activity reads %d), %d stale reads, %d lost answers",
				delay, calls, perPassphrase, stats.Calls[r1sim.OpCreatePassphrase], stats.Calls["POST /dpskServices/{id}/passphrases/query"],
				stats.Calls["POST /activities/query"], stats.StaleReads, stats.CommitThenFail)
			require.LessOrEqual(t, perPassphrase, 1.05)

			hs, err := stack.MeasureHistories(ctx, temporalC, st.WorkflowID)
			require.NoError(t, err)
			t.Logf("histories: %+v", hs)
			require.Less(t, hs.MaxPoolEvents, 10000)
			require.Less(t, hs.MaxParentEvents, 10000)
		})
	}
}
