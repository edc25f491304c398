package trigger_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/trigger"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// startSweep posts to a migration's verify or rollback and checks the 202.
func (e *env) startSweep(path, body, kind string) trigger.SweepResponse {
	e.t.Helper()
	r := e.do(http.MethodPost, path, "application/json", strings.NewReader(body))
	require.Equal(e.t, http.StatusAccepted, r.status, "POST %s %s: %s", path, body, r.body)
	var s trigger.SweepResponse
	r.json(e.t, &s)
	migration := strings.TrimSuffix(strings.TrimSuffix(path, "/verify"), "/rollback")
	require.Equal(e.t, migration+"/"+kind+"/"+s.WorkflowID, s.StatusURL)
	require.Equal(e.t, s.StatusURL, r.header.Get("Location"))
	return s
}

// sweepDone polls a verification's or rollback's status URL until it has ended.
func (e *env) sweepDone(statusURL string, v any) {
	e.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		r := e.get(statusURL)
		require.Equal(e.t, http.StatusOK, r.status, "body: %s", r.body)
		var st migrations.SweepState
		r.json(e.t, &st)
		if st.State != "RUNNING" {
			r.json(e.t, v)
			return
		}
		require.True(e.t, time.Now().Before(deadline), "still running: %s", r.body)
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *env) verified(migrationURL string) (trigger.SweepResponse, trigger.VerificationResponse) {
	e.t.Helper()
	s := e.startSweep(migrationURL+"/verify", "", "verifications")
	var v trigger.VerificationResponse
	e.sweepDone(s.StatusURL, &v)
	require.NotNil(e.t, v.Result, "error: %s", v.Error)
	return s, v
}

// A migration is verified clean; R1 is changed by hand and the verification
// names each changed row; the rollback preview changes nothing, a rollback
// starts only when confirmed, and its outcome names what it kept.
func TestVerifyAndRollBackAMigrationOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	export := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 6, Seed: 73})
	s := e.started(e.postJSON("/v1/migrations?parallel=true", export))
	st := e.waitDone(s.StatusURL)
	require.Equal(t, "COMPLETED", st.State, "error: %s", st.Error)

	_, v := e.verified(s.StatusURL)
	require.Equal(t, workflows.VerifyMatch, v.Result.Status)
	require.Equal(t, workflows.VerifyCounts{Expected: 12, Matched: 12}, v.Result.Totals)
	require.Empty(t, v.Differences)
	require.Equal(t, s.WorkflowID, v.MigrationID)

	// By hand in R1: row 3 of the first pool deleted, row 5's VLAN changed, a passphrase added.
	plan, err := migrations.Check(export, cloudpath.PlanOptions{Now: time.Now().UTC()})
	require.NoError(t, err)
	u := plan.Units[0]
	c, err := r1client.New(e.sim.R1Config(e.tenant))
	require.NoError(t, err)
	ctx := t.Context()
	pool, err := c.Pools.FindByName(ctx, u.PoolName)
	require.NoError(t, err)
	page, err := c.Passphrases.Query(ctx, pool.ID, r1client.PassphraseQuery{Page: 1, PageSize: 50, Usernames: []string{u.Rows[3].Username, u.Rows[5].Username}})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	changedID := ""
	for _, p := range page.Items {
		if p.Username == u.Rows[3].Username {
			_, err = c.Passphrases.Delete(ctx, pool.ID, []string{p.ID})
		} else {
			vlan := 999
			changedID = p.ID
			_, err = c.Passphrases.Patch(ctx, pool.ID, p.ID, r1client.PassphrasePatch{VLANID: &vlan})
		}
		require.NoError(t, err)
	}
	e.secret("a-stranger-7301")
	_, err = c.Passphrases.Create(ctx, pool.ID, r1client.PassphraseCreate{Passphrase: "a-stranger-7301", Username: "stranger"})
	require.NoError(t, err)

	sw, v := e.verified(s.StatusURL)
	require.Equal(t, workflows.VerifyDifferent, v.Result.Status)
	require.Equal(t, workflows.VerifyCounts{Expected: 12, Matched: 10, Missing: 1, Changed: 1, Extra: 1}, v.Result.Totals)
	three, five := 3, 5
	require.Equal(t, []report.Difference{
		{R1Pool: u.PoolName, CloudpathPool: u.DisplayName, Index: &three, Username: u.Rows[3].Username, GUID: u.Rows[3].GUID, Kind: report.Missing},
		{R1Pool: u.PoolName, CloudpathPool: u.DisplayName, Index: &five, Username: u.Rows[5].Username, GUID: u.Rows[5].GUID, Kind: report.Changed,
			Fields: []string{"vlan"}, PassphraseID: changedID, IdentityID: v.Differences[1].IdentityID},
		{R1Pool: u.PoolName, Username: "stranger", Kind: report.Extra, PassphraseID: v.Differences[2].PassphraseID, IdentityID: v.Differences[2].IdentityID},
	}, v.Differences)
	require.NotEmpty(t, v.Differences[2].PassphraseID)

	// The same differences as CSV, by Accept; nothing else is served.
	r := e.getAccepting(sw.StatusURL, "text/csv")
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	require.Equal(t, "attachment; filename="+report.DifferencesFileName(sw.WorkflowID), r.header.Get("Content-Disposition"))
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, [][]string{report.DifferenceColumns,
		{u.PoolName, u.DisplayName, "3", u.Rows[3].Username, u.Rows[3].GUID, "missing", "R1 does not hold this row", "", ""},
		{u.PoolName, u.DisplayName, "5", u.Rows[5].Username, u.Rows[5].GUID, "changed", "R1 holds it with another vlan", changedID, v.Differences[1].IdentityID},
		{u.PoolName, "", "", "stranger", "", "extra", "R1 holds this passphrase in the pool; the export does not migrate it", v.Differences[2].PassphraseID, v.Differences[2].IdentityID},
	}, recs)
	e.getAccepting(sw.StatusURL, "text/html").problem(t, http.StatusNotAcceptable)
	// Only a verification of this migration: not under another ID, not another workflow.
	for _, path := range []string{
		"/v1/migrations/migration-nobody-started/verifications/" + sw.WorkflowID,
		s.StatusURL + "/verifications/" + url.PathEscape(st.Result.Pools[0].WorkflowID),
		s.StatusURL + "/verifications/" + s.WorkflowID,
		s.StatusURL + "/rollbacks/" + sw.WorkflowID,
	} {
		e.get(path).problem(t, http.StatusNotFound)
	}

	// The preview reads the records and changes nothing in R1.
	before := inventory(t, e)
	var pv migrations.RollbackPreview
	r = e.get(s.StatusURL + "/rollback")
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	r.json(t, &pv)
	require.Equal(t, s.WorkflowID, pv.MigrationID)
	require.Len(t, pv.Pools, 2)
	require.Equal(t, 12, pv.Totals.Passphrases)
	require.Equal(t, 2, pv.Totals.Pools)
	require.Equal(t, 2, pv.Totals.Groups)
	require.Positive(t, pv.Totals.EstimatedR1Calls)
	require.False(t, pv.Running)

	// Unconfirmed or malformed: refused, and nothing starts.
	for body, want := range map[string]string{
		``:                                       trigger.ProblemConfirmationRequired,
		`{}`:                                     trigger.ProblemConfirmationRequired,
		`{"confirm": false}`:                     trigger.ProblemConfirmationRequired,
		`{"confirm": "yes"}`:                     trigger.ProblemInvalidOptions,
		`{"confirm": true, "force": true}`:       trigger.ProblemInvalidOptions,
		`{"confirm": true, "maxConcurrent": 50}`: trigger.ProblemInvalidOptions,
	} {
		p := e.do(http.MethodPost, s.StatusURL+"/rollback", "application/json", strings.NewReader(body)).problem(t, http.StatusBadRequest)
		require.Equal(t, want, p.Type, "body %q: %s", body, p.Detail)
		if want == trigger.ProblemConfirmationRequired {
			require.Contains(t, p.Detail, `{"confirm": true}`)
			require.Contains(t, p.Detail, "nothing was started")
		}
	}
	require.Equal(t, before, inventory(t, e), "neither the preview nor a refusal changed R1")

	rb := e.startSweep(s.StatusURL+"/rollback", `{"confirm": true}`, "rollbacks")
	var done migrations.RollbackStatus
	e.sweepDone(rb.StatusURL, &done)
	require.NotNil(t, done.Result, "error: %s", done.Error)
	require.Equal(t, workflows.StatusPartial, done.Result.Status, "the pool holding the hand-made passphrase is kept")
	i := slices.IndexFunc(done.Result.Pools, func(p workflows.RollbackPoolResult) bool { return p.Key == u.Key })
	require.GreaterOrEqual(t, i, 0)
	require.Equal(t, workflows.StatusPartial, done.Result.Pools[i].Status)
	require.Contains(t, strings.Join(done.Result.Pools[i].Kept, "\n"), "passphrase(s) the migration did not create")

	// R1: the other pool and its group are gone; the kept one holds the stranger.
	inv := e.sim.Inventory(e.tenant)
	require.Len(t, inv.Pools, 1)
	require.Equal(t, u.PoolName, inv.Pools[0].Name)
	require.True(t, slices.ContainsFunc(inv.Pools[0].Passphrases, func(p r1sim.InvPassphrase) bool {
		return p.Username == "stranger"
	}))

	// Exactly one rollback ran: the refusals started none.
	query := fmt.Sprintf("WorkflowType = %q AND TaskQueue = %q", workflows.RollbackWorkflowName, e.queue)
	require.Eventually(t, func() bool {
		n, err := temporalC.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		return err == nil && n.GetCount() == 1
	}, 20*time.Second, 100*time.Millisecond, "one RollbackWorkflow on the queue")
}

// inventory is what R1 holds, as JSON, to compare before and after.
func inventory(t *testing.T, e *env) string {
	t.Helper()
	b, err := json.Marshal(e.sim.Inventory(e.tenant))
	require.NoError(t, err)
	return string(b)
}

// Before a migration ends it cannot be rolled back; an unknown one has no preview.
func TestARunningMigrationIsNotRolledBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	s := e.started(e.postJSON("/v1/migrations", e.export(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 74})))
	t.Cleanup(func() { _ = temporalC.TerminateWorkflow(context.Background(), s.WorkflowID, "", "test over") })
	p := e.do(http.MethodPost, s.StatusURL+"/rollback", "application/json", strings.NewReader(`{"confirm": true}`)).problem(t, http.StatusConflict)
	require.Equal(t, trigger.ProblemStillRunning, p.Type)
	require.Contains(t, p.Detail, "/cancel")
	for _, path := range []string{"/rollback", "/rollbacks/rollback-x", "/verifications/verify-x"} {
		e.get("/v1/migrations/migration-nobody-started"+path).problem(t, http.StatusNotFound)
	}
	e.do(http.MethodPost, "/v1/migrations/migration-nobody-started/verify", "", nil).problem(t, http.StatusNotFound)
}
