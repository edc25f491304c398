package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/secrettest"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// fixture is an export with random passphrases (every one a secret), parsed
// and planned.
type fixture struct {
	exp     *cloudpath.Export
	plan    *cloudpath.Plan
	secrets []string
}

// dpsk is a row of a test export: a random passphrase of n characters unless given.
type dpsk struct {
	name, status, pass, vlan, expires string
	n                                 int
}

func build(t testing.TB, rng *rand.Rand, opts cloudpath.PlanOptions, pools ...[]dpsk) fixture {
	t.Helper()
	var f fixture
	doc := sampledata.Export{Metadata: map[string]any{"extractor_version": "test"}}
	for p, rows := range pools {
		pool := sampledata.Pool{GUID: fmt.Sprintf("pool-guid-%d", p), DisplayName: fmt.Sprintf("Hall %c", 'A'+p),
			PhraseDefaultLength: 8, PhraseRandomCharactersType: "ALPHANUMERIC_MIXED", SSIDList: []string{"Residents"}, DPSKs: []sampledata.DPSK{}}
		for i, d := range rows {
			pass := d.pass
			if pass == "" && d.n > 0 {
				pass = secrettest.Random(rng, d.n, true)
			}
			if len(pass) >= secrettest.PieceLen {
				f.secrets = append(f.secrets, pass)
			}
			status := d.status
			if status == "" {
				status = "ACTIVE"
			}
			pool.DPSKs = append(pool.DPSKs, sampledata.DPSK{GUID: fmt.Sprintf("guid-%d-%d", p, i), Name: d.name, Passphrase: pass,
				Status: status, SSIDList: []string{}, VLAN: d.vlan, ExpirationDateTime: d.expires})
		}
		doc.DPSKPools = append(doc.DPSKPools, pool)
	}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	f.exp, err = cloudpath.Parse(bytes.NewReader(b), cloudpath.ParseOptions{})
	require.NoError(t, err)
	if opts.Now.IsZero() {
		opts.Now = now
	}
	f.plan, err = cloudpath.NewPlan(f.exp, opts)
	require.NoError(t, err)
	return f
}

func rows(n int, prefix string) []dpsk {
	out := make([]dpsk, n)
	for i := range out {
		out[i] = dpsk{name: fmt.Sprintf("%s%03d@example.net", prefix, i), n: 12, vlan: fmt.Sprint(100 + i)}
	}
	return out
}

func set(rows ...int) runrecord.RowSet {
	var s runrecord.RowSet
	for _, r := range rows {
		s.Add(r)
	}
	return s
}

func byUser(rep *report.Report) map[string]report.Row {
	out := map[string]report.Row{}
	for _, r := range rep.Rows {
		out[r.CloudpathPool+"/"+r.Username] = r
	}
	return out
}

func TestEveryOutcomeKindHasItsRowAndReason(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := rows(9, "a")
	a = append(a,
		dpsk{name: "a-revoked", status: "REVOKED", n: 12},
		dpsk{name: "a001@example.net", n: 12}, // duplicate username of row 1
		dpsk{name: "a-short", n: 7},           // refused: too short
		dpsk{name: "a-expired", n: 12, expires: "2024-03-01T00:00Z[UTC]"},
	)
	f := build(t, rng, cloudpath.PlanOptions{Expired: cloudpath.ExpiredSkip}, a, rows(3, "b"), rows(2, "c"), rows(2, "d"), rows(2, "e"), rows(2, "g"))
	u := f.plan.Units
	require.Len(t, u, 6)
	require.Len(t, u[0].Rows, 9)

	var rec runrecord.Pool
	rec.Rows.Created = set(0, 1)
	rec.Rows.Adopted = set(2)
	rec.Rows.Patch(3, 7)
	rec.Rows.Patch(4, 0)
	rec.Rows.Conflict = set(5)
	rec.Rows.Fail(6, "R1 POST /dpskServices/x/passphrases: 400 Bad Request: VLAN out of range")
	rec.Rows.Unconfirmed = set(7)
	// Row 8 is in no set: the pool was cancelled before it was sent.
	var partial runrecord.Pool
	partial.Rows.Created = set(0) // the rest came from a run of the first release

	rep, err := report.Build(f.exp, f.plan, []report.Pool{
		{Key: u[0].Key, State: report.PoolCanceled, Record: &rec},
		{Key: u[1].Key, State: report.PoolEnded, Record: &partial},
		{Key: u[2].Key, State: report.PoolEnded}, // first release: no record
		{Key: u[3].Key, State: report.PoolRunning},
		{Key: u[4].Key, State: report.PoolLost, Detail: "the pool's workflow was terminated"},
		{Key: u[5].Key, State: report.PoolRefused, Detail: "pool.key is invalid"},
	})
	require.NoError(t, err)
	require.Equal(t, 24, rep.ExportRows)
	require.Len(t, rep.Rows, 24)
	require.Equal(t, 24, rep.Totals.Sum())

	got := byUser(rep)
	want := map[string]struct {
		outcome report.Outcome
		detail  string
	}{
		"Hall A/a000@example.net": {report.Created, ""},
		"Hall A/a002@example.net": {report.Adopted, ""},
		"Hall A/a003@example.net": {report.Patched, "VLAN changed from 7 to 103"},
		"Hall A/a004@example.net": {report.Patched, "VLAN changed from none to 104"},
		"Hall A/a005@example.net": {report.Conflict, report.DetailConflict},
		"Hall A/a006@example.net": {report.Failed, "R1 POST /dpskServices/x/passphrases: 400 Bad Request: VLAN out of range"},
		"Hall A/a007@example.net": {report.Failed, report.DetailUnconfirmed},
		"Hall A/a008@example.net": {report.NotAttempted, report.DetailCanceled},
		"Hall A/a-revoked":        {report.Skipped, "status REVOKED"},
		"Hall A/a-short":          {report.Refused, "passphrase has 7 characters; R1 accepts 8 to 63"},
		"Hall A/a-expired":        {report.Skipped, "expired 2024-03-01T00:00:00Z"},
		"Hall B/b000@example.net": {report.Created, ""},
		"Hall B/b001@example.net": {report.NotRecorded, report.DetailFirstReleaseRuns},
		"Hall C/c000@example.net": {report.NotRecorded, report.DetailFirstRelease},
		"Hall D/d001@example.net": {report.NotAttempted, report.DetailRunning},
		"Hall E/e000@example.net": {report.NotRecorded, "the pool's workflow was terminated"},
		"Hall F/g001@example.net": {report.Failed, "pool.key is invalid"},
	}
	for who, w := range want {
		r, ok := got[who]
		require.True(t, ok, who)
		require.Equal(t, w.outcome, r.Outcome, who)
		require.Equal(t, w.detail, r.Detail, who)
	}
	dup := rep.Rows[10]
	require.Equal(t, "a001@example.net", dup.Username)
	require.Equal(t, report.Skipped, dup.Outcome)
	require.Equal(t, `duplicate username of row 1 (guid "guid-0-1")`, dup.Detail, "the plan's reason names the row it repeats")
	require.Equal(t, report.Totals{Created: 3, Adopted: 1, Patched: 2, Skipped: 3, Refused: 1, Conflict: 1, Failed: 4, NotAttempted: 3, NotRecorded: 6}, rep.Totals)

	// Every row names its pools, export position and GUID; ids are unknown.
	for i, r := range rep.Rows[:13] {
		require.Equal(t, "Hall A", r.R1Pool)
		require.Equal(t, "Hall A", r.CloudpathPool)
		require.Equal(t, i, r.Index, "export order")
		require.Equal(t, fmt.Sprintf("guid-0-%d", i), r.GUID)
		require.Empty(t, r.PassphraseID+r.IdentityID)
		require.Equal(t, u[0].Key, r.PoolKey)
	}
}

func TestAPoolNeverStartedLeavesItsRowsNotAttempted(t *testing.T) {
	f := build(t, rand.New(rand.NewPCG(3, 4)), cloudpath.PlanOptions{}, rows(3, "a"), append(rows(2, "b"), dpsk{name: "b-empty"}))
	var rec runrecord.Pool
	rec.Rows.Created = set(0, 1, 2)
	rep, err := report.Build(f.exp, f.plan, []report.Pool{{Key: f.plan.Units[0].Key, State: report.PoolEnded, Record: &rec}})
	require.NoError(t, err)
	require.Equal(t, report.Totals{Created: 3, Refused: 1, NotAttempted: 2}, rep.Totals)
	for _, r := range rep.Rows[3:5] {
		require.Equal(t, report.NotAttempted, r.Outcome)
		require.Equal(t, report.DetailNotStarted, r.Detail)
	}
	require.Equal(t, "passphrase is empty", rep.Rows[5].Detail, "refused rows keep the plan's reason in any pool state")

	// The caller may say why it never started.
	rep, err = report.Build(f.exp, f.plan, []report.Pool{{Key: f.plan.Units[1].Key, State: report.PoolNotStarted, Detail: "cancelled before its turn"}})
	require.NoError(t, err)
	require.Equal(t, "cancelled before its turn", rep.Rows[3].Detail)
	require.Equal(t, report.DetailNotStarted, rep.Rows[0].Detail)
}

func TestMergedPoolsNameTheCloudpathPoolOfEachRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := rows(3, "a"), rows(3, "b")
	b[1].name = a[0].name // a duplicate across the merged pools
	opts := cloudpath.PlanOptions{NetworkMode: cloudpath.NetworkPerPool, MergeBySSID: true, Venues: []string{"HQ"}, NamePrefix: "LS "}
	f := build(t, rng, opts, a, b, rows(2, "c"))
	require.Len(t, f.plan.Units, 1, "all three share SSID Residents")
	u := f.plan.Units[0]
	require.Len(t, u.Sources, 3)
	var rec runrecord.Pool
	for i := range u.Rows {
		rec.Rows.Created.Add(i)
	}
	rep, err := report.Build(f.exp, f.plan, []report.Pool{{Key: u.Key, State: report.PoolEnded, Record: &rec}})
	require.NoError(t, err)
	require.Equal(t, report.Totals{Created: 7, Skipped: 1}, rep.Totals)
	var order []string
	for _, r := range rep.Rows {
		require.Equal(t, "LS Residents", r.R1Pool, "one R1 pool")
		order = append(order, fmt.Sprintf("%s/%d", r.CloudpathPool, r.Index))
	}
	require.Equal(t, []string{"Hall A/0", "Hall A/1", "Hall A/2", "Hall B/0", "Hall B/1", "Hall B/2", "Hall C/0", "Hall C/1"}, order, "export order")
	dup := rep.Rows[4]
	require.Equal(t, report.Skipped, dup.Outcome)
	require.Equal(t, "guid-1-1", dup.GUID)
	require.Contains(t, dup.Detail, `duplicate username of row 0 of pool #1 "Hall A"`)
	require.Equal(t, "guid-2-1", rep.Rows[7].GUID)
}

func TestARecordThatDoesNotFitThePlanIsRefused(t *testing.T) {
	f := build(t, rand.New(rand.NewPCG(7, 8)), cloudpath.PlanOptions{}, rows(3, "a"))
	key := f.plan.Units[0].Key
	for name, rec := range map[string]func(*runrecord.Pool){
		"row outside the plan": func(r *runrecord.Pool) { r.Rows.Created = set(0, 3) },
		"two outcomes":         func(r *runrecord.Pool) { r.Rows.Created = set(0, 1); r.Rows.Fail(1, "x") },
		"patched and adopted":  func(r *runrecord.Pool) { r.Rows.Adopted = set(2); r.Rows.Patch(2, 5) },
	} {
		var r runrecord.Pool
		rec(&r)
		_, err := report.Build(f.exp, f.plan, []report.Pool{{Key: key, State: report.PoolEnded, Record: &r}})
		require.Error(t, err, name)
	}
	_, err := report.Build(f.exp, f.plan, []report.Pool{{Key: "not-in-the-plan"}})
	require.ErrorContains(t, err, "not in the plan")
	_, err = report.Build(f.exp, f.plan, []report.Pool{{Key: key}, {Key: key}})
	require.ErrorContains(t, err, "twice")
}

// TestTotalsAlwaysAddUpToTheExport builds reports of random exports, plans and
// records: whatever the pools did, every DPSK of the export has exactly one
// row, and the totals add up to the export's row count.
func TestTotalsAlwaysAddUpToTheExport(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 99))
		pools := make([][]dpsk, 1+rng.IntN(5))
		for p := range pools {
			for i := range rng.IntN(40) {
				d := dpsk{name: fmt.Sprintf("u%d-%d", p, i), n: 8 + rng.IntN(20), vlan: fmt.Sprint(rng.IntN(4100))}
				switch rng.IntN(12) {
				case 0:
					d.status = "REVOKED"
				case 1:
					d.n = 1 + rng.IntN(7)
				case 2:
					d.name = fmt.Sprintf("u%d-%d", rng.IntN(len(pools)), rng.IntN(i+1)) // perhaps a duplicate
				case 3:
					d.expires = "2020-01-01T00:00Z[UTC]"
				case 4:
					d.name = ""
				}
				pools[p] = append(pools[p], d)
			}
		}
		opts := cloudpath.PlanOptions{Expired: []cloudpath.ExpiredPolicy{"", cloudpath.ExpiredSkip}[rng.IntN(2)]}
		if rng.IntN(3) == 0 {
			opts.NetworkMode, opts.MergeBySSID, opts.Venues = cloudpath.NetworkPerPool, true, []string{"HQ"}
		}
		f := build(t, rng, opts, pools...)

		var runs []report.Pool
		var want report.Totals
		for _, u := range f.plan.Units {
			want.Skipped += len(u.Skipped)
			want.Refused += len(u.Refused)
			state := report.PoolState(rng.IntN(int(report.PoolLost) + 1))
			if rng.IntN(6) == 0 {
				want.NotAttempted += len(u.Rows) // absent from the list: never started
				continue
			}
			run := report.Pool{Key: u.Key, State: state}
			switch state {
			case report.PoolNotStarted, report.PoolRunning:
				want.NotAttempted += len(u.Rows)
			case report.PoolRefused:
				want.Failed += len(u.Rows)
			case report.PoolLost:
				want.NotRecorded += len(u.Rows)
			case report.PoolEnded, report.PoolCanceled:
				if rng.IntN(8) == 0 {
					want.NotRecorded += len(u.Rows) // first release
					break
				}
				run.Record = &runrecord.Pool{}
				for i := range u.Rows {
					switch rng.IntN(9) {
					case 0:
						run.Record.Rows.Created.Add(i)
						want.Created++
					case 1:
						run.Record.Rows.Adopted.Add(i)
						want.Adopted++
					case 2:
						run.Record.Rows.Patch(i, rng.IntN(3))
						want.Patched++
					case 3:
						run.Record.Rows.Conflict.Add(i)
						want.Conflict++
					case 4:
						run.Record.Rows.Fail(i, fmt.Sprint("reason ", rng.IntN(3)))
						want.Failed++
					case 5:
						run.Record.Rows.Unconfirmed.Add(i)
						want.Failed++
					default: // not in the record
						if state == report.PoolCanceled {
							want.NotAttempted++
						} else {
							want.NotRecorded++
						}
					}
				}
			}
			runs = append(runs, run)
		}
		rep, err := report.Build(f.exp, f.plan, runs)
		require.NoError(t, err, "seed %d", seed)
		exportRows := 0
		for _, p := range pools {
			exportRows += len(p)
		}
		require.Equal(t, exportRows, rep.ExportRows, "seed %d", seed)
		require.Equal(t, exportRows, rep.Totals.Sum(), "seed %d", seed)
		require.Len(t, rep.Rows, exportRows, "seed %d", seed)
		require.Equal(t, want, rep.Totals, "seed %d", seed)
		seen := map[string]bool{}
		for _, r := range rep.Rows {
			require.NotEmpty(t, r.Outcome)
			require.False(t, seen[r.GUID], "seed %d: %s twice", seed, r.GUID)
			seen[r.GUID] = true
		}
	}
}

func sampleReport(t *testing.T) (*report.Report, fixture) {
	rng := rand.New(rand.NewPCG(11, 12))
	a := rows(4, "a")
	a[2].name = "=HYPERLINK(\"http://example.net\",\"click\")" // a formula in a username
	a = append(a, dpsk{name: "a, \"quoted\"\nname", n: 12}, dpsk{name: "a-short", n: 7}, dpsk{name: "a-revoked", status: "REVOKED", n: 20})
	f := build(t, rng, cloudpath.PlanOptions{}, a, rows(2, "b"))
	var rec runrecord.Pool
	rec.Rows.Created = set(0, 1, 2)
	rec.Rows.Patch(3, 7)
	rec.Rows.Fail(4, "R1 refused it: \"bad\", twice")
	rep, err := report.Build(f.exp, f.plan, []report.Pool{{Key: f.plan.Units[0].Key, State: report.PoolEnded, Record: &rec}})
	require.NoError(t, err)
	rep.MigrationID, rep.State, rep.Export = "migration-hall-a-1", "COMPLETED", strings.Repeat("ab", 32)
	return rep, f
}

func TestCSVHasTheColumnsAndOneLinePerRow(t *testing.T) {
	rep, f := sampleReport(t)
	var b bytes.Buffer
	require.NoError(t, rep.WriteCSV(&b))
	recs, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"r1_pool", "cloudpath_pool", "index", "username", "cloudpath_guid", "outcome", "detail", "passphrase_id", "identity_id"}, recs[0])
	require.Len(t, recs, 1+rep.ExportRows)
	require.Equal(t, []string{"Hall A", "Hall A", "3", "a003@example.net", "guid-0-3", "patched", "VLAN changed from 7 to 103", "", ""}, recs[4])
	require.Equal(t, `'=HYPERLINK("http://example.net","click")`, recs[3][3], "a formula is defused")
	require.Equal(t, "a, \"quoted\"\nname", recs[5][3], "quoted, not cut")
	require.Equal(t, `R1 refused it: "bad", twice`, recs[5][6])
	require.Equal(t, []string{"Hall B", "Hall B", "1", "b001@example.net", "guid-1-1", "not attempted", report.DetailNotStarted, "", ""}, recs[9])
	requireNoSecret(t, b.String(), f.secrets)
}

func TestJSONIsTheReportRowByRow(t *testing.T) {
	rep, f := sampleReport(t)
	var b bytes.Buffer
	require.NoError(t, rep.WriteJSON(&b))
	require.True(t, json.Valid(b.Bytes()), b.String())
	var back report.Report
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	require.Equal(t, rep.MigrationID, back.MigrationID)
	require.Equal(t, "COMPLETED", back.State)
	require.Equal(t, rep.Totals, back.Totals)
	require.Equal(t, rep.ExportRows, back.ExportRows)
	require.Len(t, back.Rows, len(rep.Rows))
	for i := range rep.Rows {
		want := rep.Rows[i]
		want.PoolKey, want.PlanRow, want.SourcePool = "", 0, 0 // not written out
		require.Equal(t, want, back.Rows[i])
	}
	require.Equal(t, "=HYPERLINK(\"http://example.net\",\"click\")", back.Rows[2].Username, "JSON keeps values as they are")
	var shape map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b.Bytes(), &shape))
	require.ElementsMatch(t, []string{"migrationId", "state", "export", "exportRows", "totals", "rows"}, keysOf(shape))
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSuffix(strings.Split(b.String(), "\n")[1], ",")), &first))
	require.Equal(t, map[string]any{"r1Pool": "Hall A", "cloudpathPool": "Hall A", "index": 0.0, "username": "a000@example.net",
		"cloudpathGuid": "guid-0-0", "outcome": "created"}, first, "one row per line")
	requireNoSecret(t, b.String(), f.secrets)

	// An empty report is still a document with its rows.
	b.Reset()
	require.NoError(t, (&report.Report{MigrationID: "m"}).WriteJSON(&b))
	require.JSONEq(t, `{"migrationId":"m","exportRows":0,"totals":{"created":0,"adopted":0,"patched":0,"skipped":0,"refused":0,"conflict":0,"failed":0,"notAttempted":0,"notRecorded":0},"rows":[]}`, b.String())
}

func keysOf(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func requireNoSecret(t *testing.T, text string, secrets []string) {
	t.Helper()
	require.NotEmpty(t, secrets)
	if piece, ctx, found := secrettest.Find(text, secrettest.Pieces(secrets...)); found {
		t.Fatalf("the report holds a piece %q of a passphrase: …%s…", piece, ctx)
	}
}

func TestTotalsRead(t *testing.T) {
	tot := report.Totals{Created: 20, Adopted: 10, Patched: 1, Skipped: 6, Refused: 6, Conflict: 1, Failed: 2}
	require.Equal(t, "46 rows: 20 created, 10 adopted, 1 patched, 6 skipped, 6 refused, 1 conflict, 2 failed, 0 not attempted", tot.String())
	tot.NotRecorded = 4
	require.Contains(t, tot.String(), "50 rows: ")
	require.Contains(t, tot.String(), ", 4 not recorded")
	require.False(t, tot.Add("lost"))
}

func TestFileNameIsSafe(t *testing.T) {
	require.Equal(t, "report-migration-campus-1.csv", report.FileName("migration-campus-1", "csv"))
	require.Equal(t, "report-a_b_c_d.json", report.FileName(`a/b"c;d`, "json"))
	require.Equal(t, "report-migration.csv", report.FileName("..", "csv"))
	require.LessOrEqual(t, len(report.FileName(strings.Repeat("x", 500), "csv")), 140)
}
