package worker

import (
	"context"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/internal/metrics"
	"github.com/dpskmigrate/dpskmigrate/internal/r1budget"
)

// DefaultBudgetRefresh is how often a worker serving metrics re-reads the R1
// budget in force, so the gauge follows a queue limit set while it runs.
const DefaultBudgetRefresh = 15 * time.Second

// budgetGauge keeps the metrics' budget gauge on the budget in force on the
// R1 queue: the queue's rate limit while an operator has one set, the
// workers' R1_CALLS_PER_MINUTE otherwise. Until the server answers, and
// while it does not, the gauge keeps what it showed (first the configured
// budget).
type budgetGauge struct {
	c         client.Client
	namespace string
	queue     string
	every     time.Duration
	m         *metrics.Metrics
	logger    *slog.Logger
}

// run refreshes the gauge until ctx ends.
func (g budgetGauge) run(ctx context.Context) {
	t := time.NewTicker(g.every)
	defer t.Stop()
	failing := false
	for {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		b, err := r1budget.Read(rctx, g.c.WorkflowService(), g.namespace, g.queue)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !failing && g.logger != nil { // once per outage, not every tick
				g.logger.Warn("cannot read the R1 budget in force; the budget metric keeps its last value", "error", err)
			}
			failing = true
		default:
			failing = false
			if b.Source != r1budget.SourceNone {
				g.m.SetR1Budget(b.CallsPerMinute)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
