package cli

import (
	"fmt"
	"io"
	"strconv"

	"github.com/dpskmigrate/dpskmigrate/internal/r1budget"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// budgetInForce is what status says of the R1 budget: the budget read from
// the R1 task queue, or why it could not be read.
type budgetInForce struct {
	budget migrations.Budget
	err    error
}

// etaCallsPerMinute is the rate status estimates the time left with: the
// budget in force when known, R1_CALLS_PER_MINUTE otherwise. A queue limit
// above the workers' budget is worth no more than the workers together, each
// holding itself to its own.
func (b budgetInForce) etaCallsPerMinute(configured int) int {
	bg := b.budget
	if b.err != nil || bg.CallsPerMinute < 1 {
		return configured
	}
	perMinute := bg.CallsPerMinute
	if bg.WorkerCallsPerMinute > 0 && bg.Workers > 0 {
		perMinute = min(perMinute, bg.WorkerCallsPerMinute*float64(bg.Workers))
	}
	return int(perMinute)
}

// writeBudget prints the budget line, wrapped to the table's width.
func writeBudget(w io.Writer, b budgetInForce) {
	writeWrapped(w, budgetText(b), "R1 budget in force: ", "  ")
}

// budgetText says how many R1 calls per minute the server dispatches to the
// migration's workers, and who decided it.
func budgetText(b budgetInForce) string {
	bg := b.budget
	if b.err != nil {
		return "not readable (" + clean(b.err.Error()) + ")"
	}
	queue := clean(bg.TaskQueue)
	switch bg.Source {
	case r1budget.SourceQueue:
		text := perMinuteText(bg.CallsPerMinute) + " calls/min, the limit set on task queue " + queue
		if bg.Reason != "" {
			text += fmt.Sprintf(" (%q)", fit(clean(bg.Reason), 60))
		}
		switch {
		case bg.CallsPerMinute == 0:
			text += fmt.Sprintf(": no R1 call starts until it is raised or removed, and a call waiting %d minutes fails",
				int(workflows.R1CallMaxWait.Minutes()))
		case bg.WorkerCallsPerMinute > 0 && bg.CallsPerMinute > bg.WorkerCallsPerMinute:
			text += "; each worker still stops at its own " + perMinuteText(bg.WorkerCallsPerMinute) + "/min"
		case bg.WorkerCallsPerMinute > 0:
			text += "; the workers' R1_CALLS_PER_MINUTE is " + perMinuteText(bg.WorkerCallsPerMinute)
		}
		return text
	case r1budget.SourceWorker:
		return perMinuteText(bg.CallsPerMinute) + " calls/min, the workers' R1_CALLS_PER_MINUTE (no limit set on task queue " + queue + ")"
	case r1budget.SourceSystem:
		return perMinuteText(bg.CallsPerMinute) + " calls/min, the Temporal server's cap on task queue " + queue
	}
	return "unknown: no worker polls task queue " + queue + " and no limit is set on it"
}

// perMinuteText prints a rate to a hundredth at most: 240, 37.5.
func perMinuteText(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
