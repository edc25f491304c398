package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/cli"
	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/trigger"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// TestTheReportAccountsForEveryRowAsR1HoldsIt migrates an export whose first
// pool R1 refuses, changes R1 behind the migration's back (a VLAN patched,
// passphrases deleted, one replaced by another passphrase), and migrates it
// again: the second run's report has created, adopted, patched, conflicting,
// failed, skipped and refused rows, each as the simulator's inventory shows
// it, one per row of the export; the CLI and the trigger give the same rows.
func TestTheReportAccountsForEveryRowAsR1HoldsIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 8, Awkward: true, Seed: 71})
	e.blockPoolNames(export, 1)
	plan, err := migrations.Check(export, e.planOptions())
	require.NoError(t, err)
	const exportRows = 3 * (8 + 10)

	first, res := e.migrate(export, migrations.Options{ParallelExecution: true})
	require.Equal(t, workflows.StatusPartial, res.Status)
	rep := e.reportEverywhere(first.WorkflowID, export, nil)
	require.Equal(t, report.Totals{Created: 24, Skipped: 9, Refused: 9, Failed: 12}, rep.Totals)
	e.requireReportMatchesR1(rep, export, e.planOptions())

	// Behind the migration's back: one VLAN changed, two passphrases gone,
	// one username now with another passphrase.
	c, err := r1client.New(e.sim.R1Config(e.tenant))
	require.NoError(t, err)
	ctx := context.Background()
	u1, u2 := plan.Units[1], plan.Units[2]
	pp := func(u cloudpath.PoolUnit, row int) (poolID string, p r1sim.InvPassphrase) {
		for _, ip := range e.sim.Inventory(e.tenant).Pools {
			for _, h := range ip.Passphrases {
				if ip.Name == u.PoolName && h.Username == u.Rows[row].Username {
					return ip.ID, h
				}
			}
		}
		t.Fatalf("R1 does not hold row %d of %s", row, u.PoolName)
		return "", r1sim.InvPassphrase{}
	}
	seven := 7
	pool1, patched := pp(u1, 0)
	require.Equal(t, 100, patched.VLANID)
	_, err = c.Passphrases.Patch(ctx, pool1, patched.ID, r1client.PassphrasePatch{VLANID: &seven})
	require.NoError(t, err)
	_, gone1 := pp(u1, 1)
	pool2, replaced := pp(u2, 2)
	_, gone2 := pp(u2, 3)
	_, err = c.Passphrases.Delete(ctx, pool1, []string{gone1.ID})
	require.NoError(t, err)
	_, err = c.Passphrases.Delete(ctx, pool2, []string{replaced.ID, gone2.ID})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return held(e) == 24-3 }, time.Minute, 20*time.Millisecond)
	_, err = c.Passphrases.Create(ctx, pool2, r1client.PassphraseCreate{Username: replaced.Username, Passphrase: "Someone-Elses-Pass-1"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, p := pp(u1, 0)
		return held(e) == 24-2 && p.VLANID == 7
	}, time.Minute, 20*time.Millisecond)

	again, res := e.migrate(export, migrations.Options{ParallelExecution: true})
	require.Equal(t, workflows.StatusPartial, res.Status)
	rep = e.reportEverywhere(again.WorkflowID, export, nil)
	require.Equal(t, report.Totals{Created: 2, Adopted: 20, Patched: 1, Conflict: 1, Skipped: 9, Refused: 9, Failed: 12}, rep.Totals)
	require.Equal(t, exportRows, rep.ExportRows)
	require.Equal(t, "COMPLETED", rep.State)
	e.requireReportMatchesR1(rep, export, e.planOptions())

	rows := map[string]report.Row{}
	for _, r := range rep.Rows {
		if _, dup := rows[r.R1Pool+"/"+r.Username]; !dup { // a duplicate username comes after the row it repeats
			rows[r.R1Pool+"/"+r.Username] = r
		}
	}
	for who, want := range map[string]struct {
		outcome report.Outcome
		detail  string
	}{
		u1.PoolName + "/" + u1.Rows[0].Username: {report.Patched, "VLAN changed from 7 to 100"},
		u1.PoolName + "/" + u1.Rows[1].Username: {report.Created, ""},
		u1.PoolName + "/" + u1.Rows[2].Username: {report.Adopted, ""},
		u2.PoolName + "/" + u2.Rows[2].Username: {report.Conflict, report.DetailConflict},
		u2.PoolName + "/" + u2.Rows[3].Username: {report.Created, ""},
		u2.PoolName + "/unit002-revoked":        {report.Skipped, "status REVOKED"},
		u2.PoolName + "/unit002-short":          {report.Refused, "passphrase has 6 characters; R1 accepts 8 to 63"},
	} {
		require.Equal(t, want.outcome, rows[who].Outcome, who)
		require.Equal(t, want.detail, rows[who].Detail, who)
	}
	for _, r := range rep.Rows {
		if r.R1Pool == plan.Units[0].PoolName && r.Outcome == report.Failed {
			require.Contains(t, r.Detail, "another identity group", "the pool's failure, row by row")
		}
		if strings.HasSuffix(r.GUID, "-dupname") {
			require.Equal(t, report.Skipped, r.Outcome)
			require.Contains(t, r.Detail, "duplicate username of row 0")
		}
	}
}

// TestTheReportOfACancelledEncryptedMigration cancels a migration started from
// the Temporal API without plan.now, its histories encrypted: the report reads
// the instant the workflow fixed, says which rows the cancelled pool never
// sent and which pools never started, and matches R1.
func TestTheReportOfACancelledEncryptedMigration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{Latency: r1sim.Latency{Median: 100 * time.Millisecond}})
	ring := keyRing(t, keyA)
	c := codecClient(t, ring)
	e.svc.Temporal, e.svc.DataConverter = c, payloadcrypt.DataConverter(nil, ring)
	w, err := worker.New(c, e.workerConfig())
	require.NoError(t, err)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 40, Awkward: true, Seed: 72})
	// The workflow fixes its instant when it starts; any instant of these
	// minutes plans the export alike.
	opts := cloudpath.PlanOptions{Expired: cloudpath.ExpiredSkip, Now: time.Now().UTC()}
	plan, err := migrations.Check(export, opts)
	require.NoError(t, err)
	ref, err := e.store.PutBytes(export)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	id := "report-cancelled-" + e.tenant
	// As the Temporal CLI or UI would start it: no plan.now.
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: e.queue}, workflows.MigrationWorkflowName,
		map[string]any{"export": map[string]string{"sha256": ref.SHA256}, "plan": map[string]any{"expired": "skip"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return held(e) >= 4 }, 2*time.Minute, 20*time.Millisecond)
	require.NoError(t, e.svc.Cancel(ctx, id))
	res, err := e.svc.Wait(ctx, id)
	require.NoError(t, err)
	require.Equal(t, workflows.StatusCanceled, res.Status)

	rep := e.reportEverywhere(id, export, map[string]string{payloadcrypt.KeysEnv: keyA})
	require.Equal(t, "CANCELED", rep.State)
	require.Equal(t, 3*50, rep.ExportRows)
	skipped, refused := 0, 0
	for _, u := range plan.Units {
		skipped, refused = skipped+len(u.Skipped), refused+len(u.Refused)
	}
	require.GreaterOrEqual(t, skipped, 3*4, "revoked, two duplicates, and the expired row under --expired skip")
	require.Equal(t, skipped, rep.Totals.Skipped)
	require.Equal(t, refused, rep.Totals.Refused)
	require.Positive(t, rep.Totals.Created)
	require.Zero(t, rep.Totals.NotRecorded)
	notStarted, canceled := 0, 0
	for _, r := range rep.Rows {
		switch r.Detail {
		case "the pool's workflow never started: the migration was cancelled before its turn":
			notStarted++
		case report.DetailCanceled:
			canceled++
		}
	}
	require.Equal(t, len(plan.Units[1].Rows)+len(plan.Units[2].Rows), notStarted, "sequential: the two pools after the first never started")
	require.Positive(t, canceled, "the first pool was cancelled before it sent every row")
	require.Equal(t, notStarted+canceled, rep.Totals.NotAttempted)
	require.Equal(t, res.Totals.Created, rep.Totals.Created)
	require.Equal(t, res.Totals.Failed, rep.Totals.Failed)
	e.requireReportMatchesR1(rep, export, opts)

	// Without the key the migration's input cannot be read; the error says which key.
	_, errOut, code := e.reportCLI(nil, "report", id)
	require.Equal(t, cli.ExitFailed, code)
	require.Contains(t, errOut, `encrypted with key "A"`)
}

// reportEverywhere builds migration id's report through the service, the CLI
// (CSV to a file, and JSON) and the trigger (CSV and JSON): they must agree.
// env is the CLI's extra environment (the payload keys).
func (e *env) reportEverywhere(id string, export []byte, env map[string]string) *report.Report {
	t := e.t
	t.Helper()
	ctx := context.Background()
	rep, err := e.svc.Report(ctx, id)
	require.NoError(t, err)
	require.Equal(t, rep.ExportRows, rep.Totals.Sum(), "the totals add up to the export")
	require.Len(t, rep.Rows, rep.ExportRows)
	var wantCSV, wantJSON bytes.Buffer
	require.NoError(t, rep.WriteCSV(&wantCSV))
	require.NoError(t, rep.WriteJSON(&wantJSON))
	shown := func(r *report.Report) []report.Row { // the rows as written out
		out := make([]report.Row, len(r.Rows))
		for i, row := range r.Rows {
			row.PoolKey, row.PlanRow, row.SourcePool = "", 0, 0
			out[i] = row
		}
		return out
	}

	// The CLI: CSV to a file readable by its owner only, the totals on stderr.
	file := filepath.Join(t.TempDir(), "report.csv")
	out, errOut, code := e.reportCLI(env, "report", id, "--output", file)
	require.Equal(t, cli.ExitOK, code, errOut)
	require.Empty(t, out)
	require.Contains(t, errOut, rep.Totals.String())
	require.Contains(t, errOut, "Report written to "+file)
	fi, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Equal(t, wantCSV.String(), string(got), "CLI CSV")
	out, _, code = e.reportCLI(env, "report", "--format", "json", id)
	require.Equal(t, cli.ExitOK, code)
	var fromCLI report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &fromCLI))
	require.Equal(t, shown(rep), fromCLI.Rows, "CLI JSON")
	require.Equal(t, rep.Totals, fromCLI.Totals)

	// The trigger.
	srv := httptest.NewServer(trigger.NewHandler(e.svc, trigger.Config{Token: codecToken}))
	defer srv.Close()
	get := func(accept string) []byte {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/migrations/"+id+"/report", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+codecToken)
		req.Header.Set("Accept", accept)
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
		return b
	}
	require.Equal(t, wantCSV.String(), string(get("text/csv")), "trigger CSV")
	var fromTrigger report.Report
	require.NoError(t, json.Unmarshal(get("application/json"), &fromTrigger))
	require.Equal(t, shown(rep), fromTrigger.Rows, "trigger JSON")
	require.Equal(t, wantJSON.String(), string(get("application/json")))

	// No passphrase in any of it.
	for _, p := range passphrasesOf(t, export) {
		for what, text := range map[string]string{"CSV": wantCSV.String(), "JSON": wantJSON.String(), "CLI": errOut} {
			require.NotContains(t, text, p, "the %s report holds a passphrase", what)
		}
	}
	return rep
}

// reportCLI runs our CLI in-process on the test's Temporal client, with the
// queue, store and env given.
func (e *env) reportCLI(env map[string]string, args ...string) (stdout, stderr string, code int) {
	var out, errOut strings.Builder
	app := &cli.App{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
		switch k {
		case "DPSKMIGRATE_TASK_QUEUE":
			return e.queue
		case "DPSKMIGRATE_EXPORT_DIR":
			return e.store.Dir
		}
		return env[k]
	}}
	app.Dial = func(*slog.Logger) (client.Client, error) {
		opts := client.Options{Namespace: "default"}
		ring, err := payloadcrypt.FromEnv(app.Getenv)
		if err != nil {
			return nil, err
		}
		payloadcrypt.ApplyTo(&opts, ring) // as worker.Dial does from the environment
		return client.NewClientFromExisting(temporalC, opts)
	}
	code = app.Run(context.Background(), args)
	return out.String(), errOut.String(), code
}

// requireReportMatchesR1 checks each row of the report against the
// simulator's inventory: created, adopted and patched rows are in their R1
// pool with the export's passphrase and VLAN; a conflicting row's username is
// there with another passphrase; every other row's username is absent, unless
// it is a duplicate of a migrated row; and the pools hold nothing else.
func (e *env) requireReportMatchesR1(rep *report.Report, export []byte, opts cloudpath.PlanOptions) {
	t := e.t
	t.Helper()
	exp, err := cloudpath.Parse(bytes.NewReader(export), cloudpath.ParseOptions{})
	require.NoError(t, err)
	inv := e.sim.Inventory(e.tenant)
	groupOfPool := map[string]string{} // R1 pool name → the group the plan gives it
	plan, err := migrations.Check(export, opts)
	require.NoError(t, err)
	for _, u := range plan.Units {
		groupOfPool[u.PoolName] = u.IdentityGroupName
	}
	groupIDs := map[string]string{}
	for _, g := range inv.IdentityGroups {
		groupIDs[strings.ReplaceAll(g.ID, "-", "")] = g.Name
	}
	held := map[string]map[string]r1sim.InvPassphrase{} // pool name → username → passphrase
	for _, p := range inv.Pools {
		if groupIDs[strings.ReplaceAll(p.IdentityGroupID, "-", "")] != groupOfPool[p.Name] {
			require.Empty(t, p.Passphrases, "pool %q in another group holds nothing of ours", p.Name)
			continue
		}
		held[p.Name] = map[string]r1sim.InvPassphrase{}
		for _, pp := range p.Passphrases {
			held[p.Name][pp.Username] = pp
		}
	}
	accounted := 0
	for _, r := range rep.Rows {
		d := exp.Pools[r.SourcePool].DPSKs[r.Index]
		require.Equal(t, d.GUID, r.GUID)
		require.Equal(t, d.Name, r.Username)
		h, ok := held[r.R1Pool][r.Username]
		switch r.Outcome {
		case report.Created, report.Adopted, report.Patched:
			require.True(t, ok, "%s row %q is in R1", r.Outcome, r.Username)
			require.True(t, h.Passphrase == d.Passphrase, "%s row %q has the export's passphrase", r.Outcome, r.Username)
			require.Equal(t, plan.Units[unitIndex(plan, r.PoolKey)].Rows[r.PlanRow].VLANID, h.VLANID, "VLAN of %q", r.Username)
			accounted++
		case report.Conflict:
			require.True(t, ok, "conflicting row %q is in R1", r.Username)
			require.False(t, h.Passphrase == d.Passphrase, "conflicting row %q holds another passphrase", r.Username)
			accounted++
		case report.Failed:
			if ok { // R1 accepted it and showed it too late
				require.Equal(t, report.DetailUnconfirmed, r.Detail, "failed row %q is in R1", r.Username)
				accounted++
			}
		default:
			if ok {
				require.Equal(t, report.Skipped, r.Outcome, "%s row %q is not in R1", r.Outcome, r.Username)
				require.Contains(t, r.Detail, "duplicate username of", "only a duplicate's username is there, as the row it repeats")
				require.False(t, h.Passphrase == d.Passphrase)
			}
		}
	}
	n := 0
	for _, pool := range held {
		n += len(pool)
	}
	require.Equal(t, accounted, n, "R1's pools hold exactly the migrated and conflicting rows")
}

func unitIndex(plan *cloudpath.Plan, key string) int {
	for i, u := range plan.Units {
		if u.Key == key {
			return i
		}
	}
	return -1
}
