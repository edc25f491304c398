package main

import (
	"fmt"
	"time"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/worker"
)

// passphraseOps are the R1 operations of the passphrase phase: creates, VLAN
// patches, the queries that read what R1 holds and the bulk reads of R1
// activities (the same list as e2e/consistency_test.go).
var passphraseOps = []string{
	r1sim.OpCreatePassphrase,
	"PATCH /dpskServices/{id}/passphrases/{id}",
	"POST /dpskServices/{id}/passphrases/query",
	"POST /activities/query",
}

// stricterR1: a 2,000-row pool against an R1 that shows writes only 5 s or
// 60 s after accepting them and loses the answer to 1% of the creates that
// landed, at an unlimited budget (the settings of
// e2e/consistency_test.go): what the passphrase phase costs in R1 calls per
// passphrase, and the largest run's history.
func (b *bench) stricterR1() {
	rows := 2000 / b.scale
	for _, delay := range []time.Duration{5 * time.Second, 60 * time.Second} {
		r := b.migrate(run{
			spec: sampledata.Spec{Pools: 1, RowsPerPool: rows, Seed: 41},
			sim: r1sim.Options{VisibilityDelay: delay, Seed: 41,
				Faults:              r1sim.Faults{CommitThenFailRate: 0.01, CommitThenFailOps: []string{"creates"}},
				ActivityNotFoundFor: 200 * time.Millisecond, ActivityPendingFor: 300 * time.Millisecond},
			budget:        100000,
			activitySlots: worker.DefaultMaxConcurrentActivities,
			opts:          migrations.Options{ParallelExecution: true, ActivityTimeout: 10 * time.Second},
		})
		hs, err := stack.MeasureHistories(b.ctx, b.c, r.workflowID)
		must(err)
		calls := 0
		for _, op := range passphraseOps {
			calls += r.stats.Calls[op]
		}
		calls -= r.stats.RateLimited // none without a rate limit; served calls only, as everywhere
		perPassphrase := float64(calls) / float64(rows)
		name := fmt.Sprintf("stricter_r1.visible_after_%s.", delay)
		b.add(Result{Name: name + "passphrase_calls_per_passphrase", Value: perPassphrase, Unit: "calls", Target: "<= 1.05", Met: met(perPassphrase <= 1.05),
			Note: fmt.Sprintf("%d rows in %s: %d creates, %d VLAN patches, %d row queries, %d activity queries; %d stale reads, %d lost answers",
				rows, r.wall.Round(time.Second), r.stats.Calls[passphraseOps[0]], r.stats.Calls[passphraseOps[1]], r.stats.Calls[passphraseOps[2]],
				r.stats.Calls[passphraseOps[3]], r.stats.StaleReads, r.stats.CommitThenFail)})
		largest := max(hs.MaxPoolEvents, hs.MaxParentEvents)
		b.add(Result{Name: name + "largest_run_events", Value: float64(largest), Unit: "events", Target: "< 10000", Met: met(largest < 10000),
			Note: fmt.Sprintf("largest pool run %d events (of %d pool runs), parent %d (of %d)", hs.MaxPoolEvents, hs.PoolRuns, hs.MaxParentEvents, hs.ParentRuns)})
	}
}
