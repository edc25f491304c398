package trigger_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/trigger"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

func TestStartingWithAJSONBodyMigratesEveryPassphraseIntoR1(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	export := e.export(sampledata.Spec{Pools: 3, RowsPerPool: 6, Seed: 11})

	id := "migration-json-" + e.tenant // unique on the shared dev server
	s := e.started(e.postJSON("/v1/migrations?parallel=true&maxConcurrent=2&workflowId="+id, export))
	require.Equal(t, id, s.WorkflowID)
	require.Equal(t, trigger.PlanSummary{Pools: 3, Create: 18}, trigger.PlanSummary{Pools: s.Summary.Pools, Create: s.Summary.Create})

	st := e.waitDone(s.StatusURL)
	require.Equal(t, "COMPLETED", st.State)
	require.NotNil(t, st.Result)
	require.Equal(t, workflows.StatusCompleted, st.Result.Status)
	require.Equal(t, 18, st.Result.Totals.Created)

	held := e.passphrasesInR1()
	require.Len(t, held, 3, "one R1 pool per exported pool")
	for name, n := range held {
		require.Equal(t, 6, n, "pool %q holds every passphrase once", name)
	}

	var view workflows.PoolsView
	r := e.get(s.PoolsURL)
	require.Equal(t, http.StatusOK, r.status)
	r.json(t, &view)
	require.Len(t, view.Done, 3)
	for _, p := range view.Done {
		require.Equal(t, workflows.StatusCompleted, p.Status, "pool %s", p.Key)
		require.Equal(t, 6, p.Counts.Created, "pool %s", p.Key)
	}

	// The same workflow ID again starts nothing new: migrations.Start answers
	// with the existing run (the SDK's default), or the trigger says 409.
	again := e.postJSON("/v1/migrations?workflowId="+id, export)
	if again.status == http.StatusAccepted {
		require.Equal(t, s.RunID, e.started(again).RunID, "the answer names the existing run")
	} else {
		require.Equal(t, trigger.ProblemAlreadyStarted, again.problem(t, http.StatusConflict).Type)
	}
	require.Equal(t, 18, sum(e.passphrasesInR1()), "nothing was migrated twice")
}

func TestStartingWithAMultipartUploadAppliesTheFormOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	export := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 5, Awkward: true, Seed: 12})
	plan, err := migrations.Check(export, cloudpath.PlanOptions{NamePrefix: "mp-", Now: time.Now().UTC()})
	require.NoError(t, err)
	want := plan.Summarize(0)
	require.Positive(t, want.TotalRefuse+want.TotalSkip, "the awkward rows are skipped or refused")

	s := e.started(e.postMultipart("/v1/migrations", export, map[string]string{
		"parallel": "true", "maxConcurrent": "2", "namePrefix": "mp-",
	}))
	require.Equal(t, trigger.PlanSummary{Pools: 2, Create: want.TotalCreate, Skipped: want.TotalSkip, Refused: want.TotalRefuse},
		trigger.PlanSummary{Pools: s.Summary.Pools, Create: s.Summary.Create, Skipped: s.Summary.Skipped, Refused: s.Summary.Refused})

	st := e.waitDone(s.StatusURL)
	require.Equal(t, "COMPLETED", st.State, "error: %s", st.Error)
	require.NotNil(t, st.Result)
	require.Equal(t, want.TotalCreate, st.Result.Totals.Migrated())

	held := e.passphrasesInR1()
	require.Len(t, held, 2)
	for name := range held {
		require.True(t, strings.HasPrefix(name, "mp-"), "pool %q carries the namePrefix form field", name)
	}
	require.Equal(t, want.TotalCreate, sum(held), "R1 holds exactly the rows the plan creates")
}

func TestCancellingARunningMigrationStopsIt(t *testing.T) {
	t.Parallel()
	// Sequential, one passphrase at a time, 20 ms an R1 call: long enough to cancel midway.
	e := newEnv(t, envOptions{sim: r1sim.Options{Latency: r1sim.Latency{Median: 20 * time.Millisecond}}})
	export := e.export(sampledata.Spec{Pools: 4, RowsPerPool: 50, Seed: 13})
	s := e.started(e.postJSON("/v1/migrations", export))
	// Cancel once pools are migrating. (A cancel during planning ends the
	// workflow FAILED "planning the export: cancelled": the workflows' business.)
	require.Eventually(t, func() bool { return sum(e.passphrasesInR1()) > 0 }, 30*time.Second, 20*time.Millisecond)
	var running migrations.Status
	e.get(s.StatusURL).json(t, &running)
	require.Equal(t, "RUNNING", running.State)
	require.NotNil(t, running.Progress, "a running migration reports its progress")
	require.Equal(t, 4, running.Progress.Pools)

	r := e.do(http.MethodPost, s.CancelURL, "", nil)
	require.Equal(t, http.StatusAccepted, r.status, "body: %s", r.body)
	var c trigger.CancelResponse
	r.json(t, &c)
	require.Equal(t, s.WorkflowID, c.WorkflowID)

	st := e.waitDone(s.StatusURL)
	canceled := st.State == "CANCELED" || (st.Result != nil && st.Result.Status == workflows.StatusCanceled)
	require.True(t, canceled, "state %s, error %q, result %+v", st.State, st.Error, st.Result)
	require.Less(t, sum(e.passphrasesInR1()), 200, "the migration stopped before the end")

	// Once it has ended there is nothing left to cancel.
	p := e.do(http.MethodPost, s.CancelURL, "", nil).problem(t, http.StatusConflict)
	require.Equal(t, trigger.ProblemNotRunning, p.Type)
}

func TestEveryV1RouteRequiresTheBearerToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	routes := []struct{ method, path string }{
		{http.MethodPost, "/v1/migrations"},
		{http.MethodGet, "/v1/migrations/some-id"},
		{http.MethodGet, "/v1/migrations/some-id/pools"},
		{http.MethodPost, "/v1/migrations/some-id/cancel"},
		{http.MethodPost, "/v1/migrations/some-id/pause"},
		{http.MethodPost, "/v1/migrations/some-id/resume"},
		{http.MethodPost, "/v1/migrations/some-id/configure"},
		{http.MethodPost, "/v1/migrations/some-id/verify"},
		{http.MethodGet, "/v1/migrations/some-id/verifications/verify-x"},
		{http.MethodGet, "/v1/migrations/some-id/rollback"},
		{http.MethodPost, "/v1/migrations/some-id/rollback"},
		{http.MethodGet, "/v1/migrations/some-id/rollbacks/rollback-x"},
	}
	for _, auth := range []struct{ name, header string }{
		{"missing", ""},
		{"wrong", "Bearer not-the-token-at-all-000"},
		{"prefix of the token", "Bearer " + testToken[:10]},
		{"empty bearer", "Bearer "},
		{"another scheme", "Basic " + testToken},
		{"no scheme", testToken},
	} {
		for _, rt := range routes {
			r := e.do(rt.method, rt.path, "application/json", strings.NewReader(`{}`), auth.header)
			r.problem(t, http.StatusUnauthorized)
			require.Contains(t, r.header.Get("WWW-Authenticate"), "Bearer", "%s token on %s %s", auth.name, rt.method, rt.path)
		}
	}
	// The token passes; the scheme is case-insensitive (RFC 9110).
	e.do(http.MethodGet, "/v1/migrations/some-id", "", nil, "bearer "+testToken).problem(t, http.StatusNotFound)
	require.Empty(t, e.storedExports())
}

func TestAMalformedExportIsRefusedWithWhereTheProblemIs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	e.secret("Sup3rSecretPass")
	malformed := "{\"dpskPools\": [\n" +
		"  {\"displayName\": \"Lobby\",\n" +
		"   \"dpsks\": [\n" +
		"     {\"name\": \"guest\", \"passphrase\": \"Sup3rSecretPass\", }\n" +
		"   ]}\n" +
		"]}\n"
	for name, post := range map[string]func() response{
		"json body": func() response { return e.postJSON("/v1/migrations", []byte(malformed)) },
		"multipart": func() response { return e.postMultipart("/v1/migrations", []byte(malformed), nil) },
	} {
		p := post().problem(t, http.StatusBadRequest)
		require.Equal(t, trigger.ProblemInvalidExport, p.Type, name)
		require.NotEmpty(t, p.Problems, name)
		all := strings.ToLower(strings.Join(p.Problems, "\n"))
		require.Contains(t, all, "line", "%s: %s", name, all)
		require.Contains(t, all, "column", "%s: %s", name, all)
		require.Contains(t, all, "line 4,", "%s: the stray comma is on line 4", name)
	}

	p := e.postJSON("/v1/migrations", []byte(`{"dpskPools": []}`)).problem(t, http.StatusBadRequest)
	require.Equal(t, trigger.ProblemInvalidExport, p.Type)
	require.Empty(t, e.storedExports(), "nothing was stored")
}

func TestOutOfRangeOptionsAreRefusedBeforeAnythingIsStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	export := e.export(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 14})
	for _, tc := range []struct{ query, mention string }{
		{"parallel=true&maxConcurrent=21", "maxConcurrent 21"},
		{"maxConcurrent=0x5", "maxConcurrent"},
		{"passphraseConcurrency=101", "passphraseConcurrency 101"},
		{"parallel=maybe", "parallel"},
		{"expired=forever", "expired policy"},
		{"renewDays=-1", "renewDays"},
		{"maxConcurent=5", "unknown option"},
		{"workflowId=a/b", "workflowId"},
		{"maxConcurrent=2&maxConcurrent=3", "2 times"},
	} {
		p := e.postJSON("/v1/migrations?"+tc.query, export).problem(t, http.StatusBadRequest)
		require.Equal(t, trigger.ProblemInvalidOptions, p.Type, tc.query)
		require.Contains(t, strings.Join(p.Problems, "\n"), tc.mention, tc.query)
	}
	p := e.postMultipart("/v1/migrations", export, map[string]string{"maxConcurrent": "21"}).problem(t, http.StatusBadRequest)
	require.Contains(t, strings.Join(p.Problems, "\n"), "maxConcurrent 21")
	require.Empty(t, e.storedExports())
}

func TestABodyOverTheLimitIsRefusedWith413(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true, maxBodyBytes: 4 << 10})
	export := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 40, Seed: 15})
	require.Greater(t, len(export), 4<<10)

	e.postJSON("/v1/migrations", export).problem(t, http.StatusRequestEntityTooLarge)
	e.postMultipart("/v1/migrations", export, nil).problem(t, http.StatusRequestEntityTooLarge)
	// Without a Content-Length the limit holds while reading.
	chunked := io.MultiReader(bytes.NewReader(export)) // not a *bytes.Reader: sent chunked
	e.do(http.MethodPost, "/v1/migrations", "application/json", chunked).problem(t, http.StatusRequestEntityTooLarge)
	require.Empty(t, e.storedExports())
}

func TestAnExportInAnotherContentTypeIsRefusedWith415(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/xml", "not a media type"} {
		r := e.do(http.MethodPost, "/v1/migrations", ct, strings.NewReader(`{"dpskPools": []}`))
		r.problem(t, http.StatusUnsupportedMediaType)
		require.Contains(t, r.header.Get("Accept-Post"), "multipart/form-data", "content type %q", ct)
	}
	p := e.do(http.MethodPost, "/v1/migrations", "multipart/form-data; boundary=xyz", strings.NewReader("--xyz--\r\n")).problem(t, http.StatusBadRequest)
	require.Contains(t, p.Detail, `"export"`, "a multipart upload without the export part says which part is missing")
}

func TestAnUnknownMigrationIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	for _, r := range []response{
		e.get("/v1/migrations/migration-nobody-started"),
		e.get("/v1/migrations/migration-nobody-started/pools"),
		e.do(http.MethodPost, "/v1/migrations/migration-nobody-started/cancel", "", nil),
	} {
		p := r.problem(t, http.StatusNotFound)
		require.Contains(t, p.Detail, "migration-nobody-started")
	}
}

func TestHealthzIsOpenAndReportsTemporal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	r := e.do(http.MethodGet, "/healthz", "", nil, "")
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var h trigger.Health
	r.json(t, &h)
	require.Equal(t, trigger.Health{Status: "ok", Temporal: "ok"}, h)

	// Nothing listens on port 1: Temporal is unreachable.
	unreachable, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1", Logger: quiet{}})
	require.NoError(t, err)
	defer unreachable.Close()
	var logs syncBuffer
	srv := httptest.NewServer(trigger.NewHandler(&migrations.Service{Temporal: unreachable},
		trigger.Config{Token: testToken, HealthTimeout: time.Second, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	require.Contains(t, string(body), "Temporal is not reachable")
	// Temporal's error text (addresses, dial and TLS errors) stays in the log.
	for _, detail := range []string{"127.0.0.1:1", "connection refused", "dial", "rpc error", "code = "} {
		require.NotContains(t, string(body), detail)
	}
	require.Contains(t, logs.String(), "127.0.0.1:1", "the log has the detail")
}

func TestWithoutATokenNothingIsServedUnlessInsecureNoAuthIsSet(t *testing.T) {
	t.Parallel()
	svc := &migrations.Service{Temporal: temporalC}
	closed := httptest.NewServer(trigger.NewHandler(svc, trigger.Config{}))
	defer closed.Close()
	res, err := http.Get(closed.URL + "/v1/migrations/x")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusUnauthorized, res.StatusCode, "an empty token matches nothing")

	open := httptest.NewServer(trigger.NewHandler(svc, trigger.Config{InsecureNoAuth: true}))
	defer open.Close()
	res, err = http.Get(open.URL + "/v1/migrations/x")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)
}

func TestCheckAuthRefusesToServeWithoutATokenOffLoopback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr, token string
		insecure    bool
		refusal     string // "" = may start
	}{
		{"0.0.0.0:8080", testToken, false, ""},
		{"127.0.0.1:8080", testToken, true, ""},
		{"127.0.0.1:8080", "", true, ""},
		{"[::1]:8080", "", true, ""},
		{"localhost:8080", "", true, ""},
		{"127.0.0.1:8080", "", false, trigger.TokenEnv},
		{"0.0.0.0:8080", "", false, trigger.TokenEnv},
		{"0.0.0.0:8080", "", true, "loopback"},
		{":8080", "", true, "loopback"},
		{"10.0.0.5:8080", "", true, "loopback"},
		{"trigger.example.net:8080", "", true, "loopback"},
		{"0.0.0.0:8080", "short", false, "at least"},
	} {
		err := trigger.CheckAuth(tc.addr, tc.token, tc.insecure)
		if tc.refusal == "" {
			require.NoError(t, err, "%+v", tc)
			continue
		}
		require.ErrorContains(t, err, tc.refusal, "%+v", tc)
		if tc.token != "" {
			require.NotContains(t, err.Error(), tc.token, "the refusal does not echo the token")
		}
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
