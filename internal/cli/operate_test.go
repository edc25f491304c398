package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func TestOperatingMistakesAreRefusedBeforeTemporalIsDialled(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"configure without a flag":   {[]string{"configure", "m-1"}, "configure changes nothing without --max-concurrent N or --passphrase-concurrency N"},
		"configure window 0":         {[]string{"configure", "m-1", "--max-concurrent", "0"}, "--max-concurrent 0 is out of range: use 1 to 20; nothing changed"},
		"configure window 21":        {[]string{"configure", "--max-concurrent=21", "m-1", "--passphrase-concurrency", "5"}, "--max-concurrent 21 is out of range"},
		"configure passphrases 101":  {[]string{"configure", "m-1", "--passphrase-concurrency", "101"}, "--passphrase-concurrency 101 is out of range: use 1 to 100; nothing changed"},
		"configure not a number":     {[]string{"configure", "m-1", "--max-concurrent", "eight"}, `invalid value "eight" for flag -max-concurrent`},
		"configure without an ID":    {[]string{"configure", "--max-concurrent", "8"}, "configure takes ID, got 0"},
		"pause two IDs":              {[]string{"pause", "m-1", "m-2"}, "pause takes ID, got 2"},
		"resume a flag":              {[]string{"resume", "m-1", "--yes"}, "flag provided but not defined: -yes"},
		"list unknown status":        {[]string{"list", "--status", "stopped"}, `--status "stopped" is not one List knows: use running, paused, completed, partial, failed, canceled`},
		"list status injection":      {[]string{"list", "--status", "paused' OR 'a'='a"}, "is not one List knows"},
		"list export with a quote":   {[]string{"list", "--export", "3f2a9c10' OR DpskPaused = true OR 'a'='a"}, "is not an export digest"},
		"list export too short":      {[]string{"list", "--export", "3f2a9c1"}, "its first 8 or more digits"},
		"list export not hex":        {[]string{"list", "--export", "export.json"}, "is not an export digest"},
		"list limit 0":               {[]string{"list", "--limit", "0"}, "--limit 0 is out of range: use 1 to 200"},
		"list limit 201":             {[]string{"list", "--limit", "201"}, "--limit 201 is out of range"},
		"list takes no ID":           {[]string{"list", "m-1"}, `list takes no argument, got "m-1"`},
		"verify unknown format":      {[]string{"verify", "m-1", "--format", "xml"}, `--format "xml": use csv or json`},
		"verify without an ID":       {[]string{"verify"}, "verify takes ID, got 0"},
		"rollback yes takes no text": {[]string{"rollback", "m-1", "--yes=please"}, "invalid boolean value"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			a := &App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
				Dial: func(*slog.Logger) (client.Client, error) {
					t.Error("Temporal was dialled")
					return nil, errors.New("no")
				}}
			code := a.Run(context.Background(), tc.args)
			require.Equal(t, ExitFailed, code)
			require.Contains(t, errb.String(), tc.want)
			require.Contains(t, errb.String(), "Usage: dpskmigrate "+tc.args[0])
			require.Empty(t, out.String())
		})
	}
}

func TestConfigureSendsOnlyTheFlagsGiven(t *testing.T) {
	parse := func(args ...string) workflows.Configure {
		fs := newFlagSet("configure")
		configureCommand.bind(fs)
		mc, _ := fs.Lookup("max-concurrent").Value.(interface{ Get() any })
		pc, _ := fs.Lookup("passphrase-concurrency").Value.(interface{ Get() any })
		_, err := parseInterleaved(fs, args)
		require.NoError(t, err)
		c, err := configureFlags(fs, mc.Get().(int), pc.Get().(int))
		require.NoError(t, err)
		return c
	}
	c := parse("m-1", "--max-concurrent", "8")
	require.Equal(t, 8, *c.MaxConcurrent)
	require.Nil(t, c.PassphraseConcurrency, "a flag not given is left alone")
	b, err := json.Marshal(c)
	require.NoError(t, err)
	require.JSONEq(t, `{"maxConcurrent":8}`, string(b), "the update's input, as `temporal workflow update execute --input` takes it")
	c = parse("--passphrase-concurrency=3", "m-1")
	require.Nil(t, c.MaxConcurrent)
	require.Equal(t, 3, *c.PassphraseConcurrency)
	require.NoError(t, c.Validate())
}

func TestControlOutputSaysWhatIsInForce(t *testing.T) {
	var out bytes.Buffer
	writeControl(&out, "m-1", workflows.PauseUpdate, workflows.ControlState{Paused: true, PausedSince: t0, MaxConcurrent: 5, PassphraseConcurrency: 10})
	require.Equal(t, `Migration m-1 is paused since 2026-11-29 12:00:00 UTC: no pool starts and running pools start no R1
  call; the calls in flight finish.
In force: up to 5 pool(s) at once, 10 passphrase(s) in flight per pool.
Resume with: dpskmigrate resume m-1
`, out.String())
	out.Reset()
	writeControl(&out, "m-1", workflows.ConfigureUpdate, workflows.ControlState{Paused: true, PausedSince: t0, MaxConcurrent: 8, PassphraseConcurrency: 5})
	require.Equal(t, `Migration m-1 took the new settings.
In force: up to 8 pool(s) at once, 5 passphrase(s) in flight per pool; paused since 2026-11-29 12:00:00 UTC.
Resume with: dpskmigrate resume m-1
`, out.String())
	out.Reset()
	writeControl(&out, "m-1", workflows.ResumeUpdate, workflows.ControlState{MaxConcurrent: 1, PassphraseConcurrency: 1})
	require.Equal(t, "Migration m-1 is running (not paused).\nIn force: up to 1 pool(s) at once, 1 passphrase(s) in flight per pool.\n", out.String())
}

func ptr[T any](v T) *T { return &v }

func TestGoldenList(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(-d) }
	closed := at(time.Hour)
	listed := []migrations.Listed{
		{WorkflowID: "migration-campus-1", State: "RUNNING", Status: "RUNNING", Paused: true, StartTime: at(3 * time.Hour),
			PoolsDone: ptr(12), PoolsFailed: ptr(1), FirstPool: "Bldg003"},
		{WorkflowID: "migration-building-a1-s42-1a2b3c4d-3f2a9c10-7b1e04", State: "RUNNING", Status: "RUNNING", StartTime: at(45 * time.Second),
			PoolsDone: ptr(0), PoolsFailed: ptr(0), FirstPool: "Residence Hall North Wing — Graduate Housing Block C"},
		{WorkflowID: "migration-export-0c0ffee0-aa11bb", State: "RUNNING", Status: "RUNNING", StartTime: at(2 * time.Second)}, // not planned yet
		{WorkflowID: "migration-residence-hall-north-wing-g-3f2a9c10-7b1e04", State: "COMPLETED", Status: "PARTIAL", StartTime: at(50 * time.Hour),
			CloseTime: &closed, PoolsDone: ptr(1198), PoolsFailed: ptr(2), FirstPool: "学生寮 東棟"},
		{WorkflowID: "migration-west-0a1b2c3d-9e8f7a", State: "TERMINATED", Status: "TERMINATED", StartTime: at(30 * time.Minute),
			CloseTime: &closed, PoolsDone: ptr(3), PoolsFailed: ptr(0), FirstPool: "West\x1b[2J A"},
	}
	var out bytes.Buffer
	writeList(&out, listed, t0)
	golden(t, "list", out.String())
	fitsTheTable(t, out.String())
	require.NotContains(t, out.String(), "\x1b")
	require.Contains(t, out.String(), "\nmigration-residence-hall-north-wing-g-3f2a9c10-7b1e04\n", "a long ID is never cut: it has a line of its own")
	require.Regexp(t, `(?m)^migration-building-a1-s42-1a2b3c4d-3f2a9c10-7b1e04  RUNNING `, out.String(), "a generated ID, 50 columns at most, has its row")
	require.Regexp(t, `(?m)^migration-campus-1\s+RUNNING\s+yes\s+12\s+1\s+3h\s+Bldg003$`, out.String())
	require.Regexp(t, `(?m)^migration-export-0c0ffee0-aa11bb\s+RUNNING\s+no\s+-\s+-\s+2s\s+-$`, out.String(), "no search attribute yet")
	require.Regexp(t, `(?m)^migration-residence-hall-north-wing-g-3f2a9c10-7b1e04\n\s+PARTIAL\s+-\s+1198\s+2\s+2d\s+学生寮 東…$`, out.String())
}

// verifyFixture is a migration's plan and a verification that found, in its
// first pool, row 3 missing, row 5 with another VLAN and a stranger's
// passphrase; the second pool matched, and a third could not be read.
func verifyFixture(t *testing.T) (verifyOutput, []report.Difference) {
	plan, err := migrations.Check(sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 15, Seed: 62}), cloudpath.PlanOptions{Now: t0})
	require.NoError(t, err)
	u0, u1, u2 := plan.Units[0], plan.Units[1], plan.Units[2]
	var missing runrecord.RowSet
	missing.Add(3)
	full := workflows.VerifyPoolResult{Key: u0.Key, DisplayName: u0.DisplayName, PoolName: u0.PoolName, PoolID: "pool-0", Status: workflows.VerifyDifferent,
		Counts:  workflows.VerifyCounts{Expected: 15, Matched: 13, Missing: 1, Changed: 1, Extra: 1},
		Missing: missing,
		Changed: []activities.ChangedRow{{Row: 5, Fields: []string{"vlan"}, PassphraseID: "pp-5", IdentityID: "id-5"}},
		Extra:   []activities.ExtraRow{{Username: "=stranger", PassphraseID: "pp-x"}}}
	summary := full
	summary.Missing, summary.Changed, summary.Extra = runrecord.RowSet{}, nil, nil
	res := workflows.VerifyResult{Status: workflows.VerifyDifferent, TotalPools: 3,
		Totals: workflows.VerifyCounts{Expected: 45, Matched: 28, Missing: 16, Changed: 1, Extra: 1},
		Pools: []workflows.VerifyPoolResult{summary,
			{Key: u1.Key, DisplayName: u1.DisplayName, Status: workflows.VerifyMatch, Counts: workflows.VerifyCounts{Expected: 15, Matched: 15}},
			{Key: u2.Key, DisplayName: u2.DisplayName, Status: workflows.StatusFailed, Counts: workflows.VerifyCounts{Expected: 15},
				Error: "reading page 1: R1 answered 503 five times"}}}
	rows := migrations.Differences(plan, map[string]workflows.VerifyPoolResult{u0.Key: full})
	doc := verifyOutput{MigrationID: "migration-campus-1", VerifyID: "verify-campus-1-a1b2c3", Status: res.Status, TotalPools: 3, Totals: res.Totals, Differences: withDetails(rows)}
	for _, p := range res.Pools {
		if p.Status != workflows.VerifyMatch {
			doc.Pools = append(doc.Pools, p)
		}
	}
	return doc, rows
}

func TestVerifyDifferencesAreTheReportsRowsWithTheDifference(t *testing.T) {
	doc, rows := verifyFixture(t)
	var out bytes.Buffer
	require.NoError(t, report.WriteDifferencesCSV(&out, rows))
	lines, err := csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	require.Equal(t, [][]string{
		{"r1_pool", "cloudpath_pool", "index", "username", "cloudpath_guid", "difference", "detail", "passphrase_id", "identity_id"},
		{"Building A1 s62", "Building A1 s62", "3", "unit000-res00003", "AccountDpsk-0062-000-00003", "missing", "R1 does not hold this row", "", ""},
		{"Building A1 s62", "Building A1 s62", "5", "unit000-res00005", "AccountDpsk-0062-000-00005", "changed", "R1 holds it with another vlan", "pp-5", "id-5"},
		{"Building A1 s62", "", "", "'=stranger", "", "extra", "R1 holds this passphrase in the pool; the export does not migrate it", "pp-x", ""},
	}, lines, "a username from R1 that a spreadsheet would run is defused")

	out.Reset()
	require.NoError(t, writeDiffJSON(&out, doc))
	var back struct {
		Status      string
		Pools       []workflows.VerifyPoolResult
		Differences []map[string]any
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &back))
	require.Equal(t, "DIFFERENT", back.Status)
	require.Len(t, back.Pools, 2, "the pools that did not match")
	require.Len(t, back.Differences, 3)
	require.Equal(t, "missing", back.Differences[0]["difference"])
	require.EqualValues(t, 3, back.Differences[0]["index"])
	require.NotContains(t, back.Differences[2], "index", "an extra passphrase is no row of the export")
	require.Equal(t, "R1 holds it with another vlan", back.Differences[1]["detail"], "the JSON has the CSV's words")
}

// Two pools differ: their rows come in plan order, whatever order the pools
// ended in, and the rows of a pool R1 does not have at all say so.
func TestVerifyNamesRowsInPlanOrderAndAPoolR1DoesNotHave(t *testing.T) {
	plan, err := migrations.Check(sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 4, Seed: 63}), cloudpath.PlanOptions{Now: t0})
	require.NoError(t, err)
	u0, u2 := plan.Units[0], plan.Units[2]
	var all, one runrecord.RowSet
	for i := range u2.Rows {
		all.Add(i)
	}
	one.Add(1)
	gone := workflows.VerifyPoolResult{Key: u2.Key, PoolName: u2.PoolName, Status: workflows.VerifyDifferent, Missing: all,
		Counts: workflows.VerifyCounts{Expected: 4, Missing: 4}}
	short := workflows.VerifyPoolResult{Key: u0.Key, PoolName: u0.PoolName, PoolID: "pool-0", Status: workflows.VerifyDifferent, Missing: one,
		Counts: workflows.VerifyCounts{Expected: 4, Matched: 3, Missing: 1}}
	rows := migrations.Differences(plan, map[string]workflows.VerifyPoolResult{u2.Key: gone, u0.Key: short})
	var out bytes.Buffer
	require.NoError(t, report.WriteDifferencesCSV(&out, rows))
	lines, err := csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	require.Len(t, lines, 1+1+4)
	require.Equal(t, []string{u0.PoolName, "1", "R1 does not hold this row"}, []string{lines[1][0], lines[1][2], lines[1][6]})
	for i, l := range lines[2:] {
		require.Equal(t, []string{u2.PoolName, strconv.Itoa(i), "missing", "R1 has no DPSK pool of this name"}, []string{l[0], l[2], l[5], l[6]})
	}

	doc := verifyOutput{MigrationID: "m-2", Status: workflows.VerifyDifferent, TotalPools: 3, Totals: workflows.VerifyCounts{Expected: 12, Matched: 7, Missing: 5},
		Pools: []workflows.VerifyPoolResult{gone, short}, Differences: withDetails(rows)}
	out.Reset()
	require.Equal(t, ExitDiffers, writeVerifySummary(&out, doc, "diff.csv"))
	require.Contains(t, out.String(), fmt.Sprintf("    %s (row 0 of %s): missing: R1 has no DPSK pool of this name\n", u2.Rows[0].Username, u2.DisplayName))
	require.Contains(t, out.String(), fmt.Sprintf("    %s (row 1 of %s): missing: R1 does not hold this row\n", u0.Rows[1].Username, u0.DisplayName))
}

func TestGoldenVerifySummary(t *testing.T) {
	doc, _ := verifyFixture(t)
	var out bytes.Buffer
	code := writeVerifySummary(&out, doc, "")
	golden(t, "verify-differs", out.String())
	fitsTheTable(t, out.String())
	require.Equal(t, ExitDiffers, code)
	require.Contains(t, out.String(), "    unit000-res00003 (row 3 of Building A1 s62): missing: R1 does not hold this row\n")

	// The same verification without the differing pool: it cannot tell.
	unread := doc
	unread.Pools, unread.Differences = doc.Pools[1:], nil
	out.Reset()
	require.Equal(t, ExitFailed, writeVerifySummary(&out, unread, ""))
	require.Contains(t, out.String(), "verification could not tell: 1 pool(s) could not be read")

	match := verifyOutput{MigrationID: "m-1", VerifyID: "verify-m-1", Status: workflows.VerifyMatch, TotalPools: 2, Totals: workflows.VerifyCounts{Expected: 30, Matched: 30}}
	out.Reset()
	require.Equal(t, ExitOK, writeVerifySummary(&out, match, ""))
	require.Equal(t, "R1 matches the plan (migration m-1)\n  2 pool(s), 30 planned row(s): 30 match, 0 missing, 0 changed; 0 extra passphrase(s) in R1's pools\n", out.String())
}

func TestGoldenRollback(t *testing.T) {
	pools := []migrations.PoolRollbackPlan{
		{Key: "bldg003-b0ab7f5d", DisplayName: "Bldg003", Passphrases: 40, Pools: 1, Groups: 1, PolicySets: 1, Restores: 1, EstimatedR1Calls: 15},
		{Key: "tower-9-5e6f7a8b", DisplayName: "Tower 9", Passphrases: 18, VLANs: 1, Restores: 2, EstimatedR1Calls: 14},
		{Key: "residence-hall-north-wing-graduate-housing-block-c-0c0ffee0", DisplayName: "Residence Hall North Wing — Graduate Housing Block C",
			Passphrases: 120, Activations: 2, Networks: 1, Pools: 1, Groups: 1, EstimatedR1Calls: 22},
	}
	pv := migrations.RollbackPreview{MigrationID: campusID, Pools: pools, NotRecorded: []string{"Annex"}}
	for _, p := range pools {
		pv.Totals.Passphrases += p.Passphrases
		pv.Totals.VLANs += p.VLANs
		pv.Totals.Activations += p.Activations
		pv.Totals.Networks += p.Networks
		pv.Totals.Pools += p.Pools
		pv.Totals.Groups += p.Groups
		pv.Totals.PolicySets += p.PolicySets
		pv.Totals.Restores += p.Restores
		pv.Totals.EstimatedR1Calls += p.EstimatedR1Calls
	}
	var out bytes.Buffer
	writeRollbackPreview(&out, pv, 1800)
	golden(t, "rollback-preview", out.String())
	fitsTheTable(t, out.String())
	require.Regexp(t, `(?m)^Total\s+178\s+1\s+2\s+1\s+2\s+2\s+1\s+3\s+51$`, out.String())

	res := workflows.RollbackResult{Status: workflows.StatusPartial, TotalPools: 4,
		Pools: []workflows.RollbackPoolResult{
			{Key: "bldg003-b0ab7f5d", DisplayName: "Bldg003", Status: workflows.StatusPartial,
				Counts: workflows.RollbackCounts{Passphrases: 40, Identities: 40, Restored: 1, Kept: 2},
				Kept:   []string{"DPSK pool \"Bldg003\" holds 1 passphrase(s) the migration did not create: kept, with its identity group"}},
			{Key: "tower-9-5e6f7a8b", DisplayName: "Tower 9", Status: workflows.StatusCompleted,
				Counts: workflows.RollbackCounts{Passphrases: 18, Identities: 18, VLANs: 1, Restored: 2}},
			{Key: "annex-9f8e7d6c", DisplayName: "Annex", Status: workflows.StatusPartial, Counts: workflows.RollbackCounts{Kept: 1},
				Kept: []string{"this pool ran under the first release, which recorded nothing to undo; remove what it created in R1 by hand"}},
		},
		Kept: []string{"policy set 5d1c: R1 refused the delete (HTTP 409) (something else uses it)"},
	}
	for _, p := range res.Pools {
		res.Totals.Passphrases += p.Counts.Passphrases
		res.Totals.Identities += p.Counts.Identities
		res.Totals.VLANs += p.Counts.VLANs
		res.Totals.Restored += p.Counts.Restored
		res.Totals.Kept += p.Counts.Kept
	}
	res.Totals.Kept++
	out.Reset()
	writeRollbackResult(&out, campusID, "rollback-campus-3f2a9c10-7b1e04-c0ffee", res)
	golden(t, "rollback-partial", out.String())
	fitsTheTable(t, out.String())
	require.Contains(t, out.String(), "Kept (left in R1, and why):\n  Annex:\n")

	out.Reset()
	writeRollbackResult(&out, campusID, "rollback-again", workflows.RollbackResult{Status: workflows.StatusCompleted, TotalPools: 4,
		Pools: []workflows.RollbackPoolResult{{Key: "tower-9-5e6f7a8b", DisplayName: "Tower 9", Status: workflows.StatusCompleted}}})
	require.Contains(t, out.String(), "nothing was left to undo")
	require.NotContains(t, out.String(), "POOL ", "no pool did anything")
	require.Contains(t, out.String(), "Deleted: nothing\nRestored: nothing\n")
}

func TestStatusSaysARunningMigrationIsPaused(t *testing.T) {
	st := migrations.Status{WorkflowID: campusID, State: "RUNNING", Progress: &workflows.MigrationProgress{Pools: 2, PoolsPending: 2, Passphrases: 20, Window: 1, Paused: true, PausedSince: t0}}
	var out bytes.Buffer
	writeRunning(&out, st, workflows.PoolsView{Pending: 2}, nil, 1800, false)
	require.True(t, strings.HasPrefix(out.String(), "Migration "+campusID+": RUNNING\n  PAUSED since 2026-11-29 12:00:00 UTC: no pool starts and running pools start no R1 call;"), out.String())
	require.Contains(t, out.String(), "`dpskmigrate resume "+campusID+"` lets it go on")
	fitsTheTable(t, out.String())
}
