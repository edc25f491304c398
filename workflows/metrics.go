package workflows

import "go.temporal.io/sdk/workflow"

// PassphrasesMetric counts passphrases by outcome (label "outcome": created,
// adopted, patched, skipped, refused, conflicts, failed, not_attempted) as
// pools finish. The worker exports it with the Temporal SDK's metrics.
const PassphrasesMetric = "dpskmigrate_passphrases_total"

// countPassphrases adds a finished pool's row outcomes to PassphrasesMetric.
// The workflow's metrics handler records nothing while replaying, so each
// finished pool is counted once however often its history is replayed.
func countPassphrases(ctx workflow.Context, c Counts) {
	h := workflow.GetMetricsHandler(ctx)
	for _, o := range []struct {
		outcome string
		n       int
	}{
		{"created", c.Created},
		{"adopted", c.Adopted},
		{"patched", c.Patched},
		{"skipped", c.Skipped},
		{"refused", c.Refused},
		{"conflicts", c.Conflicts},
		{"failed", c.Failed},
		{"not_attempted", c.NotAttempted},
	} {
		h.WithTags(map[string]string{"outcome": o.outcome}).Counter(PassphrasesMetric).Inc(int64(o.n))
	}
}
