package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

var verifyCommand = &command{
	name:    "verify",
	args:    []string{"ID"},
	summary: "read what R1 holds now for every pool of a migration and compare it with the plan, row by row",
	details: `Starts a verification workflow (one R1 query per page of passphrases, on the
workers' R1 budget), shows the pools checked while it runs, then prints a
summary to standard error and writes every row that differs to standard output
or --output: the report's columns (see report) with the difference in place of
the outcome: missing (R1 does not hold the row), changed (R1 holds it with
another passphrase, vlan, expiry or devices), extra (a passphrase R1 holds in
the pool that the export does not migrate; no index or GUID). A pool lists at
most 500 changed and 500 extra rows; its counts are complete. Never a
passphrase.
Exit codes: 0 R1 matches the plan; 2 R1 differs (rows missing, changed or
extra); 1 the verification could not tell (a pool could not be read, it was
cancelled) or any error.`,
	bind: func(fs *flag.FlagSet) runFunc {
		format := fs.String("format", "csv", "`FORMAT` of the differences: csv or json")
		output := fs.String("output", "", "write the differences to `FILE` (mode 0600) instead of standard output")
		return func(ctx context.Context, a *App, args []string) (int, error) {
			return a.verify(ctx, args[0], *format, *output)
		}
	},
}

// ExitDiffers is verify's exit code when R1 differs from the plan.
const ExitDiffers = 2

// maxNamedPerPool is how many differing rows the summary names per pool.
const maxNamedPerPool = 5

func (a *App) verify(ctx context.Context, id, format, output string) (int, error) {
	if format != "csv" && format != "json" {
		return ExitFailed, usagef("--format %q: use csv or json", format)
	}
	svc, s, closeSvc, err := a.sweepService()
	if err != nil {
		return ExitFailed, err
	}
	defer closeSvc()
	plan, running, err := migrationPlan(ctx, svc, s, id, "a verification")
	if err != nil {
		return ExitFailed, err
	}
	if running {
		fmt.Fprintf(a.Stderr, "Note: migration %s is still running: rows of pools that have not finished show as missing.\n", id)
	}
	sw, err := svc.StartVerify(ctx, id, migrations.SweepOptions{})
	if err != nil {
		return ExitFailed, err
	}
	fmt.Fprintf(a.Stderr, "Verifying migration %s against R1: %d pool(s).\nVerification workflow: %s\n", id, len(plan.Units), sw.WorkflowID)
	var res workflows.VerifyResult
	err = a.followSweep(ctx, svc, a.Stderr, sw, len(plan.Units), "checked", func(ctx context.Context) (int, error) {
		var err error
		res, err = svc.WaitVerify(ctx, sw.WorkflowID)
		return len(res.Pools) + res.Omitted, err
	})
	if err != nil {
		return ExitFailed, err
	}
	rows, err := svc.VerifyResultDifferences(ctx, sw.WorkflowID, res, plan)
	if err != nil {
		return ExitFailed, err
	}
	doc := verifyOutput{MigrationID: id, VerifyID: sw.WorkflowID, Status: res.Status, TotalPools: res.TotalPools, Totals: res.Totals, Differences: withDetails(rows)}
	for _, p := range res.Pools {
		if p.Status != workflows.VerifyMatch {
			doc.Pools = append(doc.Pools, p)
		}
	}
	write := func(w io.Writer) error { return report.WriteDifferencesCSV(w, rows) }
	if format == "json" {
		write = func(w io.Writer) error { return writeDiffJSON(w, doc) }
	}
	if output == "" {
		err = write(a.Stdout)
	} else {
		err = writeFile(output, write)
	}
	if err != nil {
		return ExitFailed, err
	}
	code := writeVerifySummary(a.Stderr, doc, output)
	fmt.Fprintf(a.Stderr, "Verification workflow: %s\n", sw.WorkflowID)
	if sw.UIURL != "" {
		fmt.Fprintf(a.Stderr, "Temporal UI: %s\n", sw.UIURL)
	}
	return code, nil
}

// writeVerifySummary prints the verdict, the pools that did not match with
// their first differing rows, and returns verify's exit code.
func writeVerifySummary(w io.Writer, v verifyOutput, output string) int {
	differs, unread := 0, 0
	for _, p := range v.Pools {
		switch p.Status {
		case workflows.VerifyDifferent:
			differs++
		case workflows.StatusFailed:
			unread++
		}
	}
	t := v.Totals
	code := ExitOK
	verdict := "R1 matches the plan"
	switch {
	case differs > 0 || (v.Status == workflows.VerifyDifferent && unread == 0):
		code, verdict = ExitDiffers, "R1 DIFFERS from the plan"
	case v.Status == workflows.StatusCanceled:
		code, verdict = ExitFailed, "verification cancelled before every pool was checked"
	case unread > 0:
		code, verdict = ExitFailed, fmt.Sprintf("verification could not tell: %d pool(s) could not be read", unread)
	}
	writeWrapped(w, fmt.Sprintf("%s (migration %s)", verdict, v.MigrationID), "", "  ")
	fmt.Fprintf(w, "  %d pool(s), %d planned row(s): %d match, %d missing, %d changed; %d extra passphrase(s) in R1's pools\n",
		v.TotalPools, t.Expected, t.Matched, t.Missing, t.Changed, t.Extra)
	if len(v.Pools) > 0 {
		fmt.Fprintln(w)
		writeVerifyTable(w, v.Pools)
	}
	named := map[string][]differenceJSON{} // by R1 pool name, unique in a plan
	for _, d := range v.Differences {
		named[d.R1Pool] = append(named[d.R1Pool], d)
	}
	header := false
	for _, i := range tableOrder(len(v.Pools), func(i int) tableRow { return verifyRow(v.Pools[i]) }) {
		p := v.Pools[i]
		rows := named[p.PoolName]
		if len(rows) == 0 && p.Error == "" {
			continue
		}
		if !header {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "Pools that do not match:")
			header = true
		}
		name := verifyRow(p).label()
		if p.Error != "" {
			writeWrapped(w, name+": could not be read: "+clean(p.Error)+" (verify again)", "  ", "      ")
			continue
		}
		writeWrapped(w, name+":", "  ", "      ")
		for _, d := range rows[:min(len(rows), maxNamedPerPool)] {
			writeWrapped(w, rowLabel(d.Difference)+": "+string(d.Kind)+": "+clean(d.Detail), "    ", "      ")
		}
		if more := p.Counts.Missing + p.Counts.Changed + p.Counts.Extra - min(len(rows), maxNamedPerPool); more > 0 {
			writeWrapped(w, fmt.Sprintf("… and %d more", more), "    ", "      ")
		}
	}
	if code == ExitDiffers {
		where := "on standard output"
		if output != "" {
			where = "in " + output
		}
		fmt.Fprintln(w)
		writeWrapped(w, fmt.Sprintf("Every differing row is %s (a pool lists at most 500 changed and 500 extra). "+
			"Starting the migration again with the same export puts missing rows back; verify again afterwards.", where), "", "  ")
	}
	return code
}

func rowLabel(d report.Difference) string {
	name := clean(d.Username)
	if name == "" {
		name = "(no username)"
	}
	if d.Index != nil {
		name += fmt.Sprintf(" (row %d of %s)", *d.Index, clean(d.CloudpathPool))
	}
	return name
}

// writeVerifyTable prints the pools that did not match.
func writeVerifyTable(w io.Writer, pools []workflows.VerifyPoolResult) {
	cols := []countColumn{{"EXPECTED", true}, {"MATCHED", true}, {"MISSING", true}, {"CHANGED", true}, {"EXTRA", true}}
	rows := make([]countRow, len(pools))
	for i, p := range pools {
		c := p.Counts
		rows[i] = countRow{tableRow: verifyRow(p), counts: []int{c.Expected, c.Matched, c.Missing, c.Changed, c.Extra}}
	}
	writeCountTable(w, cols, rows, nil)
}

func verifyRow(p workflows.VerifyPoolResult) tableRow {
	return tableRow{key: clean(p.Key), name: displayName(p.DisplayName, p.Key), status: clean(string(p.Status))}
}

// sweepService dials Temporal for a verification or rollback: the
// migration's memo and history are read with the payload keys, if any.
func (a *App) sweepService() (*migrations.Service, Settings, func(), error) {
	s, err := LoadSettings(a.Getenv)
	if err != nil {
		return nil, s, nil, err
	}
	ring, err := payloadcrypt.FromEnv(a.Getenv)
	if err != nil {
		return nil, s, nil, fmt.Errorf("payload encryption: %w", err)
	}
	svc, closeSvc, err := a.service(s)
	if err != nil {
		return nil, s, nil, err
	}
	svc.DataConverter = payloadcrypt.DataConverter(nil, ring)
	return svc, s, closeSvc, nil
}

// migrationPlan is the plan a verification or rollback of migration id makes:
// its recorded export planned again with its recorded options.
func migrationPlan(ctx context.Context, svc *migrations.Service, s Settings, id, what string) (*cloudpath.Plan, bool, error) {
	info, err := svc.Migration(ctx, id)
	if errors.Is(err, migrations.ErrNotFound) {
		return nil, false, notFound(id, s)
	}
	if err != nil {
		return nil, false, err
	}
	exp, err := svc.ExportOf(ctx, id)
	if err != nil {
		return nil, false, err
	}
	data, err := svc.Store.Load(exp.Export)
	if err != nil {
		return nil, false, fmt.Errorf("%s needs the migration's export (sha256 %s) and cannot read it: %w; store the same export file again with `dpskmigrate store FILE` (DPSKMIGRATE_EXPORT_DIR must be the workers' store)", what, exp.Export.SHA256, err)
	}
	plan, err := migrations.Check(data, exp.Plan)
	if err != nil {
		return nil, false, fmt.Errorf("the migration's export no longer plans with its options, so %s cannot name its rows: %w", what, err)
	}
	return plan, info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

// followSweep waits for a verification or rollback (wait, which returns the
// number of pools its result covers) while printing, whenever it moves, how
// many of its total pools have ended. Ctrl-C stops following, not the
// workflow.
func (a *App) followSweep(ctx context.Context, svc *migrations.Service, w io.Writer, sw migrations.Sweep, total int, verb string, wait func(context.Context) (int, error)) error {
	type outcome struct {
		pools int
		err   error
	}
	done := make(chan outcome, 1)
	go func() {
		n, err := wait(ctx)
		done <- outcome{n, err}
	}()
	tick := time.NewTicker(a.PollInterval)
	defer tick.Stop()
	last := -1
	show := func(n int) {
		if n = min(n, total); n != last {
			fmt.Fprintf(w, "%s %d/%d pools %s\n", a.Now().Format("15:04:05"), n, total, verb)
			last = n
		}
	}
	show(0)
	for {
		select {
		case o := <-done:
			if ctx.Err() != nil {
				return fmt.Errorf("stopped following; workflow %s goes on: `temporal workflow show --workflow-id %s` follows it", sw.WorkflowID, sw.WorkflowID)
			}
			if o.err != nil {
				return fmt.Errorf("workflow %s: %w", sw.WorkflowID, o.err)
			}
			show(o.pools)
			return nil
		case <-tick.C:
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			n, err := svc.SweepPoolsEnded(qctx, sw.WorkflowID)
			cancel()
			if err == nil {
				show(n)
			}
		}
	}
}
