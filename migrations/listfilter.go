package migrations

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// ListFilter narrows List. Every field is optional; each one is checked and
// quoted before it goes into a visibility query, so a value can never change
// what the query asks.
type ListFilter struct {
	// Status is one of ListStatuses (any case); "" lists every migration.
	Status string
	// Export is the export's SHA-256 (64 hex digits), or its first 8 to 63
	// hex digits (as a generated migration ID shows them).
	Export string
	// Limit is 1..MaxListLimit; 0 means DefaultListLimit.
	Limit int
}

// ListStatuses are the statuses List filters on:
//
//	running    running and not paused
//	paused     running and paused
//	completed  ended COMPLETED (every row in R1)
//	partial    ended PARTIAL
//	failed     ended FAILED, or terminated or timed out in Temporal
//	canceled   cancelled
var ListStatuses = []string{"running", "paused", "completed", "partial", "failed", "canceled"}

// MinExportPrefix is the shortest export digest prefix List takes.
const MinExportPrefix = 8

// Validate refuses a filter List would refuse, with what is allowed.
func (f ListFilter) Validate() error {
	_, err := f.queries(workflows.TaskQueue)
	return err
}

func (f ListFilter) limit() int {
	if f.Limit == 0 {
		return DefaultListLimit
	}
	return f.Limit
}

// listQueries are List's visibility queries: running migrations, and ended
// ones ("" = none of that kind can match).
type listQueries struct{ running, ended string }

const (
	qRunning = "ExecutionStatus = 'Running'"
	qEnded   = "ExecutionStatus != 'Running' AND ExecutionStatus != 'ContinuedAsNew'"
)

// queries builds the filter's visibility queries for taskQueue. Only fixed
// text and quoted literals (quote) go into them.
func (f ListFilter) queries(taskQueue string) (listQueries, error) {
	if n := f.limit(); n < 1 || n > MaxListLimit {
		return listQueries{}, fmt.Errorf("limit %d is out of range: use 1 to %d", n, MaxListLimit)
	}
	queue, err := quote(taskQueue)
	if err != nil {
		return listQueries{}, fmt.Errorf("task queue %q cannot be named in a visibility query: %w", taskQueue, err)
	}
	base := fmt.Sprintf("WorkflowType = '%s' AND TaskQueue = %s", workflows.MigrationWorkflowName, queue)
	if f.Export != "" {
		cond, err := exportCondition(f.Export)
		if err != nil {
			return listQueries{}, err
		}
		base += " AND " + cond
	}
	status := func(name string) string { return fmt.Sprintf("%s = '%s'", workflows.SAStatus.GetName(), name) }
	paused := workflows.SAPaused.GetName()
	q := listQueries{}
	switch strings.ToLower(f.Status) {
	case "":
		q.running, q.ended = qRunning, qEnded
	case "running":
		// A migration that has not planned its export yet has no DpskPaused.
		q.running = fmt.Sprintf("%s AND (%s IS NULL OR %s = false)", qRunning, paused, paused)
	case "paused":
		q.running = fmt.Sprintf("%s AND %s = true", qRunning, paused)
	case "completed":
		q.ended = qEnded + " AND " + status(string(workflows.StatusCompleted))
	case "partial":
		q.ended = qEnded + " AND " + status(string(workflows.StatusPartial))
	case "failed":
		// A migration that failed before it planned, or that Temporal ended,
		// never recorded an outcome.
		q.ended = fmt.Sprintf("%s AND (%s OR ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut'))", qEnded, status(string(workflows.StatusFailed)))
	case "canceled", "cancelled":
		q.ended = fmt.Sprintf("%s AND (%s OR ExecutionStatus = 'Canceled')", qEnded, status(string(workflows.StatusCanceled)))
	default:
		return listQueries{}, fmt.Errorf("status %q is not one List knows: use %s", f.Status, strings.Join(ListStatuses, ", "))
	}
	if q.running != "" {
		q.running = base + " AND " + q.running
	}
	if q.ended != "" {
		q.ended = base + " AND " + q.ended
	}
	return q, nil
}

// exportCondition matches the export digest, or a prefix of it.
func exportCondition(digest string) (string, error) {
	d := strings.ToLower(digest)
	ok := len(d) >= MinExportPrefix && len(d) <= 64
	for _, c := range d {
		ok = ok && (c >= '0' && c <= '9' || c >= 'a' && c <= 'f')
	}
	if !ok {
		return "", fmt.Errorf("export %q is not an export digest: give its SHA-256 (64 hex digits, as `dpskmigrate store` prints it) or its first %d or more digits", digest, MinExportPrefix)
	}
	lit, err := quote(d)
	if err != nil {
		return "", err
	}
	if len(d) == 64 {
		return fmt.Sprintf("%s = %s", workflows.SAExport.GetName(), lit), nil
	}
	return fmt.Sprintf("%s STARTS_WITH %s", workflows.SAExport.GetName(), lit), nil
}

// quote makes s a string literal of Temporal's visibility query language:
// single-quoted, a quote inside escaped. Temporal's stores read backslashes
// in literals differently, so a value with one (or with a control character)
// is refused rather than guessed at.
func quote(s string) (string, error) {
	for _, r := range s {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%q holds a backslash or a control character", s)
		}
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'", nil
}

// SweepPoolsEnded counts the pools a verification or rollback has finished
// with: its pool workflows that have ended, as Temporal's visibility shows
// them (a moment late, at times). It is for showing progress only; the
// sweep's result is what counts.
func (s *Service) SweepPoolsEnded(ctx context.Context, sweepID string) (int, error) {
	id, err := quote(sweepID)
	if err != nil {
		return 0, err
	}
	resp, err := s.Temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Query: fmt.Sprintf("ParentWorkflowId = %s AND %s", id, qEnded),
	})
	if err != nil {
		return 0, fmt.Errorf("counting the pools of %s: %w", sweepID, err)
	}
	return int(resp.GetCount()), nil
}
