package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

var statusCommand = &command{
	name:    "status",
	args:    []string{"ID"},
	summary: "show a migration: a line per pool, every failed or refused row, totals and the UI link",
	details: `Exits 0 when the migration completed (or is still running), 2 when it ended
partial, 1 when it failed or was cancelled.`,
	bind: func(fs *flag.FlagSet) runFunc {
		asJSON := fs.Bool("json", false, "print the raw status as JSON")
		return func(ctx context.Context, a *App, args []string) (int, error) {
			return a.status(ctx, args[0], *asJSON)
		}
	},
}

var cancelCommand = &command{
	name:    "cancel",
	args:    []string{"ID"},
	summary: "cancel a running migration (running pools finish their R1 calls in flight)",
	bind: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, a *App, args []string) (int, error) {
			return a.cancel(ctx, args[0])
		}
	},
}

var watchCommand = &command{
	name:    "watch",
	args:    []string{"ID"},
	summary: "follow a migration live until it ends, then show its status and exit with its code",
	details: `On a terminal: an overall bar, a line per running pool and an ETA from the R1
call budget (R1_CALLS_PER_MINUTE). On a pipe or with --plain: a plain progress
line when pools start or finish, and about every 5 seconds while passphrases move.
Ctrl-C stops watching, not the migration.`,
	bind: func(fs *flag.FlagSet) runFunc {
		plain := fs.Bool("plain", false, "print plain progress lines even on a terminal")
		return func(ctx context.Context, a *App, args []string) (int, error) {
			if *plain {
				a.TTY = false
			}
			s, err := LoadSettings(a.Getenv)
			if err != nil {
				return ExitFailed, err
			}
			svc, closeSvc, err := a.service(s)
			if err != nil {
				return ExitFailed, err
			}
			defer closeSvc()
			return a.watch(ctx, svc, s, args[0])
		}
	},
}

// ExitCode is the process exit code for a migration's status.
func ExitCode(st migrations.Status) int {
	switch {
	case st.State == "RUNNING":
		return ExitOK
	case st.Result != nil && st.State == "COMPLETED":
		switch st.Result.Status {
		case workflows.StatusCompleted:
			return ExitOK
		case workflows.StatusPartial:
			return ExitPartial
		}
	}
	return ExitFailed
}

func (a *App) status(ctx context.Context, id string, asJSON bool) (int, error) {
	s, err := LoadSettings(a.Getenv)
	if err != nil {
		return ExitFailed, err
	}
	svc, closeSvc, err := a.service(s)
	if err != nil {
		return ExitFailed, err
	}
	defer closeSvc()
	st, err := svc.Status(ctx, id)
	if errors.Is(err, migrations.ErrNotFound) {
		return ExitFailed, notFound(id, s)
	}
	if err != nil {
		return ExitFailed, err
	}
	if asJSON {
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			return ExitFailed, err
		}
		return ExitCode(st), nil
	}
	if st.State == "RUNNING" {
		view, _ := svc.Pools(ctx, id)
		running := map[string]workflows.PoolProgress{}
		for _, rp := range view.Running {
			if p, err := svc.PoolProgress(ctx, rp.WorkflowID); err == nil {
				running[rp.WorkflowID] = p
			}
		}
		writeRunning(a.Stdout, st, view, running, s.CallsPerMinute)
		return ExitOK, nil
	}
	WriteStatus(a.Stdout, st)
	return ExitCode(st), nil
}

func (a *App) cancel(ctx context.Context, id string) (int, error) {
	s, err := LoadSettings(a.Getenv)
	if err != nil {
		return ExitFailed, err
	}
	svc, closeSvc, err := a.service(s)
	if err != nil {
		return ExitFailed, err
	}
	defer closeSvc()
	st, err := svc.Status(ctx, id)
	if errors.Is(err, migrations.ErrNotFound) {
		return ExitFailed, notFound(id, s)
	}
	if err != nil {
		return ExitFailed, err
	}
	if st.State != "RUNNING" {
		return ExitFailed, fmt.Errorf("migration %s already ended (%s): nothing to cancel; see `dpskmigrate status %s`", id, stateLabel(st), id)
	}
	if err := svc.Cancel(ctx, id); err != nil {
		if errors.Is(err, migrations.ErrNotFound) {
			return ExitFailed, fmt.Errorf("migration %s ended before it could be cancelled; see `dpskmigrate status %s`", id, id)
		}
		return ExitFailed, err
	}
	fmt.Fprintf(a.Stdout, "Cancellation requested for %s: running pools finish their R1 calls in flight and report what R1 holds; pools not started are not migrated.\n", id)
	fmt.Fprintf(a.Stdout, "Follow it with: dpskmigrate watch %s\n", id)
	if st.UIURL != "" {
		fmt.Fprintf(a.Stdout, "Temporal UI: %s\n", st.UIURL)
	}
	return ExitOK, nil
}

// stateLabel is the one-word outcome: the result's status once the workflow
// completed, the workflow's state otherwise.
func stateLabel(st migrations.Status) string {
	if st.Result != nil && st.State == "COMPLETED" && st.Result.Status != "" {
		return string(st.Result.Status)
	}
	return st.State
}

var stateMeaning = map[string]string{
	"COMPLETED":  "every passphrase is in R1 as the export has it",
	"PARTIAL":    "some rows or pools were not migrated; they are listed below",
	"FAILED":     "nothing usable was migrated",
	"CANCELED":   "cancelled; what was migrated before stays in R1, and a re-run adopts it",
	"TERMINATED": "terminated in Temporal; a re-run adopts what is already in R1",
	"TIMED_OUT":  "timed out in Temporal; a re-run adopts what is already in R1",
}

// WriteStatus prints a finished migration: a line per pool, the rows not
// migrated with their reasons, the totals and the UI link.
func WriteStatus(w io.Writer, st migrations.Status) {
	label := stateLabel(st)
	fmt.Fprintf(w, "Migration %s: %s", st.WorkflowID, label)
	if m := stateMeaning[label]; m != "" && st.Error == "" { // an unreadable result proves nothing
		fmt.Fprintf(w, " (%s)", m)
	}
	fmt.Fprintln(w)
	if st.Error != "" {
		fmt.Fprintf(w, "Error: %s\n", st.Error)
	}
	if st.Result != nil {
		writePoolTable(w, st.Result.Pools)
		writeRowsNotMigrated(w, st.Result.Pools)
		writeTotals(w, st.Result.Totals, len(st.Result.Pools))
	}
	if st.UIURL != "" {
		fmt.Fprintf(w, "Temporal UI: %s\n", st.UIURL)
	}
}

func writeRunning(w io.Writer, st migrations.Status, view workflows.PoolsView, running map[string]workflows.PoolProgress, callsPerMinute int) {
	fmt.Fprintf(w, "Migration %s: RUNNING\n", st.WorkflowID)
	if st.Progress != nil {
		snap := snapshot{progress: *st.Progress}
		for _, rp := range st.Progress.Running {
			if p, ok := running[rp.WorkflowID]; ok {
				snap.pools = append(snap.pools, p)
			}
		}
		fmt.Fprintln(w, snap.plainLine(callsPerMinute))
	}
	rows := append([]workflows.PoolResult(nil), view.Done...)
	for _, rp := range view.Running {
		pr := workflows.PoolResult{Key: rp.Key, WorkflowID: rp.WorkflowID, Status: "RUNNING"}
		if p, ok := running[rp.WorkflowID]; ok {
			pr.Counts = p.Counts
			pr.Status = workflows.Status("RUNNING: " + p.Phase)
		}
		rows = append(rows, pr)
	}
	writePoolTable(w, rows)
	if view.Pending > 0 {
		fmt.Fprintf(w, "%d pool(s) not started yet\n", view.Pending)
	}
	writeRowsNotMigrated(w, view.Done)
	if st.UIURL != "" {
		fmt.Fprintf(w, "Temporal UI: %s\n", st.UIURL)
	}
}

func writePoolTable(w io.Writer, pools []workflows.PoolResult) {
	if len(pools) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POOL\tSTATUS\tCREATED\tADOPTED\tPATCHED\tSKIPPED\tREFUSED\tFAILED\tPOOL WORKFLOW")
	for _, p := range pools {
		c := p.Counts
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", p.Key, p.Status, c.Created, c.Adopted, c.Patched, c.Skipped, c.Refused, c.Failed, p.WorkflowID)
	}
	tw.Flush()
}

// writeRowsNotMigrated names every failed or refused row the results carry,
// and says where to find the rest when a result had to cap its list.
func writeRowsNotMigrated(w io.Writer, pools []workflows.PoolResult) {
	header := false
	head := func() {
		if !header {
			fmt.Fprintln(w, "\nNot migrated (failed or refused):")
			header = true
		}
	}
	for _, p := range pools {
		if p.Error != "" {
			head()
			fmt.Fprintf(w, "  pool %s: %s\n", p.Key, p.Error)
		}
		for _, r := range p.FailedRows {
			head()
			fmt.Fprintf(w, "  %s: %s: %s\n", p.Key, rowName(r), r.Reason)
		}
		if more := p.Counts.Failed + p.Counts.Refused - len(p.FailedRows); more > 0 && len(p.FailedRows) > 0 {
			head()
			fmt.Fprintf(w, "  %s: ... and %d more row(s): see pool workflow %s in the Temporal UI\n", p.Key, more, p.WorkflowID)
		}
	}
	if header {
		fmt.Fprintln(w)
	}
}

func rowName(r cloudpath.RowOutcome) string {
	if r.Username == "" {
		return fmt.Sprintf("(row %d, no username)", r.Index)
	}
	return r.Username
}

func writeTotals(w io.Writer, c workflows.Counts, pools int) {
	fmt.Fprintf(w, "Totals over %d pool(s): %d created, %d adopted, %d patched, %d skipped, %d refused, %d failed (%d in R1 as the export has them)\n",
		pools, c.Created, c.Adopted, c.Patched, c.Skipped, c.Refused, c.Failed, c.Migrated())
}
