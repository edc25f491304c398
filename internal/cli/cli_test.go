package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

func TestFlagsMayComeBeforeOrAfterThePositional(t *testing.T) {
	for name, args := range map[string][]string{
		"after":        {"export.json", "--parallel", "--max-concurrent", "7"},
		"before":       {"--parallel", "--max-concurrent=7", "export.json"},
		"around":       {"--parallel", "export.json", "-max-concurrent", "7"},
		"double dash":  {"--parallel", "--max-concurrent", "7", "--", "export.json"},
		"single dash ": {"-parallel", "export.json", "--max-concurrent", "7"},
	} {
		t.Run(name, func(t *testing.T) {
			fs := newFlagSet("start")
			parallel := fs.Bool("parallel", false, "")
			n := fs.Int("max-concurrent", 0, "")
			pos, err := parseInterleaved(fs, args)
			require.NoError(t, err)
			require.Equal(t, []string{"export.json"}, pos)
			require.True(t, *parallel)
			require.Equal(t, 7, *n)
		})
	}

	fs := newFlagSet("x")
	pos, err := parseInterleaved(fs, []string{"a", "b"})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, pos, "extra positionals are kept for Run to refuse")

	_, err = parseInterleaved(newFlagSet("x"), []string{"a", "--nope"})
	require.ErrorContains(t, err, "nope")
	_, err = parseInterleaved(newFlagSet("x"), []string{"-h"})
	require.ErrorIs(t, err, flag.ErrHelp)
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		Dial: nil, Now: func() time.Time { return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC) }}
	code = a.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

func TestUsageNamesEveryCommandFlagAndVariable(t *testing.T) {
	out, _, code := run(t, "help")
	require.Equal(t, ExitOK, code)
	for _, c := range commands {
		require.Contains(t, out, "  "+c.name+" ")
		fs := newFlagSet(c.name)
		c.bind(fs)
		fs.VisitAll(func(f *flag.Flag) { require.Contains(t, out, "--"+f.Name, c.name) })
	}
	for _, v := range envVars {
		require.Contains(t, out, v[0])
	}
	require.Contains(t, out, "temporal workflow start")

	_, errOut, code := run(t, "migrate")
	require.Equal(t, ExitFailed, code)
	require.Contains(t, errOut, `unknown command "migrate"`)
	require.Contains(t, errOut, "Commands:")

	_, errOut, code = run(t)
	require.Equal(t, ExitFailed, code)
	require.Contains(t, errOut, "Usage:")

	out, _, code = run(t, "start", "-h")
	require.Equal(t, ExitOK, code)
	require.Contains(t, out, "--max-concurrent N")
}

func TestCommandLineMistakesAreRefusedBeforeAnythingRuns(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"max concurrent 21":      {[]string{"start", "x.json", "--max-concurrent", "21"}, "--max-concurrent 21 is out of range: use 1 to 20"},
		"max concurrent -1":      {[]string{"start", "--max-concurrent=-1", "x.json"}, "out of range"},
		"passphrase concurrency": {[]string{"start", "x.json", "--passphrase-concurrency", "101"}, "use 1 to 100"},
		"expired policy":         {[]string{"plan", "x.json", "--expired", "forever"}, "use no-expiry, renew or skip"},
		"renew days without":     {[]string{"plan", "x.json", "--renew-days", "30"}, "only applies with --expired renew"},
		"no file":                {[]string{"plan"}, "plan takes FILE"},
		"two ids":                {[]string{"status", "a", "b"}, "status takes ID"},
		"unknown flag":           {[]string{"status", "a", "--verbose"}, "flag provided but not defined: -verbose"},
		"watch and print":        {[]string{"start", "x.json", "--watch", "--print-temporal-command"}, "exclude each other"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			a := &App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
			code := a.Run(context.Background(), tc.args)
			require.Equal(t, ExitFailed, code)
			require.Contains(t, errb.String(), tc.want)
			require.Contains(t, errb.String(), "Usage: dpskmigrate "+tc.args[0])
			require.Empty(t, out.String())
		})
	}
}

func TestTemporalCommandQuotesItsInput(t *testing.T) {
	in := workflows.MigrationInput{
		Export:            exportstore.Ref{URI: "file:///tmp/it's here/ab.json", SHA256: strings.Repeat("a", 64)},
		Plan:              cloudpath.PlanOptions{NamePrefix: "O'Brien ", Expired: "skip"},
		ParallelExecution: true,
		MaxConcurrent:     3,
	}
	cmd, err := TemporalCommand(in, "dpskmigrate", "prod", "migration-a-1")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(cmd, "temporal workflow start --type MigrationWorkflow --task-queue dpskmigrate --workflow-id migration-a-1 --namespace prod --input '"), cmd)
	quoted := strings.TrimPrefix(cmd[strings.Index(cmd, "--input ")+len("--input "):], "")
	input := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(quoted, "'"), "'"), `'\''`, `'`)
	var got workflows.MigrationInput
	dec := json.NewDecoder(strings.NewReader(input))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&got))
	require.Equal(t, in.Export, got.Export)
	require.Equal(t, in.Plan.NamePrefix, got.Plan.NamePrefix)
	require.True(t, got.ParallelExecution)
	require.Equal(t, 3, got.MaxConcurrent)
	require.NotContains(t, input, "0001-01-01", "a zero time is left out: the workflow uses its start time")

	require.Equal(t, "abc-1", shellQuote("abc-1"))
	require.Equal(t, `'a b'`, shellQuote("a b"))
	require.Equal(t, `''`, shellQuote(""))
}

func TestETAFollowsTheCallBudget(t *testing.T) {
	require.Equal(t, 60*time.Second, ETA(1800, 0, 1800))
	require.Equal(t, 62*time.Second, ETA(1800, 10, 1800), "about 6 calls per pool not started")
	require.Equal(t, time.Duration(0), ETA(0, 0, 1800))
	require.Equal(t, time.Duration(0), ETA(-5, 0, 1800))
	require.Equal(t, "1m05s", formatDuration(65*time.Second))
	require.Equal(t, "2h03m", formatDuration(2*time.Hour+3*time.Minute))
	require.Equal(t, "9s", formatDuration(9*time.Second))
}

func sampleSnapshot(doneInPool int) snapshot {
	return snapshot{
		progress: workflows.MigrationProgress{Pools: 4, PoolsPending: 1, PoolsRunning: 2, PoolsDone: 1, Passphrases: 400,
			Finished: workflows.Counts{Created: 90, Failed: 5, Refused: 3, Skipped: 2},
			Running:  []workflows.RunningPool{{Key: "a", Rows: 100}, {Key: "b", Rows: 100}}},
		pools: []livePool{
			{answered: true, confirmed: doneInPool - 10, PoolProgress: workflows.PoolProgress{Key: "a", Phase: "passphrases", Rows: 100, Done: doneInPool,
				Accepted: 10, Counts: workflows.Counts{Created: doneInPool - 10}}},
			{answered: true, PoolProgress: workflows.PoolProgress{Key: "b", Phase: "DPSK pool", Rows: 100}},
		},
	}
}

func TestProgressCountsFinishedAndRunningPools(t *testing.T) {
	s := sampleSnapshot(50)
	require.Equal(t, 145, s.done(), "95 of finished pools (skipped and refused are not rows to migrate) + 50 running")
	require.Equal(t, 36, s.percent())
	require.Equal(t, ETA(255+6, 0, 1800), s.eta(1800))
	require.Equal(t, "progress: 36% 145/400 passphrases (130 confirmed, 10 accepted by R1, 5 failed)", s.plainLine(),
		"of 145 handled: 90+40 confirmed, 10 accepted and awaiting confirmation, 5 failed")
	require.Equal(t, "pools 1/4 done, 0 failed, 2 running, 1 pending | ETA 9s", s.poolsLine(1800))
	require.Equal(t, "[###.......]  36% 145/400 passphrases (130 confirmed, 10 accepted by R1, 5 failed)", s.barLine(70),
		"the bar gives way to the text, down to 10 characters")
	require.Equal(t, "["+strings.Repeat("#", 10)+strings.Repeat(".", 20)+"]  36% 145/400 passphrases (130 confirmed, 10 accepted by R1, 5 failed)", s.barLine(200))
	require.Equal(t, "  a: passphrases, 50/100 (40 confirmed, 10 accepted by R1 and awaiting confirmation)", s.poolLines()[0])
	require.Equal(t, "  b: DPSK pool, 0/100", s.poolLines()[1])

	s.progress.Finished.Conflicts = 2
	s.pools[0].Counts.Failed, s.pools[0].Counts.Created, s.pools[0].confirmed = 1, 39, 39
	require.Equal(t, "progress: 36% 147/400 passphrases (129 confirmed, 10 accepted by R1, 6 failed, 2 in conflict)", s.plainLine())
	require.Equal(t, "  a: passphrases, 50/100 (39 confirmed, 10 accepted by R1 and awaiting confirmation, 1 failed)", s.poolLines()[0])

	// A pool that does not answer its query shows its last report to the migration.
	lp := newLivePool(workflows.RunningPool{Key: "c-1", DisplayName: "Tower C", WorkflowID: "m/pool/c-1", Rows: 80, Done: 30, Confirmed: 12}, nil)
	require.Equal(t, "  Tower C: as last reported, 30/80 (12 confirmed, 18 accepted by R1 and awaiting confirmation)", poolLine(lp, "Tower C"))
	s.pools = append(s.pools, lp)
	require.Contains(t, s.plainLine(), "(141 confirmed, 28 accepted by R1, 6 failed, 2 in conflict)")
}

func TestProgressBeforeThePlanSaysSo(t *testing.T) {
	var s snapshot
	require.Equal(t, "progress: "+planningText, s.plainLine())
	require.Equal(t, planningText, s.barLine(100))
}

func TestPlainProgressPrintsOnPoolChangesAndEveryFewSeconds(t *testing.T) {
	var out bytes.Buffer
	v := &progressView{w: &out, callsPerMinute: 1800, plainEvery: 5 * time.Second}
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	lines := func() int { return strings.Count(out.String(), "progress:") }

	v.show(sampleSnapshot(10), t0)
	require.Equal(t, 1, lines(), "the first observation prints")
	v.show(sampleSnapshot(11), t0.Add(time.Second))
	require.Equal(t, 1, lines(), "passphrase counts alone print at most every 5s")
	v.show(sampleSnapshot(12), t0.Add(5*time.Second))
	require.Equal(t, 2, lines())
	s := sampleSnapshot(12)
	s.progress.PoolsDone, s.progress.PoolsPending = 2, 0
	v.show(s, t0.Add(6*time.Second))
	require.Equal(t, 3, lines(), "a pool finishing prints at once")
	v.show(s, t0.Add(20*time.Second))
	require.Equal(t, 3, lines(), "nothing changed")
	require.NotContains(t, out.String(), "\x1b[", "no terminal escapes on a pipe")
	require.Contains(t, out.String(), "  a: passphrases, 12/100 (2 confirmed, 10 accepted by R1 and awaiting confirmation)\n")
	require.Contains(t, out.String(), "10:00:06 pools 2/4 done, 0 failed, 2 running, 0 pending | ETA 10s\n")
}

func TestTerminalProgressRedrawsInPlace(t *testing.T) {
	var out bytes.Buffer
	v := &progressView{w: &out, tty: true, width: 200, callsPerMinute: 1800}
	v.show(sampleSnapshot(10), time.Now())
	require.NotContains(t, out.String(), "\x1b[")
	require.Equal(t, 4, strings.Count(out.String(), "\n"), "a bar, the pools and a line per running pool")
	out.Reset()
	v.show(sampleSnapshot(20), time.Now())
	require.True(t, strings.HasPrefix(out.String(), "\x1b[4A\r\x1b[J"), "%q", out.String())
	require.Contains(t, out.String(), "a: passphrases, 20/100 (10 confirmed, 10 accepted by R1 and awaiting confirmation)")

	out.Reset()
	v.width = 40
	v.show(sampleSnapshot(20), time.Now())
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		require.LessOrEqual(t, textWidth(strings.TrimPrefix(l, "\x1b[4A\r\x1b[J")), 39, "a line as wide as the terminal would wrap and break the redraw: %q", l)
	}
}

func TestStatusNamesEveryRowNotMigratedAndExitsWithTheOutcome(t *testing.T) {
	st := migrations.Status{WorkflowID: "migration-x", State: "COMPLETED", UIURL: "http://ui/wf",
		Result: &workflows.MigrationResult{Status: workflows.StatusPartial, Totals: workflows.Counts{Created: 10, Refused: 2},
			Pools: []workflows.PoolResult{{Key: "building-a", WorkflowID: "migration-x/pool/building-a", Status: workflows.StatusPartial,
				Counts: workflows.Counts{Created: 10, Refused: 2},
				FailedRows: []cloudpath.RowOutcome{{Index: 3, Username: "res-short", Reason: "passphrase is shorter than 8 characters"},
					{Index: 7, Reason: "username is empty"}}}}}}
	var out bytes.Buffer
	WriteStatus(&out, st)
	for _, want := range []string{"Migration migration-x: PARTIAL\n", "\nbuilding-a  PARTIAL ",
		"  building-a:\n    res-short: passphrase is shorter than 8 characters\n", "    (row 7, no username): username is empty\n",
		"10 created", "2 refused", "Temporal UI: http://ui/wf"} {
		require.Contains(t, out.String(), want)
	}
	require.NotContains(t, out.String(), "migration-x/pool/building-a", "the pool workflow only with --wide (or to find rows not listed)")
	require.Equal(t, ExitPartial, ExitCode(st))
	require.Equal(t, "PARTIAL", stateLabel(st))

	st.Result.Status = workflows.StatusCompleted
	require.Equal(t, ExitOK, ExitCode(st))
	require.Equal(t, ExitOK, ExitCode(migrations.Status{State: "RUNNING"}))

	// A failed or cancelled migration ends so in Temporal too, and still carries its result.
	for _, state := range []workflows.Status{workflows.StatusFailed, workflows.StatusCanceled} {
		st.State, st.Result.Status = string(state), state
		require.Equal(t, ExitFailed, ExitCode(st), state)
		require.Equal(t, string(state), stateLabel(st))
		out.Reset()
		WriteStatus(&out, st)
		require.Contains(t, out.String(), "Migration migration-x: "+string(state)+"\n  "+stateMeaning[string(state)]+"\n")
		require.Contains(t, out.String(), "Passphrases in R1 as the export has them: 10 (10 created, 0 adopted, 0 patched)\n")
		require.Contains(t, out.String(), "\nbuilding-a  PARTIAL ", "its pools, as for a completed migration")
	}
	require.Equal(t, ExitFailed, ExitCode(migrations.Status{State: "CANCELED", Error: "the migration was cancelled"}))
	require.Equal(t, "TERMINATED", stateLabel(migrations.Status{State: "TERMINATED", Error: "terminated"}))
	require.Equal(t, ExitFailed, ExitCode(migrations.Status{State: "TERMINATED", Error: "terminated"}))
	// A partial result under a failed workflow (which the workflows never write) is not a success.
	require.Equal(t, ExitFailed, ExitCode(migrations.Status{State: "FAILED", Result: &workflows.MigrationResult{Status: workflows.StatusCompleted}}))
}

func TestCheckR1CountsRowsAsTheMigrationWillTreatThem(t *testing.T) {
	var pc PoolCheck
	row := func(user, pass string, vlan int) *cloudpath.Row {
		return &cloudpath.Row{Username: user, Passphrase: pass, VLANID: vlan}
	}
	compareRow(&pc, row("new", "p1-aaaaaaaa", 10), nil)
	compareRow(&pc, row("same", "p2-aaaaaaaa", 10), []r1client.Passphrase{{Username: "same", Passphrase: "p2-aaaaaaaa", VLANID: 10}})
	compareRow(&pc, row("novlan", "p3-aaaaaaaa", 0), []r1client.Passphrase{{Username: "novlan", Passphrase: "p3-aaaaaaaa", VLANID: 7}})
	compareRow(&pc, row("vlan", "p4-aaaaaaaa", 10), []r1client.Passphrase{{Username: "vlan", Passphrase: "p4-aaaaaaaa", VLANID: 7}})
	compareRow(&pc, row("other", "p5-aaaaaaaa", 10), []r1client.Passphrase{{Username: "other", Passphrase: "zzzzzzzzzz"}})
	require.Equal(t, PoolCheck{Create: 1, Adopt: 2, Patch: 1, Conflict: 1, Conflicts: []string{"other"}}, pc)

	var out bytes.Buffer
	WriteR1Check(&out, R1Check{Pools: []PoolCheck{{Key: "a", IdentityGroup: ActionAdopt, IdentityGroupName: "A", Pool: ActionCreate, PoolName: "A",
		Create: 3, Conflict: 1, Conflicts: []string{"other"}}}, PolicySetName: "Residents", PolicySet: ActionCreate})
	require.Contains(t, out.String(), `adopt "A"`)
	require.Contains(t, out.String(), "Passphrases: 3 to create, 0 to adopt, 0 to adopt with a VLAN fix, 1 in conflict")
	require.Contains(t, out.String(), "  a: other\n")
	require.Contains(t, out.String(), `Policy set "Residents": create`)
	require.NotContains(t, out.String(), "zzzzzzzzzz")
}

func TestPlanReadsTheExportFromStandardInput(t *testing.T) {
	var out, errb bytes.Buffer
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 3, Awkward: true, Seed: 9})
	a := &App{Stdin: bytes.NewReader(export), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		return map[string]string{"R1_CALLS_PER_MINUTE": "600"}[k]
	}}
	require.Equal(t, ExitOK, a.Run(context.Background(), []string{"plan", "-", "--expired", "skip"}), errb.String())
	require.Contains(t, out.String(), "Plan: 2 pools")
	require.Contains(t, out.String(), "at 600 calls/minute")
	require.Contains(t, out.String(), "unit001-short")

	a.Stdin = strings.NewReader(`{"dpskPools": [}`)
	out.Reset()
	errb.Reset()
	require.Equal(t, ExitFailed, a.Run(context.Background(), []string{"plan", "-"}))
	require.Contains(t, errb.String(), "line 1, column 16")
	require.Contains(t, errb.String(), "nothing was stored or started")
}
