package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// go test ./internal/cli -run Golden -update rewrites testdata/*.golden;
// read the diff before committing it.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/cli -run Golden -update to create it")
	require.Equal(t, string(want), got, "%s differs; if the change is intended, rewrite it with -update", path)
}

// fitsTheTable asserts that no line of out is wider than the default table.
func fitsTheTable(t *testing.T, out string) {
	t.Helper()
	for i, l := range strings.Split(out, "\n") {
		require.LessOrEqual(t, textWidth(l), tableWidth, "line %d is %d columns wide:\n%s", i+1, textWidth(l), l)
	}
}

const (
	campusID = "migration-campus-3f2a9c10-7b1e04"
	campusUI = "http://localhost:8233/namespaces/default/workflows/" + campusID
)

func pool(id, key, name string, status workflows.Status, c workflows.Counts) workflows.PoolResult {
	return workflows.PoolResult{Key: key, DisplayName: name, WorkflowID: workflows.ChildWorkflowID(id, key), Status: status, Counts: c}
}

func rows(n int, user, reason string) []cloudpath.RowOutcome {
	var out []cloudpath.RowOutcome
	for i := range n {
		out = append(out, cloudpath.RowOutcome{Index: 10 + i, Username: user + string(rune('a'+i)), Reason: reason})
	}
	return out
}

// partialCampus ended PARTIAL: two pools share the name Bldg003, one failed
// outright, one is partial with failed, conflicting, refused and skipped rows
// (more than its result lists), and names are long, wide or out of order.
func partialCampus() migrations.Status {
	id := campusID
	b1 := pool(id, "bldg003-b0ab7f5d", "Bldg003", workflows.StatusCompleted, workflows.Counts{Created: 40, Adopted: 2, Patched: 1})
	t10 := pool(id, "tower-10-1a2b3c4d", "Tower 10", workflows.StatusCompleted, workflows.Counts{Created: 25, Skipped: 1})
	t10.SkippedRows = []cloudpath.RowOutcome{{Index: 4, Username: "guest-lobby", Reason: "expired 2025-03-01T00:00:00Z"}}
	annex := pool(id, "annex-9f8e7d6c", "Annex", workflows.StatusFailed, workflows.Counts{Failed: 30, Skipped: 2})
	annex.Error = `identity group "Annex": R1 refused it (HTTP 400, "name already used in another venue"): rename it with --identity-group-name, or remove the other group`
	annex.SkippedRows = rows(2, "old-", "status REVOKED")
	b2 := pool(id, "bldg003-7c1e9a02", " Bldg003 ", workflows.StatusPartial, workflows.Counts{Created: 30, Adopted: 5, Skipped: 14, Refused: 1, Conflicts: 1, Failed: 60})
	b2.Error = "12 passphrases R1 accepted were not confirmed by reads within 10 minutes"
	b2.FailedRows = []cloudpath.RowOutcome{
		{Index: 2, Username: "res-102", Reason: "R1 holds this username with another passphrase"},
		{Index: 5, Username: "res-105", Reason: "R1 accepted the create (request 7d1c0f5e-2b8a-4c55-9d0e-31aa6e2f3b17) but did not show it in 14 reads over 10 minutes; run the migration again to adopt it if R1 shows it later"},
		{Index: 9, Reason: "username is empty"},
	}
	b2.SkippedRows = append(rows(2, "res-dup-", "duplicate username of row 3"), cloudpath.RowOutcome{Index: 30, Username: strings.Repeat("very-long-username-", 6), Reason: "expired 2024-12-31T00:00:00Z"})
	t9 := pool(id, "tower-9-5e6f7a8b", "Tower 9", workflows.StatusCompleted, workflows.Counts{Created: 18, Adopted: 2})
	long := pool(id, "residence-hall-north-wing-graduate-housing-block-c-0c0ffee0", "Residence Hall North Wing — Graduate Housing Block C",
		workflows.StatusCompleted, workflows.Counts{Created: 120, Patched: 3})
	wide := pool(id, "pool-4d5e6f70", "学生寮 東棟", workflows.StatusCompleted, workflows.Counts{Created: 8})
	res := &workflows.MigrationResult{
		Status:     workflows.StatusPartial,
		Pools:      []workflows.PoolResult{b1, t10, annex, b2, t9, long, wide}, // in completion order
		TotalPools: 7,
		PoolCounts: workflows.PoolCounts{Completed: 5, Partial: 1, Failed: 1},
	}
	for _, p := range res.Pools {
		addCounts(&res.Totals, p.Counts)
	}
	return migrations.Status{WorkflowID: id, State: "COMPLETED", Result: res, UIURL: campusUI}
}

func addCounts(t *workflows.Counts, c workflows.Counts) {
	t.Created += c.Created
	t.Adopted += c.Adopted
	t.Patched += c.Patched
	t.Skipped += c.Skipped
	t.Refused += c.Refused
	t.Conflicts += c.Conflicts
	t.Failed += c.Failed
	t.NotAttempted += c.NotAttempted
}

// canceledCampus was cancelled: one pool completed, one was cut short, two
// never started.
func canceledCampus() migrations.Status {
	id := "migration-north-5d6e7f80-c0ffee"
	north := pool(id, "north-11aa22bb", "North", workflows.StatusCompleted, workflows.Counts{Created: 50})
	south := pool(id, "south-33cc44dd", "South", workflows.StatusCanceled, workflows.Counts{Created: 20, Adopted: 4, Skipped: 1, NotAttempted: 26})
	south.SkippedRows = rows(1, "temp-", "expired 2025-06-30T00:00:00Z")
	res := &workflows.MigrationResult{Status: workflows.StatusCanceled, Pools: []workflows.PoolResult{north, south}, TotalPools: 4,
		PoolCounts: workflows.PoolCounts{Completed: 1, Canceled: 1, NotStarted: 2}}
	for _, p := range res.Pools {
		addCounts(&res.Totals, p.Counts)
	}
	res.Totals.NotAttempted += 120 // the rows of the two pools never started
	return migrations.Status{WorkflowID: id, State: "CANCELED", Result: res,
		UIURL: "http://localhost:8233/namespaces/default/workflows/" + id}
}

// failedCampus failed: every pool failed.
func failedCampus() migrations.Status {
	id := "migration-west-0a1b2c3d-9e8f7a"
	w1 := pool(id, "west-a-55ee66ff", "West A", workflows.StatusFailed, workflows.Counts{Failed: 12})
	w1.Error = `DPSK pool "West A": R1 refused it (HTTP 403): the API client may not create DPSK services; grant it the DPSK admin role`
	w2 := pool(id, "west-b-77aa88bb", "West B", workflows.StatusFailed, workflows.Counts{Failed: 9, Refused: 1})
	w2.Error = w1.Error
	w2.FailedRows = []cloudpath.RowOutcome{{Index: 3, Username: "short", Reason: "passphrase is shorter than 8 characters"}}
	res := &workflows.MigrationResult{Status: workflows.StatusFailed, Pools: []workflows.PoolResult{w2, w1}, TotalPools: 2,
		PoolCounts: workflows.PoolCounts{Failed: 2}, Totals: workflows.Counts{Failed: 21, Refused: 1}}
	return migrations.Status{WorkflowID: id, State: "FAILED", Result: res,
		UIURL: "http://localhost:8233/namespaces/default/workflows/" + id}
}

// bigCampus has more pools than a result names: the rest are counted.
func bigCampus() migrations.Status {
	id := "migration-city-9a8b7c6d-123abc"
	partial := pool(id, "hall-0042-aa11bb22", "Hall 0042", workflows.StatusPartial, workflows.Counts{Created: 97, Failed: 3})
	partial.FailedRows = rows(3, "user-", "R1 answered 500 three times; run the migration again")
	res := &workflows.MigrationResult{Status: workflows.StatusPartial, TotalPools: 1200, PoolsOmitted: 1197,
		Pools: []workflows.PoolResult{
			pool(id, "hall-0001-cc33dd44", "Hall 0001", workflows.StatusCompleted, workflows.Counts{Created: 100}),
			partial,
			pool(id, "hall-0002-ee55ff66", "Hall 0002", workflows.StatusCompleted, workflows.Counts{Created: 100}),
		},
		PoolCounts: workflows.PoolCounts{Completed: 1199, Partial: 1},
		Totals:     workflows.Counts{Created: 119_997, Failed: 3},
	}
	return migrations.Status{WorkflowID: id, State: "COMPLETED", Result: res,
		UIURL: "http://localhost:8233/namespaces/default/workflows/" + id}
}

func statusOutput(st migrations.Status, wide bool) string {
	var out bytes.Buffer
	writeStatus(&out, st, wide)
	return out.String()
}

func TestGoldenFinishedMigrations(t *testing.T) {
	for name, st := range map[string]migrations.Status{
		"status-partial":  partialCampus(),
		"status-canceled": canceledCampus(),
		"status-failed":   failedCampus(),
		"status-omitted":  bigCampus(),
	} {
		t.Run(name, func(t *testing.T) {
			out := statusOutput(st, false)
			golden(t, name, out)
			fitsTheTable(t, out)
			require.NotContains(t, out, "POOL WORKFLOW")
			require.NotContains(t, out, "\x1b")
		})
	}
}

func TestStatusTableNamesPoolsAsPeopleKnowThem(t *testing.T) {
	out := statusOutput(partialCampus(), false)
	table := out[strings.Index(out, "\nPOOL ")+1:]
	table = table[:strings.Index(table, "\n\n")]
	var order []string
	for _, l := range strings.Split(table, "\n")[1:] {
		order = append(order, strings.TrimSpace(regexp.MustCompile(`\s{2,}(FAILED|PARTIAL|CANCELED|COMPLETED)\s.*$`).ReplaceAllString(l, "")))
	}
	require.Equal(t, []string{
		"Annex",                           // failed first
		"Bldg003 (bldg003-7c1e9a02)",      // then partial; a shared name carries the key
		"Bldg003 (bldg003-b0ab7f5d)",      // then completed, by name as people count
		"Residence Hall North Wing — Gr…", // cut to the POOL column
		"Tower 9",
		"Tower 10",
		"学生寮 東棟",
	}, order)
	require.NotContains(t, table, "tower-9-5e6f7a8b", "a name nobody shares shows without its key")
	require.Contains(t, out, "CONFLICTS")
	require.NotContains(t, out, "NOT ATTEMPTED", "no pool has rows not attempted")

	canceled := statusOutput(canceledCampus(), false)
	require.Regexp(t, `(?m)^POOL\s+STATUS\s+CREATED .* NOT ATTEMPTED$`, canceled)
	require.Regexp(t, `(?m)^South\s+CANCELED\s+20\s+4\s+0\s+1\s+0\s+0\s+0\s+26$`, canceled)
	require.Contains(t, canceled, ", 146 not attempted\n")
}

func TestWideAddsEachPoolsWorkflowAndNeverShortensAName(t *testing.T) {
	st := partialCampus()
	narrow, wide := statusOutput(st, false), statusOutput(st, true)
	golden(t, "status-partial-wide", wide)
	require.Contains(t, wide, "POOL WORKFLOW")
	for _, p := range st.Result.Pools {
		label := strings.TrimSpace(p.DisplayName)
		if label == "Bldg003" {
			label += " (" + p.Key + ")"
		}
		require.Regexp(t, `(?m)^`+regexp.QuoteMeta(label)+` .* `+regexp.QuoteMeta(p.WorkflowID)+`$`, wide, "the wide table ends %s's row with its workflow", label)
		require.NotRegexp(t, `(?m)^\S.*\s(COMPLETED|PARTIAL|FAILED)\s.*`+regexp.QuoteMeta(p.WorkflowID), narrow, "the default table has no workflow column")
	}
	require.Contains(t, wide, "Residence Hall North Wing — Graduate Housing Block C ")
}

func TestGoldenRunningMigration(t *testing.T) {
	id := campusID
	annex := pool(id, "annex-9f8e7d6c", "Annex", workflows.StatusFailed, workflows.Counts{Failed: 30, Skipped: 2})
	annex.Error = `identity group "Annex": R1 refused it (HTTP 400, "name already used in another venue")`
	b1 := pool(id, "bldg003-b0ab7f5d", "Bldg003", workflows.StatusCompleted, workflows.Counts{Created: 40, Adopted: 2, Patched: 1})
	progress := &workflows.MigrationProgress{Pools: 6, PoolsPending: 2, PoolsRunning: 2, PoolsDone: 1, PoolsFailed: 1, Passphrases: 600,
		Finished: workflows.Counts{Created: 40, Adopted: 2, Patched: 1, Failed: 30, Skipped: 2},
		Running: []workflows.RunningPool{
			{Key: "tower-b-0d9c8b7a", DisplayName: "Tower B", WorkflowID: workflows.ChildWorkflowID(id, "tower-b-0d9c8b7a"), Rows: 120, Done: 30, Confirmed: 12},
			{Key: "bldg003-7c1e9a02", DisplayName: "Bldg003", WorkflowID: workflows.ChildWorkflowID(id, "bldg003-7c1e9a02"), Rows: 100, Done: 20, Confirmed: 20},
		},
		Window: 2}
	view := workflows.PoolsView{Done: []workflows.PoolResult{b1, annex}, Running: progress.Running, Pending: 2}
	answers := map[string]workflows.PoolProgress{ // Tower B does not answer: its last report shows
		workflows.ChildWorkflowID(id, "bldg003-7c1e9a02"): {Key: "bldg003-7c1e9a02", DisplayName: "Bldg003", Phase: "passphrases", Rows: 100,
			Done: 39, Accepted: 27, Counts: workflows.Counts{Created: 10, Adopted: 2, Skipped: 4}},
	}
	st := migrations.Status{WorkflowID: id, State: "RUNNING", Progress: progress, UIURL: campusUI}
	var out bytes.Buffer
	writeRunning(&out, st, view, answers, 1800, false)
	golden(t, "status-running", out.String())
	fitsTheTable(t, out.String())
	require.Contains(t, out.String(), "  bldg003-7c1e9a02: passphrases, 39/100 (12 confirmed, 27 accepted by R1 and awaiting confirmation)\n",
		"a finished pool shares the running one's name: the live line names it by its key, which fits in 100 columns")
	require.Regexp(t, `(?m)^Annex\s+FAILED .*\nBldg003 \(bldg003-7c1e9a02\)\s+RUNNING .*\nTower B\s+RUNNING\s+-`, out.String(),
		"running pools follow the failed ones; one that does not answer has no counts")
}

func TestGoldenWatch(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	snap := func(created, accepted int) snapshot {
		return snapshot{
			progress: workflows.MigrationProgress{Pools: 3, PoolsRunning: 1, PoolsDone: 1, PoolsPending: 1, Passphrases: 300,
				Finished: workflows.Counts{Created: 100},
				Running:  []workflows.RunningPool{{Key: "bldg003-b0ab7f5d", DisplayName: "Bldg003", Rows: 100}}},
			pools: []livePool{{answered: true, confirmed: created, PoolProgress: workflows.PoolProgress{Key: "bldg003-b0ab7f5d", DisplayName: "Bldg003",
				Phase: "passphrases", Rows: 100, Done: created + accepted, Accepted: accepted, Counts: workflows.Counts{Created: created}}}},
		}
	}
	var plain bytes.Buffer
	v := &progressView{w: &plain, callsPerMinute: 600, plainEvery: 5 * time.Second}
	v.show(snapshot{}, t0)
	v.show(snap(12, 27), t0.Add(2*time.Second))
	v.show(snap(20, 30), t0.Add(3*time.Second)) // less than 5s later: not printed
	v.show(snap(39, 0), t0.Add(8*time.Second))  // confirmations alone move it
	v.end(canceledCampus(), t0.Add(9*time.Second))
	golden(t, "watch-plain", plain.String())
	fitsTheTable(t, plain.String())

	var term bytes.Buffer
	v = &progressView{w: &term, tty: true, width: 100, callsPerMinute: 600}
	v.show(snap(12, 27), t0)
	golden(t, "watch-terminal", term.String())
	fitsTheTable(t, term.String())
}

func TestNamesFromAnExportCannotDriveTheTerminal(t *testing.T) {
	st := partialCampus()
	st.Result.Pools[0].DisplayName = "Evil\x1b[2J\x1b[HPool\u202e"
	st.Result.Pools[3].FailedRows[0].Username = "user\r\nMigration x: COMPLETED"
	st.Result.Pools[3].FailedRows[0].Reason = "bad\x07reason"
	out := statusOutput(st, false)
	require.NotContains(t, out, "\x1b")
	require.NotContains(t, out, "\x07")
	require.NotContains(t, out, "\u202e")
	require.NotContains(t, out, "\nMigration x: COMPLETED")
	require.Contains(t, out, "Evil?[2J?[HPool?")
}

func TestTextHelpers(t *testing.T) {
	require.Equal(t, 11, textWidth("学生寮 東棟"))
	require.Equal(t, "Residence…", fit("Residence Hall", 10))
	require.Equal(t, "学生…", fit("学生寮 東棟", 6), "a wide character is never cut in half")
	require.Equal(t, "bldg…-b0ab7f5d", fitKey("bldg003-b0ab7f5d", 14))
	require.True(t, naturalLess("Tower 9", "Tower 10"))
	require.True(t, naturalLess("annex", "Bldg"))
	require.False(t, naturalLess("Tower 10", "Tower 9"))
	require.Equal(t, []string{"  one two", "    three", "    abcdefghij", "    klmno"},
		wrap("one two three abcdefghijklmno", "  ", "    ", 14))
	require.Equal(t, []string{"see", "  http://example.test/a/very/long/link"}, wrap("see http://example.test/a/very/long/link", "", "  ", 20),
		"a link is never cut")
}
