package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

var rollbackCommand = &command{
	name:    "rollback",
	args:    []string{"ID"},
	summary: "undo what a migration created or changed in R1; without --yes, only show what it would do",
	details: `Without --yes it reads the migration's records and shows, pool by pool, what a
rollback would delete (passphrases with their identities, DPSK pools, identity
groups, networks and their activations, policy sets the migration created) and
restore (VLANs it patched, pool settings and policy-set attachments it changed),
with the R1 call cost, and changes nothing (exit 0).
With --yes it starts the rollback workflow, follows it pool by pool and prints
its outcome: nothing the migration adopted and nothing anyone else added is
touched; a pool that holds passphrases the migration did not create is kept,
and PARTIAL lists what was kept and why. Running it again is safe: it undoes
what is left, nothing twice. The migration must have ended (cancel it first).
Exit codes with --yes: 0 completed, 2 partial (something kept), 1 failed,
cancelled or any error.`,
	bind: func(fs *flag.FlagSet) runFunc {
		yes := fs.Bool("yes", false, "roll back now, without asking (otherwise only the preview is shown)")
		return func(ctx context.Context, a *App, args []string) (int, error) {
			return a.rollback(ctx, args[0], *yes)
		}
	},
}

func (a *App) rollback(ctx context.Context, id string, yes bool) (int, error) {
	svc, s, closeSvc, err := a.sweepService()
	if err != nil {
		return ExitFailed, err
	}
	defer closeSvc()
	pv, err := svc.PreviewRollback(ctx, id)
	if errors.Is(err, migrations.ErrNotFound) {
		return ExitFailed, notFound(id, s)
	}
	if err != nil {
		return ExitFailed, err
	}
	if !yes {
		writeRollbackPreview(a.Stdout, pv, s.CallsPerMinute)
		if pv.Running {
			fmt.Fprintf(a.Stdout, "\nThe migration is still running: cancel it (dpskmigrate cancel %s) or let it finish before rolling it back.\n", id)
			return ExitOK, nil
		}
		fmt.Fprintf(a.Stdout, "\nNothing has changed. To roll back:\n  dpskmigrate rollback %s --yes\n", id)
		return ExitOK, nil
	}
	if pv.Running {
		return ExitFailed, fmt.Errorf("%w; nothing changed", migrations.ErrStillRunning)
	}
	sw, err := svc.StartRollback(ctx, id, migrations.SweepOptions{})
	if errors.Is(err, migrations.ErrStillRunning) {
		return ExitFailed, fmt.Errorf("%w; nothing changed", err)
	}
	if err != nil {
		return ExitFailed, err
	}
	fmt.Fprintf(a.Stdout, "Rolling back migration %s: %d pool(s) to undo, about %d R1 calls.\nRollback workflow: %s\n", id, len(pv.Pools), pv.Totals.EstimatedR1Calls, sw.WorkflowID)
	var res workflows.RollbackResult
	err = a.followSweep(ctx, svc, a.Stdout, sw, len(pv.Pools), "undone", func(ctx context.Context) (int, error) {
		var err error
		res, err = svc.WaitRollback(ctx, sw.WorkflowID)
		n := res.Omitted
		for _, p := range res.Pools {
			if p.WorkflowID != "" {
				n++ // a pool the rollback ran (not one it kept without running)
			}
		}
		return n, err
	})
	if err != nil {
		return ExitFailed, err
	}
	fmt.Fprintln(a.Stdout)
	writeRollbackResult(a.Stdout, id, sw.WorkflowID, res)
	if sw.UIURL != "" {
		fmt.Fprintf(a.Stdout, "Temporal UI: %s\n", sw.UIURL)
	}
	switch res.Status {
	case workflows.StatusCompleted:
		return ExitOK, nil
	case workflows.StatusPartial:
		return ExitPartial, nil
	}
	return ExitFailed, nil
}

var previewColumns = []countColumn{{"PASSPHRASES", true}, {"VLANS", false}, {"ACTIVATIONS", false}, {"NETWORKS", false},
	{"POOLS", false}, {"GROUPS", false}, {"POLICY SETS", false}, {"RESTORES", false}, {"R1 CALLS", true}}

func previewCounts(p migrations.PoolRollbackPlan) []int {
	return []int{p.Passphrases, p.VLANs, p.Activations, p.Networks, p.Pools, p.Groups, p.PolicySets, p.Restores, p.EstimatedR1Calls}
}

// writeRollbackPreview prints what a rollback would undo, pool by pool.
func writeRollbackPreview(w io.Writer, pv migrations.RollbackPreview, callsPerMinute int) {
	writeWrapped(w, fmt.Sprintf("Rolling back migration %s would undo, from its records:", pv.MigrationID), "", "  ")
	if len(pv.Pools) == 0 {
		fmt.Fprintln(w, "  nothing: no pool of the migration recorded a change in R1.")
	} else {
		fmt.Fprintln(w)
		rows := make([]countRow, len(pv.Pools))
		for i, p := range pv.Pools {
			rows[i] = countRow{tableRow: tableRow{key: clean(p.Key), name: displayName(p.DisplayName, p.Key)}, counts: previewCounts(p)}
		}
		total := countRow{tableRow: tableRow{name: "Total"}, counts: previewCounts(pv.Totals)}
		writeCountTable(w, previewColumns, rows, &total)
		fmt.Fprintln(w)
		t := pv.Totals
		deletes := joinCounts([]counted{{t.Passphrases, "passphrase(s) with their identities (at most: only those R1 still holds as the export has them)"},
			{t.Activations, "network activation(s)"}, {t.Networks, "network(s)"}, {t.Pools, "DPSK pool(s)"},
			{t.Groups, "identity group(s)"}, {t.PolicySets, "policy set(s)"}})
		writeWrapped(w, "Deletes what the migration created: "+or(deletes, "nothing")+".", "", "  ")
		restores := joinCounts([]counted{{t.VLANs, "VLAN(s) it patched"}, {t.Restores, "pool setting(s) or policy-set attachment(s) it changed"}})
		writeWrapped(w, "Restores: "+or(restores, "nothing")+".", "", "  ")
		fmt.Fprintf(w, "R1 calls: about %d (%s at %d calls/min).\n", t.EstimatedR1Calls,
			formatDuration(ETA(t.EstimatedR1Calls, 0, callsPerMinute)), callsPerMinute)
	}
	if n := len(pv.NotRecorded); n > 0 {
		names := make([]string, 0, min(n, 10))
		for _, name := range pv.NotRecorded[:min(n, 10)] {
			names = append(names, clean(name))
		}
		text := fmt.Sprintf("%d pool(s) ran under the first release, which recorded nothing to undo; remove what they created in R1 by hand: %s", n, strings.Join(names, ", "))
		if n > 10 {
			text += fmt.Sprintf(" and %d more", n-10)
		}
		fmt.Fprintln(w)
		writeWrapped(w, text+".", "", "  ")
	}
}

type counted struct {
	n    int
	what string
}

// joinCounts is "3 DPSK pool(s), 2 identity group(s)": the non-zero ones.
func joinCounts(cs []counted) string {
	var parts []string
	for _, c := range cs {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	return strings.Join(parts, ", ")
}

var rollbackColumns = []countColumn{{"PASSPHRASES", true}, {"IDENTITIES", false}, {"VLANS", false}, {"ACTIVATIONS", false},
	{"NETWORKS", false}, {"POOLS", false}, {"GROUPS", false}, {"RESTORED", false}, {"KEPT", true}}

func rollbackCounts(c workflows.RollbackCounts) []int {
	return []int{c.Passphrases, c.Identities, c.VLANs, c.Activations, c.Networks, c.Pools, c.Groups, c.Restored, c.Kept}
}

func rollbackRow(p workflows.RollbackPoolResult) tableRow {
	return tableRow{key: clean(p.Key), name: displayName(p.DisplayName, p.Key), status: clean(string(p.Status))}
}

var rollbackMeaning = map[workflows.Status]string{
	workflows.StatusCompleted: "everything the migration created or changed in R1 is undone",
	workflows.StatusPartial:   "something was kept; what and why are listed below (running the rollback again undoes what is left)",
	workflows.StatusFailed:    "the rollback failed in every pool; the reasons are listed below (running it again goes on from there)",
	workflows.StatusCanceled:  "cancelled; what was undone stays undone, and running it again goes on from there",
}

// writeRollbackResult prints a rollback's outcome: a line per pool that did
// something or kept something, what was kept and why, and the totals.
func writeRollbackResult(w io.Writer, migrationID, rollbackID string, res workflows.RollbackResult) {
	fmt.Fprintf(w, "Rollback of migration %s: %s\n", migrationID, res.Status)
	if m := rollbackMeaning[res.Status]; m != "" {
		fmt.Fprintf(w, "  %s\n", m)
	}
	t := res.Totals
	if res.Status == workflows.StatusCompleted && t == (workflows.RollbackCounts{}) {
		fmt.Fprintln(w, "  nothing was left to undo: R1 was already as before the migration")
	}
	var rows []countRow
	for _, p := range res.Pools {
		if p.Counts == (workflows.RollbackCounts{}) && p.Status == workflows.StatusCompleted {
			continue // nothing done, nothing kept
		}
		rows = append(rows, countRow{tableRow: rollbackRow(p), counts: rollbackCounts(p.Counts)})
	}
	if len(rows) > 0 {
		fmt.Fprintln(w)
		writeCountTable(w, rollbackColumns, rows, nil)
	}
	header := false
	kept := func(name string, reasons []string) {
		if len(reasons) == 0 {
			return
		}
		if !header {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "Kept (left in R1, and why):")
			header = true
		}
		writeWrapped(w, name+":", "  ", "      ")
		for _, r := range reasons {
			writeWrapped(w, clean(r), "    ", "      ")
		}
	}
	for _, i := range tableOrder(len(res.Pools), func(i int) tableRow { return rollbackRow(res.Pools[i]) }) {
		p := res.Pools[i]
		reasons := p.Kept
		if p.Error != "" {
			reasons = append(append([]string(nil), reasons...), "failed: "+p.Error)
		}
		kept(rollbackRow(p).label(), reasons)
	}
	kept("The migration", res.Kept)
	if res.Omitted > 0 {
		fmt.Fprintln(w)
		writeWrapped(w, fmt.Sprintf("%d more pool(s) are counted in the totals but not listed; each pool's workflow is %s.",
			res.Omitted, workflows.ChildWorkflowID(rollbackID, "<key>")), "", "  ")
	}
	fmt.Fprintln(w)
	undone := joinCounts([]counted{{t.Passphrases, "passphrase(s)"}, {t.Identities, "identity(ies)"}, {t.Activations, "network activation(s)"},
		{t.Networks, "network(s)"}, {t.Pools, "DPSK pool(s)"}, {t.Groups, "identity group(s)"}, {t.PolicySets, "policy set(s)"}})
	fmt.Fprintf(w, "Deleted: %s\n", or(undone, "nothing"))
	restored := joinCounts([]counted{{t.VLANs, "VLAN(s)"}, {t.Restored, "pool setting(s) or policy-set attachment(s)"}})
	fmt.Fprintf(w, "Restored: %s\n", or(restored, "nothing"))
	if t.Kept > 0 {
		fmt.Fprintf(w, "Kept: %d (listed above)\n", t.Kept)
	}
	fmt.Fprintf(w, "Rollback workflow: %s\n", rollbackID)
}
