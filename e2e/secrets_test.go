package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/internal/cli"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/secrettest"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/trigger"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// TestSecretsQuotedByR1LeakNowhere runs a migration against an R1 that
// refuses a share of the passphrases and quotes them in its answers: in a
// plain message, across the cut of a long message or sub-error, escaped in
// a body of unexpected shape, across the read limit of a large body, and in
// the double-encoded error of a FAIL activity. No piece of 6 characters of a
// passphrase, or of the client secret, may reach what a person or Temporal
// sees: the result, the histories, the worker's log, the CLI, the trigger.
func TestSecretsQuotedByR1LeakNowhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{Faults: r1sim.Faults{QuotePassphraseRate: 0.3}, Seed: 21})
	rng := rand.New(rand.NewPCG(21, 22))
	exp := sampledata.Build(sampledata.Spec{Pools: 2, RowsPerPool: 20, Seed: 21})
	var secrets []string
	for p := range exp.DPSKPools {
		for r := range exp.DPSKPools[p].DPSKs {
			// Random printable characters: a 6-character piece of one cannot
			// occur in names, ids or messages by chance.
			s := secrettest.Random(rng, 24, true)
			exp.DPSKPools[p].DPSKs[r].Passphrase = s
			secrets = append(secrets, s)
		}
	}
	export, err := json.Marshal(exp)
	require.NoError(t, err)
	clientSecret := secrettest.Random(rng, 32, true)
	pieces := secrettest.Pieces(append(secrets, clientSecret)...)
	requireClean := func(what, text string) {
		t.Helper()
		require.NotEmpty(t, text, what)
		if piece, around, found := secrettest.Find(text, pieces); found {
			t.Fatalf("%s holds %q, a piece of a secret: ...%s...", what, piece, around)
		}
	}

	// A worker process logging at debug level into a buffer.
	var logs bytes.Buffer
	worker := e.workerCommand(buildWorker(t))
	worker.Env = append(worker.Env, "LOG_LEVEL=debug", "R1_CLIENT_SECRET="+clientSecret)
	worker.Stdout, worker.Stderr = &logs, &logs
	require.NoError(t, worker.Start())
	t.Cleanup(func() { _ = worker.Process.Kill(); _ = worker.Wait() })

	st, res := e.migrate(export, migrations.Options{ParallelExecution: true})

	// Rows were refused both ways, and the rest migrated.
	require.Equal(t, workflows.StatusPartial, res.Status, "%+v", res)
	var refusedAtOnce, failedLater, masked int
	failed := map[string]bool{}
	for _, p := range res.Pools {
		requireClean("pool error", p.Key+p.Error)
		for _, r := range p.FailedRows {
			requireClean("a failed row's reason", r.Reason)
			failed[r.Username] = true
			if strings.Contains(r.Reason, "[REDACTED]") {
				masked++
			}
			if strings.HasPrefix(r.Reason, "R1 refused the passphrase: ") {
				failedLater++
			} else {
				refusedAtOnce++
			}
		}
	}
	t.Logf("%d rows refused at once, %d failed in their activity", refusedAtOnce, failedLater)
	require.Positive(t, refusedAtOnce, "some creates were refused with a 400")
	require.Positive(t, failedLater, "some creates failed in their R1 activity")
	require.Positive(t, masked, "R1's quotes were masked, not merely cut off")
	require.Equal(t, 40, res.Totals.Created+res.Totals.Failed)
	require.Len(t, failed, res.Totals.Failed, "every failed row is named")
	held := 0
	for _, p := range e.sim.Inventory(e.tenant).Pools {
		for _, pp := range p.Passphrases {
			require.False(t, failed[pp.Username], "%s failed but R1 holds it", pp.Username)
			held++
		}
	}
	require.Equal(t, res.Totals.Created, held)

	requireHistoriesClean(t, st.WorkflowID, func(h string) string {
		if piece, around, found := secrettest.Find(h, pieces); found {
			return "a piece " + jsonQuote(piece) + " of a secret (..." + around + "...)"
		}
		return ""
	})

	// The CLI's status, plain and JSON.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env := map[string]string{"DPSKMIGRATE_TASK_QUEUE": e.queue, "DPSKMIGRATE_EXPORT_DIR": e.store.Dir}
	for _, args := range [][]string{{"status", st.WorkflowID}, {"status", "--json", st.WorkflowID}} {
		var out bytes.Buffer
		app := &cli.App{Stdout: &out, Stderr: &out, Getenv: func(k string) string { return env[k] },
			Dial: func(*slog.Logger) (client.Client, error) {
				return client.NewClientFromExisting(temporalC, client.Options{Namespace: "default"})
			}}
		require.Equal(t, cli.ExitPartial, app.Run(ctx, args), out.String())
		requireClean("dpskmigrate "+strings.Join(args, " "), out.String())
	}

	// The trigger's status and pools.
	srv := httptest.NewServer(trigger.NewHandler(e.svc, trigger.Config{InsecureNoAuth: true}))
	defer srv.Close()
	for _, path := range []string{"/v1/migrations/" + st.WorkflowID, "/v1/migrations/" + st.WorkflowID + "/pools"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		requireClean("GET "+path, string(body))
	}

	// The worker's log, once it has stopped.
	require.NoError(t, worker.Process.Signal(syscall.SIGTERM))
	_ = worker.Wait()
	require.Contains(t, logs.String(), "level=DEBUG", "the worker logged at debug level")
	requireClean("the worker's log", logs.String())
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
