package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/trigger"
	"github.com/dpskmigrate/dpskmigrate/worker"
)

var testKeys = "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, payloadcrypt.KeySize))

func TestRunRefusesABadKeyOrAnOpenCORSOriginWithoutPrintingKeys(t *testing.T) {
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	token := strings.Repeat("t", 32)
	for _, tc := range []struct {
		name    string
		args    []string
		vars    map[string]string
		refusal string
	}{
		{"a 16-byte key", nil, map[string]string{payloadcrypt.KeysEnv: "k1:" + short}, `DPSKMIGRATE_CODEC_KEYS: entry 1: key "k1" is 16 bytes`},
		{"both key variables", nil, map[string]string{payloadcrypt.KeysEnv: testKeys, payloadcrypt.KeyFileEnv: "/nonexistent"}, "set one of them"},
		{"any origin", []string{"--codec-cors-origin", "*"}, nil, `"*" is refused`},
		{"an origin from the environment with a path", nil, map[string]string{trigger.CodecOriginEnv: "http://localhost:8233/ui"}, "scheme://host[:port]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{trigger.TokenEnv: token, "DPSKMIGRATE_EXPORT_DIR": filepath.Join(t.TempDir(), "exports")}
			for k, v := range tc.vars {
				vars[k] = v
			}
			var logs bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := run(ctx, tc.args, env(vars), slog.New(slog.NewTextHandler(&logs, nil)))
			require.ErrorContains(t, err, tc.refusal)
			require.NotContains(t, err.Error(), short)
			require.NotContains(t, logs.String(), "trigger listening")
		})
	}
}

func TestRunServesTheCodecAndReadsEncryptedMigrations(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dev, err := stack.StartTemporal(ctx, nil)
	require.NoError(t, err)
	defer dev.Stop()
	t.Setenv("TEMPORAL_ADDRESS", dev.FrontendHostPort())
	t.Setenv("TEMPORAL_NAMESPACE", "default")
	t.Setenv(payloadcrypt.KeysEnv, testKeys) // worker.Dial reads the process environment
	ring, err := payloadcrypt.ParseKeys(testKeys)
	require.NoError(t, err)

	// A worker with the same key, on the trigger's default task queue.
	exportDir := filepath.Join(t.TempDir(), "exports") // the store creates it 0700
	sim := stack.StartSim(r1sim.Options{ActivityNotFoundFor: 50 * time.Millisecond, ActivityPendingFor: 50 * time.Millisecond})
	defer sim.Close()
	opts := client.Options{Namespace: "default", Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))}
	payloadcrypt.ApplyTo(&opts, ring)
	c, err := client.NewClientFromExisting(dev.Client(), opts)
	require.NoError(t, err)
	defer c.Close()
	queue := "trigger-codec-main"
	w, err := worker.New(c, sim.WorkerConfig("tenant-codec", queue, exportDir))
	require.NoError(t, err)
	require.NoError(t, w.Start())
	defer w.Stop()

	addr := freeLoopbackAddr(t)
	token := "main-codec-token-0123456789"
	var logs syncBuffer
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"--addr", addr, "--codec-cors-origin", "http://localhost:8233,http://127.0.0.1:8233"},
			env(map[string]string{trigger.TokenEnv: token, "DPSKMIGRATE_EXPORT_DIR": exportDir, "DPSKMIGRATE_TASK_QUEUE": queue,
				payloadcrypt.KeysEnv: testKeys}),
			slog.New(slog.NewJSONHandler(&logs, nil)))
	}()
	base := "http://" + addr
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "trigger listening") }, 30*time.Second, 50*time.Millisecond)
	require.Contains(t, logs.String(), `"payload_keys":["k1"]`)

	call := func(method, path, auth, origin string, body []byte) (*http.Response, []byte) {
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, b
	}

	// A migration through the trigger: the worker encrypts, the trigger reads.
	export := sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 4, Awkward: true, Seed: 61})
	res, body := call(http.MethodPost, "/v1/migrations", token, "", export)
	require.Equal(t, http.StatusAccepted, res.StatusCode, "%s", body)
	var started trigger.StartResponse
	require.NoError(t, json.Unmarshal(body, &started))
	require.Eventually(t, func() bool {
		_, body = call(http.MethodGet, started.StatusURL, token, "", nil)
		return strings.Contains(string(body), `"state":"COMPLETED"`) // the result, not the last progress
	}, time.Minute, 100*time.Millisecond, "the trigger reads the encrypted result")
	require.Contains(t, string(body), `"status":"PARTIAL"`)
	require.Contains(t, string(body), "unit000-short")

	// Its result payload, as the Temporal server stores it, decodes through /codec.
	var stored *commonpb.Payload
	iter := c.GetWorkflowHistory(ctx, started.WorkflowID, "", false, 0)
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		if a := ev.GetWorkflowExecutionCompletedEventAttributes(); a != nil {
			stored = a.GetResult().GetPayloads()[0]
		}
	}
	require.NotNil(t, stored)
	require.Equal(t, "k1", string(stored.Metadata[payloadcrypt.MetadataKeyID]))
	require.NotContains(t, string(stored.Data), "unit000-short")
	req, err := json.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{stored}})
	require.NoError(t, err)
	res, _ = call(http.MethodPost, "/codec/decode", "", "", req)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	res, body = call(http.MethodPost, "/codec/decode", token, "http://127.0.0.1:8233", req)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	require.Equal(t, "http://127.0.0.1:8233", res.Header.Get("Access-Control-Allow-Origin"))
	var decoded commonpb.Payloads
	require.NoError(t, json.Unmarshal(body, &decoded))
	require.Contains(t, string(decoded.Payloads[0].Data), "unit000-short")
	res, _ = call(http.MethodOptions, "/codec/decode", "", "http://localhost:8233", nil)
	require.Equal(t, http.StatusNoContent, res.StatusCode, "the UI's preflight needs no token")

	stop()
	require.NoError(t, <-done)
	require.NotContains(t, logs.String(), "unit000-short", "the trigger logs no payload")
	require.NotContains(t, logs.String(), token)
}
