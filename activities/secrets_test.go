package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/secrettest"
	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// quotingR1 is an R1 whose every answer (but the token's) is set by the test.
type quotingR1 struct {
	mu     sync.Mutex
	status int
	body   string
}

func (q *quotingR1) answer(status int, body string) {
	q.mu.Lock()
	q.status, q.body = status, body
	q.mu.Unlock()
}

func (q *quotingR1) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/oauth2/token/") {
		fmt.Fprint(w, `{"access_token":"tok-0123456789","expires_in":3600}`)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	w.WriteHeader(q.status)
	fmt.Fprint(w, q.body)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// failedActivity is GET /activities/{id} for a failed write whose
// double-encoded error says message.
func failedActivity(message string) string {
	inner := jsonText(map[string]any{"message": "Validation Error",
		"subErrors": []map[string]string{{"object": "DPSK passphrase", "field": "passphrase", "code": "DPSK-031", "message": message}}})
	return jsonText(map[string]any{"requestId": "rq-1", "status": "FAIL",
		"error": jsonText(map[string]any{"requestId": "rq-1", "errors": []string{inner}})})
}

// TestR1TextAboutARowNeverQuotesItsPassphrase runs the activities that
// concern one row against an R1 that quotes the row's passphrase where a
// client shortens R1's text.
func TestR1TextAboutARowNeverQuotesItsPassphrase(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	exp := sampledata.Build(sampledata.Spec{Pools: 1, RowsPerPool: 3, Seed: 11})
	for i := range exp.DPSKPools[0].DPSKs {
		exp.DPSKPools[0].DPSKs[i].Passphrase = secrettest.Random(rng, 24, true)
	}
	exp.DPSKPools[0].DPSKs[0].Passphrase = `q"\` + secrettest.Random(rng, 21, true) // JSON escapes it
	store, err := exportstore.New(filepath.Join(t.TempDir(), "exports"))
	require.NoError(t, err)
	ref, err := store.PutBytes([]byte(jsonText(exp)))
	require.NoError(t, err)
	r1 := &quotingR1{}
	srv := httptest.NewServer(r1)
	defer srv.Close()
	c, err := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "t", ClientID: "c", ClientSecret: "client-secret-1", Timeout: 5 * time.Second})
	require.NoError(t, err)
	a := New(c, store)
	in := ExportInput{Export: ref, Plan: cloudpath.PlanOptions{Now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}}
	p, err := a.plans.get(in)
	require.NoError(t, err)
	key := p.plan.Units[0].Key
	unit, err := a.unit(in, key)
	require.NoError(t, err)
	row, err := rowAt(unit, 0)
	require.NoError(t, err)
	secret := row.Passphrase
	pieces := secrettest.Pieces(secret)
	rowIn := RowInput{ExportInput: in, PoolKey: key, PoolID: "pool-1", Row: 0}
	// The same row of an export the store no longer holds: nothing to mask with.
	gone := rowIn
	gone.Export = exportstore.Ref{URI: ref.URI + ".gone", SHA256: strings.Repeat("0", 64)}

	atCut := func(n int) string { return secrettest.Pad(n-len(secret)/2) + secret + " is not allowed" }
	requireClean := func(t *testing.T, what, text string) {
		t.Helper()
		if piece, around, found := secrettest.Find(text, pieces); found {
			t.Fatalf("%s holds %q of the passphrase: ...%s...", what, piece, around)
		}
	}
	ctx := context.Background()

	t.Run("a failed activity of a loaded row", func(t *testing.T) {
		// FailureMessage puts the sub-error's object and field first.
		r1.answer(200, failedActivity(atCut(512-len("DPSK passphrase.passphrase: "))))
		st, err := a.GetR1Activity(ctx, R1ActivityInput{RequestID: "rq-1", Row: &rowIn})
		require.NoError(t, err)
		require.True(t, st.Failed)
		requireClean(t, "the reason", st.Message)
		require.Contains(t, st.Message, "DPSK passphrase.passphrase: pad pad", "R1's reason is kept")
	})
	t.Run("a failed activity of a row that cannot be loaded", func(t *testing.T) {
		r1.answer(200, failedActivity("Passphrase "+secret+" already exists"))
		st, err := a.GetR1Activity(ctx, R1ActivityInput{RequestID: "rq-1", Row: &gone})
		require.NoError(t, err)
		require.True(t, st.Failed)
		requireClean(t, "the reason", st.Message)
		require.Contains(t, st.Message, "FAIL with code DPSK-031")
		require.NotContains(t, st.Message, "already exists", "R1's free text is dropped")
	})
	t.Run("an error reading the activity of a row that cannot be loaded", func(t *testing.T) {
		r1.answer(400, jsonText(map[string]any{"message": "Bad passphrase " + secret,
			"subErrors": []map[string]string{{"code": "DPSK-031", "message": secret}}}))
		_, err := a.GetR1Activity(ctx, R1ActivityInput{RequestID: "rq-1", Row: &gone})
		require.Error(t, err)
		requireClean(t, "the error", err.Error())
		require.Contains(t, err.Error(), "400 Bad Request with code DPSK-031")
	})
	t.Run("reading rows", func(t *testing.T) {
		r1.answer(500, jsonText(map[string]any{"message": "Query failed",
			"subErrors": []map[string]string{{"field": "passphrase", "message": atCut(200)}}}))
		_, err := a.ReadRows(ctx, RowsInput{ExportInput: in, PoolKey: key, PoolID: "pool-1", Rows: []int{0, 1, 2}})
		require.Error(t, err)
		requireClean(t, "the error", err.Error())
	})
	t.Run("patching a VLAN", func(t *testing.T) {
		r1.answer(400, jsonText(map[string]any{"message": atCut(512)}))
		_, err := a.PatchPassphraseVLAN(ctx, PatchVLANInput{RowInput: rowIn, PassphraseID: "pp-1"})
		require.Error(t, err)
		requireClean(t, "the error", err.Error())
	})
	t.Run("creating the passphrase", func(t *testing.T) {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestActivityEnvironment()
		env.RegisterActivity(a)
		// A numeric status: not the shape R1 documents.
		r1.answer(400, `{"status":400,"message":"passphrase `+strings.Trim(jsonText(secret), `"`)+` refused"}`)
		_, err := env.ExecuteActivity(a.CreatePassphrase, rowIn)
		require.Error(t, err)
		requireClean(t, "the error", err.Error())
	})
}
