package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// stateLabel is the one-word outcome: the result's status once the migration
// ended with one (completed, partial, failed or cancelled alike), the
// workflow's state otherwise (running, terminated, timed out, unreadable).
func stateLabel(st migrations.Status) string {
	if st.Result != nil && st.State != "RUNNING" && st.Result.Status != "" {
		return string(st.Result.Status)
	}
	return st.State
}

var stateMeaning = map[string]string{
	"COMPLETED":  "every passphrase is in R1 as the export has it",
	"PARTIAL":    "some rows or pools were not migrated; they are listed below",
	"FAILED":     "nothing usable was migrated; the pools' reasons are listed below",
	"CANCELED":   "cancelled; what was migrated before stays in R1, and a re-run adopts it",
	"TERMINATED": "terminated in Temporal; a re-run adopts what is already in R1",
	"TIMED_OUT":  "timed out in Temporal; a re-run adopts what is already in R1",
}

// WriteStatus prints a finished migration as `dpskmigrate status` does.
func WriteStatus(w io.Writer, st migrations.Status) { writeStatus(w, st, false) }

// writeStatus prints a finished migration: its outcome, a line per pool, the
// rows not migrated and skipped with their reasons, the figures and the UI link.
func writeStatus(w io.Writer, st migrations.Status, wide bool) {
	label := stateLabel(st)
	fmt.Fprintf(w, "Migration %s: %s\n", st.WorkflowID, label)
	if m := stateMeaning[label]; m != "" && st.Error == "" { // an unreadable result proves nothing
		fmt.Fprintf(w, "  %s\n", m)
	}
	if st.Error != "" {
		writeWrapped(w, clean(st.Error), "Error: ", "  ")
	}
	if res := st.Result; res != nil {
		rows := make([]tableRow, len(res.Pools))
		for i := range res.Pools {
			rows[i] = finishedRow(&res.Pools[i])
		}
		sortRows(rows)
		if len(rows) > 0 {
			fmt.Fprintln(w)
		}
		writePoolTable(w, rows, wide)
		pc := resultPoolCounts(res)
		writeOmitted(w, st.WorkflowID, rows, res.PoolsOmitted, &pc)
		writeOnAir(w, rows)
		writeRowLists(w, st.WorkflowID, rows)
		fmt.Fprintln(w)
		writeFigures(w, res)
	}
	if st.UIURL != "" {
		fmt.Fprintf(w, "Temporal UI: %s\n", st.UIURL)
	}
}

// writeRunning prints a running migration: its live progress, then the table
// of finished and running pools and the rows finished pools did not migrate.
func writeRunning(w io.Writer, st migrations.Status, view workflows.PoolsView, running map[string]workflows.PoolProgress, callsPerMinute int, wide bool) {
	writeRunningBudget(w, st, view, running, callsPerMinute, nil, wide)
}

// writeRunningBudget is writeRunning with, when budget is not nil, the R1
// budget in force after the progress (its rate also gives the ETA).
func writeRunningBudget(w io.Writer, st migrations.Status, view workflows.PoolsView, running map[string]workflows.PoolProgress, callsPerMinute int, budget *budgetInForce, wide bool) {
	if budget != nil {
		callsPerMinute = budget.etaCallsPerMinute(callsPerMinute)
	}
	fmt.Fprintf(w, "Migration %s: RUNNING\n", st.WorkflowID)
	if p := st.Progress; p != nil && p.Paused {
		writeWrapped(w, fmt.Sprintf("PAUSED%s: no pool starts and running pools start no R1 call; `dpskmigrate resume %s` lets it go on",
			pausedSince(workflows.ControlState{PausedSince: p.PausedSince}), st.WorkflowID), "  ", "  ")
	}
	runningPools := view.Running // the progress's list is the fresher one
	if st.Progress != nil {
		runningPools = st.Progress.Running
	}
	snap := snapshot{shared: map[string]bool{}}
	for _, rp := range runningPools {
		snap.pools = append(snap.pools, newLivePool(rp, running))
	}
	rows := make([]tableRow, 0, len(view.Done)+len(snap.pools))
	for i := range view.Done {
		rows = append(rows, finishedRow(&view.Done[i]))
	}
	for _, lp := range snap.pools {
		rows = append(rows, runningRow(lp))
	}
	sortRows(rows)
	for _, r := range rows {
		if r.collides {
			snap.shared[r.name] = true // the live lines name a pool as the table does
		}
	}
	if st.Progress != nil {
		snap.progress = *st.Progress
		for _, l := range snap.statusLines(callsPerMinute) {
			fmt.Fprintln(w, l)
		}
	} else {
		fmt.Fprintln(w, "progress: not available yet (the migration did not answer; is a worker running?)")
		if view.Pending > 0 {
			fmt.Fprintf(w, "%d pool(s) not started yet\n", view.Pending)
		}
	}
	if budget != nil {
		writeBudget(w, *budget)
	}
	if len(rows) > 0 {
		fmt.Fprintln(w)
	}
	writePoolTable(w, rows, wide)
	writeOmitted(w, st.WorkflowID, rows, view.Omitted, nil)
	writeOnAir(w, rows)
	writeRowLists(w, st.WorkflowID, rows)
	if st.UIURL != "" {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "Temporal UI: %s\n", st.UIURL)
	}
}

// writeWrapped prints text wrapped to the table's width.
func writeWrapped(w io.Writer, text, first, indent string) {
	for _, l := range wrap(text, first, indent, tableWidth) {
		fmt.Fprintln(w, l)
	}
}

// resultPoolCounts counts a result's pools by outcome. A result of the first
// release has no counts: its list names every pool.
func resultPoolCounts(res *workflows.MigrationResult) workflows.PoolCounts {
	pc := res.PoolCounts
	if pc.Finished()+pc.NotStarted == 0 {
		for _, p := range res.Pools {
			countPool(&pc, p.Status)
		}
	}
	return pc
}

func countPool(pc *workflows.PoolCounts, s workflows.Status) {
	switch s {
	case workflows.StatusCompleted:
		pc.Completed++
	case workflows.StatusPartial:
		pc.Partial++
	case workflows.StatusFailed:
		pc.Failed++
	case workflows.StatusCanceled:
		pc.Canceled++
	}
}

// writeOmitted says which finished pools the table does not show, and where
// to see them. pc (nil while running) breaks them down by outcome.
func writeOmitted(w io.Writer, id string, rows []tableRow, omitted int, pc *workflows.PoolCounts) {
	if omitted <= 0 {
		return
	}
	listed := 0
	var shown workflows.PoolCounts
	for _, r := range rows {
		if r.result != nil {
			listed++
			countPool(&shown, r.result.Status)
		}
	}
	which := ""
	if pc != nil {
		if t := poolCountsText(workflows.PoolCounts{
			Completed: pc.Completed - shown.Completed, Partial: pc.Partial - shown.Partial,
			Failed: pc.Failed - shown.Failed, Canceled: pc.Canceled - shown.Canceled,
		}, false); t != "" {
			which = " (" + t + ")"
		}
	}
	fmt.Fprintln(w)
	writeWrapped(w, fmt.Sprintf("The table shows %d of %d finished pools, those that did not complete first; "+
		"%d more%s are not shown: `dpskmigrate report %s` lists every pool, and each pool's workflow is %s in the Temporal UI.",
		listed, listed+omitted, omitted, which, id, workflows.ChildWorkflowID(id, "<key>")), "", "  ")
}

// poolCountsText is "3 completed, 1 partial": the outcomes with pools in them
// (with all, every finished outcome, even at zero).
func poolCountsText(pc workflows.PoolCounts, all bool) string {
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{{pc.Completed, "completed"}, {pc.Partial, "partial"}, {pc.Failed, "failed"}, {pc.Canceled, "cancelled"}} {
		if c.n > 0 || all {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if pc.NotStarted > 0 {
		parts = append(parts, fmt.Sprintf("%d not started", pc.NotStarted))
	}
	return strings.Join(parts, ", ")
}

// writeFigures prints a finished migration's figures: pools by outcome and
// passphrases by outcome, whatever its status.
func writeFigures(w io.Writer, res *workflows.MigrationResult) {
	pc := resultPoolCounts(res)
	total := res.TotalPools
	if total == 0 {
		total = pc.Finished() + pc.NotStarted
	}
	fmt.Fprintf(w, "Pools (%d): %s\n", total, poolCountsText(pc, true))
	c := res.Totals
	fmt.Fprintf(w, "Passphrases in R1 as the export has them: %d (%d created, %d adopted, %d patched)\n",
		c.Migrated(), c.Created, c.Adopted, c.Patched)
	fmt.Fprintf(w, "Not migrated: %s\n", notMigratedText(c))
}

// notMigratedText is the rows a migration did not put in R1, by reason.
func notMigratedText(c workflows.Counts) string {
	text := fmt.Sprintf("%d skipped, %d refused, %d in conflict, %d failed", c.Skipped, c.Refused, c.Conflicts, c.Failed)
	if c.NotAttempted > 0 {
		text += fmt.Sprintf(", %d not attempted", c.NotAttempted)
	}
	return text
}

// writeRowLists names the rows finished pools did not migrate (failed,
// conflicting, refused) and those the plan skipped, pool by pool in the
// table's order, and says where to find the rest of a capped list.
func writeRowLists(w io.Writer, id string, rows []tableRow) {
	section := func(title string, rowsOf func(*workflows.PoolResult) ([]cloudpath.RowOutcome, int, string)) {
		header := false
		for _, r := range rows {
			if r.result == nil {
				continue
			}
			listed, total, poolReason := rowsOf(r.result)
			more := total - len(listed)
			if len(listed) == 0 && more <= 0 && poolReason == "" {
				continue
			}
			if !header {
				fmt.Fprintln(w)
				fmt.Fprintln(w, title)
				header = true
			}
			if poolReason != "" {
				writeWrapped(w, r.label()+": "+clean(poolReason), "  ", "      ")
			} else {
				writeWrapped(w, r.label()+":", "  ", "      ")
			}
			for _, o := range listed {
				writeWrapped(w, rowName(o)+": "+clean(o.Reason), "    ", "      ")
			}
			if more > 0 {
				what := fmt.Sprintf("… and %d more", more)
				if len(listed) == 0 {
					what = fmt.Sprintf("%d row(s), not listed here", more)
				}
				wfID := r.workflowID
				if wfID == "" {
					wfID = workflows.ChildWorkflowID(id, r.key)
				}
				writeWrapped(w, fmt.Sprintf("%s: `dpskmigrate report %s` lists them; the pool's workflow is %s", what, id, wfID), "    ", "      ")
			}
		}
	}
	section("Not migrated (failed, conflicting or refused rows):", func(p *workflows.PoolResult) ([]cloudpath.RowOutcome, int, string) {
		reason := p.Error
		if p.Network != nil {
			reason = "" // the network step, the pool's last, stopped it: "On the air" says why
		}
		return p.FailedRows, p.Counts.Failed + p.Counts.Conflicts + p.Counts.Refused, reason
	})
	section("Skipped by the plan's policies (never sent to R1):", func(p *workflows.PoolResult) ([]cloudpath.RowOutcome, int, string) {
		return p.SkippedRows, p.Counts.Skipped, ""
	})
}

func rowName(r cloudpath.RowOutcome) string {
	if r.Username == "" {
		return fmt.Sprintf("(row %d, no username)", r.Index)
	}
	return clean(r.Username)
}
