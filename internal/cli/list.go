package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dpskmigrate/dpskmigrate/migrations"
)

var listCommand = &command{
	name:    "list",
	summary: "list migrations from Temporal's visibility: status, paused, pools done and failed, age, first pool",
	details: fmt.Sprintf(`Running migrations first (newest first), then the most recently ended, of the
task queue DPSKMIGRATE_TASK_QUEUE. --status running lists those not paused;
failed includes migrations Temporal terminated or timed out. The table fits 100
columns: an ID is never shortened (a long one gets a line of its own) and the
first pool's name gives way. AGE is the time since the migration started. It reads the migrations' search attributes, which
Temporal shows a moment late; a migration that has not planned its export yet
has none ("-"). Limit 1..%d.`, migrations.MaxListLimit),
	bind: func(fs *flag.FlagSet) runFunc {
		status := fs.String("status", "", "only migrations with `STATUS`: "+strings.Join(migrations.ListStatuses, ", "))
		export := fs.String("export", "", fmt.Sprintf("only migrations of the export with this `SHA256` (or its first %d or more hex digits)", migrations.MinExportPrefix))
		limit := fs.Int("limit", migrations.DefaultListLimit, fmt.Sprintf("list at most `N` migrations (1..%d)", migrations.MaxListLimit))
		asJSON := fs.Bool("json", false, "print the list as JSON")
		return func(ctx context.Context, a *App, args []string) (int, error) {
			if *limit < 1 || *limit > migrations.MaxListLimit {
				return ExitFailed, usagef("--limit %d is out of range: use 1 to %d", *limit, migrations.MaxListLimit)
			}
			f := migrations.ListFilter{Status: *status, Export: *export, Limit: *limit}
			if err := f.Validate(); err != nil {
				return ExitFailed, usagef("%v", flagNames(err.Error()))
			}
			return a.list(ctx, f, *asJSON)
		}
	},
}

// flagNames names the flag in a ListFilter refusal, which begins with the
// field it refuses.
func flagNames(msg string) string {
	for _, field := range []string{"status", "export", "limit"} {
		if rest, ok := strings.CutPrefix(msg, field+" "); ok {
			return "--" + field + " " + rest
		}
	}
	return msg
}

func (a *App) list(ctx context.Context, f migrations.ListFilter, asJSON bool) (int, error) {
	s, svc, closeSvc, err := a.connect()
	if err != nil {
		return ExitFailed, err
	}
	defer closeSvc()
	listed, err := svc.List(ctx, f)
	if err != nil {
		return ExitFailed, err
	}
	if asJSON {
		if listed == nil {
			listed = []migrations.Listed{}
		}
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		return ExitOK, enc.Encode(listed)
	}
	if len(listed) == 0 {
		what := "no migration"
		if f.Status != "" {
			what = "no " + strings.ToLower(f.Status) + " migration"
		}
		if f.Export != "" {
			what += " of export " + f.Export
		}
		fmt.Fprintf(a.Stdout, "Temporal shows %s on task queue %s (a migration that just started or changed may show a moment late).\n", what, s.TaskQueue)
		return ExitOK, nil
	}
	writeList(a.Stdout, listed, a.Now())
	if limit := max(f.Limit, 1); len(listed) == limit && limit < migrations.MaxListLimit {
		fmt.Fprintf(a.Stdout, "\nThe first %d; --limit %d shows more.\n", limit, migrations.MaxListLimit)
	}
	return ExitOK, nil
}

// The list's columns besides the ID and the first pool.
const (
	listPausedColumn = 6  // PAUSED
	listFirstPoolMin = 10 // FIRST POOL
)

// writeList prints migrations as a table that fits tableWidth columns.
func writeList(w io.Writer, listed []migrations.Listed, now time.Time) {
	type row struct{ id, status, paused, done, failed, started, firstPool string }
	rows := make([]row, len(listed))
	statusW, doneW, failedW, startedW, poolW := len("STATUS"), len("DONE"), len("FAILED"), len("AGE"), len("FIRST POOL")
	count := func(n *int) string {
		if n == nil {
			return "-"
		}
		return strconv.Itoa(*n)
	}
	for i, l := range listed {
		r := row{id: clean(l.WorkflowID), status: clean(l.Status), done: count(l.PoolsDone), failed: count(l.PoolsFailed),
			started: age(now.Sub(l.StartTime)), firstPool: strings.TrimSpace(clean(l.FirstPool))}
		switch {
		case l.State != "RUNNING":
			r.paused = "-"
		case l.Paused:
			r.paused = "yes"
		default:
			r.paused = "no"
		}
		if r.firstPool == "" {
			r.firstPool = "-"
		}
		rows[i] = r
		statusW, doneW, failedW = max(statusW, textWidth(r.status)), max(doneW, len(r.done)), max(failedW, len(r.failed))
		startedW, poolW = max(startedW, len(r.started)), max(poolW, textWidth(r.firstPool))
	}
	// The ID takes what it needs, down to what leaves the first pool its minimum;
	// a longer one goes on a line of its own.
	rest := columnGap + statusW + columnGap + listPausedColumn + columnGap + doneW + countGap + failedW + columnGap + startedW + columnGap
	idCap := max(tableWidth-rest-listFirstPoolMin, len("ID"))
	idW := len("ID")
	for _, r := range rows {
		if w := textWidth(r.id); w <= idCap {
			idW = max(idW, w)
		}
	}
	poolW = min(poolW, max(tableWidth-rest-idW, listFirstPoolMin))
	line := func(id string, r row) {
		l := padRight(id, idW) + strings.Repeat(" ", columnGap) + padRight(r.status, statusW) + strings.Repeat(" ", columnGap) +
			padRight(r.paused, listPausedColumn) + strings.Repeat(" ", columnGap) + padLeft(r.done, doneW) + strings.Repeat(" ", countGap) +
			padLeft(r.failed, failedW) + strings.Repeat(" ", columnGap) + padRight(r.started, startedW) + strings.Repeat(" ", columnGap) + fit(r.firstPool, poolW)
		fmt.Fprintln(w, strings.TrimRight(l, " "))
	}
	line("ID", row{status: "STATUS", paused: "PAUSED", done: "DONE", failed: "FAILED", started: "AGE", firstPool: "FIRST POOL"})
	for _, r := range rows {
		if textWidth(r.id) > idW {
			fmt.Fprintln(w, r.id) // never cut: people copy it
			line("", r)
			continue
		}
		line(r.id, r)
	}
}

// age is the time since a migration started: "45s", "12m", "3h", "2d".
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
