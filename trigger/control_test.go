package trigger_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/trigger"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// control posts a pause, resume or configure and decodes a 200 answer.
func (e *env) control(path, body string) trigger.ControlResponse {
	e.t.Helper()
	r := e.do(http.MethodPost, path, "application/json", strings.NewReader(body))
	require.Equal(e.t, http.StatusOK, r.status, "POST %s %s: %s", path, body, r.body)
	var c trigger.ControlResponse
	r.json(e.t, &c)
	return c
}

func (e *env) progress(statusURL string) *workflows.MigrationProgress {
	e.t.Helper()
	var st migrations.Status
	e.get(statusURL).json(e.t, &st)
	require.Equal(e.t, "RUNNING", st.State, "the migration ended too soon for the test")
	require.NotNil(e.t, st.Progress)
	return st.Progress
}

// A running migration is paused, reconfigured and resumed over HTTP; a value
// out of range is refused with its reason and changes nothing; the migration
// then ends with every passphrase, and an ended one refuses every control.
func TestPauseConfigureAndResumeARunningMigration(t *testing.T) {
	t.Parallel()
	// Sequential, 20 ms an R1 call: it runs for a few seconds.
	e := newEnv(t, envOptions{sim: r1sim.Options{Latency: r1sim.Latency{Median: 20 * time.Millisecond}}})
	s := e.started(e.postJSON("/v1/migrations", e.export(sampledata.Spec{Pools: 2, RowsPerPool: 12, Seed: 71})))
	require.Eventually(t, func() bool { return sum(e.passphrasesInR1()) > 0 }, 30*time.Second, 20*time.Millisecond)

	paused := e.control(s.StatusURL+"/pause", "")
	require.Equal(t, s.WorkflowID, paused.WorkflowID)
	require.True(t, paused.Paused)
	require.False(t, paused.PausedSince.IsZero())
	p := e.progress(s.StatusURL)
	require.True(t, p.Paused, "the status says paused")
	require.True(t, paused.PausedSince.Equal(p.PausedSince))
	again := e.control(s.StatusURL+"/pause", "")
	require.True(t, again.PausedSince.Equal(paused.PausedSince), "pausing a paused migration changes nothing")

	// Refused: out of range, nothing to change. The window stays.
	window := p.Window
	for body, reason := range map[string]string{
		`{"maxConcurrent": 25}`:         "maxConcurrent 25 is out of range: use 1 to 20",
		`{"passphraseConcurrency": 0}`:  "passphraseConcurrency 0 is out of range",
		`{}`:                            "configure changes nothing",
		`{"maxConcurrent": null}`:       "configure changes nothing",
		`{"maxConcurrent": 2, "x": 1} `: "",
	} {
		r := e.do(http.MethodPost, s.StatusURL+"/configure", "application/json", strings.NewReader(body))
		if reason == "" {
			require.Contains(t, r.problem(t, http.StatusBadRequest).Detail, `unknown field "x"`)
			continue
		}
		pr := r.problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, trigger.ProblemRefused, pr.Type)
		require.Contains(t, pr.Detail, reason)
		require.True(t, strings.HasSuffix(pr.Detail, "; nothing changed"), pr.Detail)
	}
	// Not JSON, several values, too large, empty: refused before Temporal is asked.
	bad := []struct {
		contentType, body string
		status            int
	}{
		{"text/plain", `{"maxConcurrent": 2}`, http.StatusUnsupportedMediaType},
		{"application/json", `{"maxConcurrent": 2}{"maxConcurrent": 3}`, http.StatusBadRequest},
		{"application/json", `{"maxConcurrent": "2"}`, http.StatusBadRequest},
		{"application/json", `{"maxConcurrent": 2, "pad": "` + strings.Repeat("x", trigger.MaxControlBodyBytes) + `"}`, http.StatusRequestEntityTooLarge},
		{"application/json", ``, http.StatusBadRequest},
	}
	for _, b := range bad {
		e.do(http.MethodPost, s.StatusURL+"/configure", b.contentType, strings.NewReader(b.body)).problem(t, b.status)
	}
	require.Equal(t, window, e.progress(s.StatusURL).Window, "no refusal changed the window")

	c := e.control(s.StatusURL+"/configure", `{"maxConcurrent": 3, "passphraseConcurrency": 4}`)
	require.Equal(t, 3, c.MaxConcurrent)
	require.Equal(t, 4, c.PassphraseConcurrency)
	require.True(t, c.Paused, "configure leaves the pause alone")
	p = e.progress(s.StatusURL)
	require.Equal(t, 3, p.Window)
	require.Equal(t, 4, p.PassphraseConcurrency)

	resumed := e.control(s.StatusURL+"/resume", "")
	require.False(t, resumed.Paused)
	require.True(t, resumed.PausedSince.IsZero())
	require.False(t, e.progress(s.StatusURL).Paused)

	st := e.waitDone(s.StatusURL)
	require.Equal(t, "COMPLETED", st.State, "error: %s", st.Error)
	require.Equal(t, 24, st.Result.Totals.Created)
	require.Equal(t, 24, sum(e.passphrasesInR1()), "nothing lost or doubled across the pause")

	// Ended: 409, whatever the control; unknown: 404.
	for _, path := range []string{"/pause", "/resume", "/configure"} {
		pr := e.do(http.MethodPost, s.StatusURL+path, "application/json", strings.NewReader(`{"maxConcurrent": 2}`)).problem(t, http.StatusConflict)
		require.Equal(t, trigger.ProblemNotRunning, pr.Type)
		require.Contains(t, pr.Detail, "COMPLETED")
		require.Equal(t, "no migration with ID migration-nobody-started",
			e.do(http.MethodPost, "/v1/migrations/migration-nobody-started"+path, "application/json", strings.NewReader(`{"maxConcurrent": 2}`)).problem(t, http.StatusNotFound).Detail)
	}
	// A pool's workflow is not a migration.
	pr := e.do(http.MethodPost, "/v1/migrations/"+url.PathEscape(st.Result.Pools[0].WorkflowID)+"/pause", "", nil).problem(t, http.StatusNotFound)
	require.Contains(t, pr.Detail, "no migration with ID")
}

// Without a worker the migration cannot answer: the trigger says so in time
// instead of holding the request.
func TestAControlWithoutAWorkerAnswers504InTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true, controlTimeout: 2 * time.Second})
	s := e.started(e.postJSON("/v1/migrations", e.export(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 72})))
	t.Cleanup(func() { _ = temporalC.TerminateWorkflow(context.Background(), s.WorkflowID, "", "test over") })
	pr := e.do(http.MethodPost, s.StatusURL+"/pause", "", nil).problem(t, http.StatusGatewayTimeout)
	require.Contains(t, pr.Detail, "did not answer within 2s: is a worker running?")
}
