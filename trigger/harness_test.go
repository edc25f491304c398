package trigger_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/trigger"
	"github.com/dpskmigrate/dpskmigrate/worker"
)

// testToken is the bearer token of every test server.
const testToken = "test-token-0123456789abcdef"

var (
	temporalC client.Client
	testSeq   atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(stack.RunWithTemporal(m, func(srv *testsuite.DevServer) { temporalC = srv.Client() }))
}

// env is one test's stack: a trigger served over real HTTP on its own task
// queue, simulator and export store; a worker when the test migrates.
type env struct {
	t      *testing.T
	queue  string
	tenant string
	sim    *stack.Sim
	store  *exportstore.Store
	svc    *migrations.Service
	server *httptest.Server
	logs   *syncBuffer
	// secrets must appear in no response and no log line.
	mu      sync.Mutex
	secrets []string
	seen    bytes.Buffer // every response: status line, headers, body
}

type envOptions struct {
	sim            r1sim.Options
	maxBodyBytes   int64
	noWorker       bool
	uiBaseURL      string // default http://localhost:8233
	callsPerMinute int    // the trigger's R1 budget for estimates; 0 = none
	controlTimeout time.Duration
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	n := testSeq.Add(1)
	e := &env{
		t:       t,
		queue:   fmt.Sprintf("trigger-%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), n),
		tenant:  fmt.Sprintf("tenant-%d", n),
		logs:    &syncBuffer{},
		secrets: []string{testToken},
	}
	if o.sim.ActivityNotFoundFor == 0 {
		o.sim.ActivityNotFoundFor = 50 * time.Millisecond
	}
	if o.sim.ActivityPendingFor == 0 {
		o.sim.ActivityPendingFor = 50 * time.Millisecond
	}
	e.sim = stack.StartSim(o.sim)
	t.Cleanup(e.sim.Close)
	var err error
	e.store, err = exportstore.New(filepath.Join(t.TempDir(), "exports")) // t.TempDir() is 0755: the store makes a 0700 one
	require.NoError(t, err)
	if o.uiBaseURL == "" {
		o.uiBaseURL = "http://localhost:8233"
	}
	e.svc = &migrations.Service{Temporal: temporalC, Store: e.store, TaskQueue: e.queue, UIBaseURL: o.uiBaseURL}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.server = httptest.NewServer(trigger.NewHandler(e.svc, trigger.Config{Token: testToken, MaxBodyBytes: o.maxBodyBytes, Logger: logger,
		CallsPerMinute: o.callsPerMinute, ControlTimeout: o.controlTimeout}))
	t.Cleanup(e.server.Close)
	if !o.noWorker {
		// The worker logs elsewhere: these tests hold the trigger to its promise.
		w, err := worker.New(temporalC, e.sim.WorkerConfig(e.tenant, e.queue, e.store.Dir))
		require.NoError(t, err)
		require.NoError(t, w.Start())
		t.Cleanup(w.Stop)
	}
	// Registered last, so it runs first: before the worker stops.
	t.Cleanup(e.requireNoSecretLeaked)
	return e
}

// export returns a sample export and remembers its passphrases as secrets.
func (e *env) export(spec sampledata.Spec) []byte {
	e.t.Helper()
	exp := sampledata.Build(spec)
	e.mu.Lock()
	for _, p := range exp.DPSKPools {
		for _, d := range p.DPSKs {
			if len(d.Passphrase) >= 6 {
				e.secrets = append(e.secrets, d.Passphrase)
			}
		}
	}
	e.mu.Unlock()
	b, err := json.Marshal(exp)
	require.NoError(e.t, err)
	return b
}

func (e *env) secret(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.secrets = append(e.secrets, s)
}

func (e *env) requireNoSecretLeaked() {
	e.mu.Lock()
	defer e.mu.Unlock()
	responses, logs := e.seen.String(), e.logs.String()
	require.NotEmpty(e.t, logs, "the trigger logs its requests")
	for _, s := range e.secrets {
		require.NotContains(e.t, responses, s, "a response holds a secret")
		require.NotContains(e.t, logs, s, "a log line holds a secret")
	}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// problem decodes an RFC 9457 answer and checks its shape.
func (r response) problem(t *testing.T, status int) trigger.Problem {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	var p trigger.Problem
	r.json(t, &p)
	require.Equal(t, status, p.Status)
	require.NotEmpty(t, p.Type)
	require.NotEmpty(t, p.Title)
	return p
}

// do sends a request with the test token unless auth is given ("" = none).
func (e *env) do(method, path, contentType string, body io.Reader, auth ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.server.URL+path, body)
	require.NoError(e.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	authorization := "Bearer " + testToken
	if len(auth) > 0 {
		authorization = auth[0]
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := e.server.Client().Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	e.mu.Lock()
	fmt.Fprintf(&e.seen, "%s %s -> %d\n", method, path, res.StatusCode)
	_ = res.Header.Write(&e.seen)
	e.seen.Write(b)
	e.seen.WriteString("\n")
	e.mu.Unlock()
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (e *env) get(path string) response { return e.do(http.MethodGet, path, "", nil) }

func (e *env) postJSON(path string, export []byte) response {
	return e.do(http.MethodPost, path, "application/json", bytes.NewReader(export))
}

// postMultipart uploads export as the "export" file part, with fields.
func (e *env) postMultipart(path string, export []byte, fields map[string]string) response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		require.NoError(e.t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile(trigger.ExportPart, "cloudpath-export.json")
	require.NoError(e.t, err)
	_, err = fw.Write(export)
	require.NoError(e.t, err)
	require.NoError(e.t, mw.Close())
	return e.do(http.MethodPost, path, mw.FormDataContentType(), &buf)
}

// started checks a 202 answer to a start and decodes it.
func (e *env) started(r response) trigger.StartResponse {
	e.t.Helper()
	require.Equal(e.t, http.StatusAccepted, r.status, "body: %s", r.body)
	var s trigger.StartResponse
	r.json(e.t, &s)
	require.NotEmpty(e.t, s.WorkflowID)
	require.NotEmpty(e.t, s.RunID)
	require.Equal(e.t, "/v1/migrations/"+s.WorkflowID, s.StatusURL)
	require.Equal(e.t, s.StatusURL, r.header.Get("Location"))
	require.Equal(e.t, s.StatusURL+"/pools", s.PoolsURL)
	require.Contains(e.t, s.UIURL, "/namespaces/default/workflows/"+s.WorkflowID)
	return s
}

// waitDone polls the status URL until the migration has ended.
func (e *env) waitDone(statusURL string) migrations.Status {
	e.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var st migrations.Status
		r := e.get(statusURL)
		require.Equal(e.t, http.StatusOK, r.status, "body: %s", r.body)
		r.json(e.t, &st)
		if st.State != "RUNNING" {
			return st
		}
		require.True(e.t, time.Now().Before(deadline), "migration still running: %s", r.body)
		time.Sleep(200 * time.Millisecond)
	}
}

// passphrasesInR1 counts the passphrases R1 holds, per pool name.
func (e *env) passphrasesInR1() map[string]int {
	inv := e.sim.Inventory(e.tenant)
	out := map[string]int{}
	for _, p := range inv.Pools {
		out[p.Name] = len(p.Passphrases)
	}
	return out
}

// storedExports lists the export store's files: a refused start stores nothing.
func (e *env) storedExports() []string {
	e.t.Helper()
	m, err := filepath.Glob(filepath.Join(e.store.Dir, "*.json"))
	require.NoError(e.t, err)
	return m
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
