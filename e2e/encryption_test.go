package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/trigger"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// Two test keys: A, then B after a rotation.
var (
	keyA = "A:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xA}, payloadcrypt.KeySize))
	keyB = "B:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xB}, payloadcrypt.KeySize))
)

const codecToken = "codec-test-token-0123456789"

func keyRing(t *testing.T, spec string) *payloadcrypt.KeyRing {
	t.Helper()
	if spec == "" {
		return nil
	}
	r, err := payloadcrypt.ParseKeys(spec)
	require.NoError(t, err)
	return r
}

// codecClient is a client on the dev server's connection with ring's
// converters, as worker.Dial builds them from the environment.
func codecClient(t *testing.T, ring *payloadcrypt.KeyRing) client.Client {
	t.Helper()
	opts := client.Options{Namespace: "default", Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))}
	payloadcrypt.ApplyTo(&opts, ring)
	c, err := client.NewClientFromExisting(temporalC, opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// historyScan is what the Temporal server stores for a migration: the parent's
// and every pool's history, as anyone with access to Temporal reads them.
type historyScan struct {
	text     string         // every event, and every payload's bytes decoded
	failures []string       // the message of every failure in the histories
	keyIDs   map[string]int // payloads per encryption key ID
	plain    int            // payloads not encrypted
}

func scanHistories(t *testing.T, parentID string) historyScan {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ids := []string{parentID}
	resp, err := temporalC.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: "WorkflowId STARTS_WITH '" + parentID + "/pool/'", PageSize: 1000,
	})
	require.NoError(t, err)
	for _, ex := range resp.Executions {
		ids = append(ids, ex.Execution.WorkflowId)
	}
	require.Greater(t, len(ids), 1, "the pool workflows are listed")
	s := historyScan{keyIDs: map[string]int{}}
	var text strings.Builder
	for _, id := range ids {
		iter := temporalC.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(t, err)
			text.WriteString(ev.String())
			data, err := protojson.Marshal(ev)
			require.NoError(t, err)
			var tree any
			require.NoError(t, json.Unmarshal(data, &tree))
			writePayloads(&text, tree)
			s.collect(tree)
		}
	}
	s.text = text.String()
	return s
}

// collect records failure messages and payload encodings in a protojson tree.
func (s *historyScan) collect(node any) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if k == "searchAttributes" {
				// Indexed by the server, so never encoded; they hold no personal
				// data (e.g. TemporalChangeVersion from workflow.GetVersion).
				continue
			}
			if m, ok := v.(map[string]any); ok {
				switch k {
				case "failure", "lastFailure", "cause":
					if msg, ok := m["message"].(string); ok {
						s.failures = append(s.failures, msg)
					}
				case "metadata":
					if enc, ok := m["encoding"].(string); ok {
						if id, ok := m[payloadcrypt.MetadataKeyID].(string); ok {
							s.keyIDs[b64(id)]++
						} else if b64(enc) != payloadcrypt.EncodingEncrypted {
							s.plain++
						}
					}
				}
			}
			s.collect(v)
		}
	case []any:
		for _, v := range n {
			s.collect(v)
		}
	}
}

func b64(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return s
	}
	return string(b)
}

// usernamesOf lists the export's usernames.
func usernamesOf(t *testing.T, export []byte) []string {
	exp, err := cloudpath.Parse(bytes.NewReader(export), cloudpath.ParseOptions{})
	require.NoError(t, err)
	var out []string
	for _, p := range exp.Pools {
		for _, d := range p.DPSKs {
			if d.Name != "" {
				out = append(out, d.Name)
			}
		}
	}
	require.NotEmpty(t, out)
	return out
}

func TestWithAKeyNoUsernameOrR1ErrorTextIsInTheHistoriesInClear(t *testing.T) {
	t.Parallel()
	// Refused rows name users in the result; the simulator's 5xx put R1's
	// error text in the activities' last failures.
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 15, Awkward: true, Seed: 21})
	usernames := usernamesOf(t, export)
	for _, tc := range []struct {
		name string
		keys string
	}{{"without a key the histories show them", ""}, {"with a key", keyA}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, r1sim.Options{Faults: r1sim.Faults{ServerErrorRate: 0.08}, Seed: 21})
			c := codecClient(t, keyRing(t, tc.keys))
			e.svc.Temporal = c
			w, err := worker.New(c, e.workerConfig())
			require.NoError(t, err)
			require.NoError(t, w.Start())
			t.Cleanup(w.Stop)

			st, res := e.migrate(export, migrations.Options{ParallelExecution: true})
			require.Equal(t, workflows.StatusPartial, res.Status, "the refused rows")
			require.Contains(t, refusedUsernames(res), "unit000-short", "our client reads the result")
			e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
			require.Positive(t, e.sim.Stats().ServerErrors)

			h := scanHistories(t, st.WorkflowID)
			requireNoPassphraseInHistories(t, st.WorkflowID, export)
			require.NotEmpty(t, h.failures, "R1's 5xx left failures in the histories")
			if tc.keys == "" {
				inClear := 0
				for _, u := range usernames {
					if strings.Contains(h.text, u) {
						inClear++
					}
				}
				require.Greater(t, inClear, len(usernames)/2, "plain histories name the users")
				require.True(t, containsAny(h.failures, "R1 "), "plain failures quote R1: %q", h.failures)
				require.Zero(t, len(h.keyIDs))
				return
			}
			for _, u := range usernames {
				if strings.Contains(h.text, u) {
					t.Fatalf("username %q is in a history in clear", u)
				}
			}
			for _, f := range h.failures {
				require.Equal(t, "Encoded failure", f, "a failure message is in clear")
			}
			require.NotContains(t, h.text, "R1 POST", "R1's error text is encrypted")
			require.Equal(t, []string{"A"}, keys(h.keyIDs))
			require.Zero(t, h.plain, "every payload is encrypted")
		})
	}
}

func TestTheTemporalCLIDecodesThroughTheCodecEndpointAcrossAKeyRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	bin := buildWorker(t)
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 8, Awkward: true, Seed: 22})

	// Written with key A by the worker process (worker.Dial reads the key).
	proc, logs := e.encryptedWorker(t, bin, map[string]string{payloadcrypt.KeysEnv: keyA})
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "worker started") }, time.Minute, 50*time.Millisecond)
	require.NotContains(t, logs.String(), "histories are not encrypted")
	require.Contains(t, logs.String(), "payload_key=A")
	e.svc.Temporal = codecClient(t, keyRing(t, keyA))
	first, res := e.migrate(export, migrations.Options{ParallelExecution: true})
	require.Equal(t, workflows.StatusPartial, res.Status)
	h := scanHistories(t, first.WorkflowID)
	require.Equal(t, []string{"A"}, keys(h.keyIDs))
	require.NotContains(t, h.text, "unit000-short")

	// The Temporal CLI reads it through the trigger's codec endpoint, with the token.
	codecA := codecEndpoint(t, keyA)
	out, err := temporalShow(t, first.WorkflowID, codecA, "Bearer "+codecToken)
	require.NoError(t, err, out)
	require.Contains(t, out, "unit000-short", "the decoded history names the refused row")
	out, err = temporalShow(t, first.WorkflowID, codecA, "")
	require.False(t, err == nil && strings.Contains(out, "unit000-short"), "no token, no plaintext:\n%s", out)
	require.Error(t, err, "the codec refuses the CLI without the token")

	// Rotation: B encrypts new payloads, A still decrypts the old ones.
	require.NoError(t, proc.Process.Signal(syscall.SIGTERM))
	_, _ = proc.Process.Wait()
	e.encryptedWorker(t, bin, map[string]string{payloadcrypt.KeysEnv: keyB + "," + keyA})
	e.svc.Temporal = codecClient(t, keyRing(t, keyB+","+keyA))
	second, _ := e.migrate(export, migrations.Options{ParallelExecution: true})
	require.Equal(t, []string{"B"}, keys(scanHistories(t, second.WorkflowID).keyIDs), "new histories use the new key")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	old, err := e.svc.Wait(ctx, first.WorkflowID)
	require.NoError(t, err, "the rotated ring reads the old history")
	require.Contains(t, refusedUsernames(old), "unit000-short")
	codecBA := codecEndpoint(t, keyB+","+keyA)
	for _, id := range []string{first.WorkflowID, second.WorkflowID} {
		out, err := temporalShow(t, id, codecBA, "Bearer "+codecToken)
		require.NoError(t, err, out)
		require.Contains(t, out, "unit000-short")
	}

	// A ring without A says which key it lacks, in our client and through the
	// codec endpoint (the SDK's remote data converter shows the codec's answer;
	// the Temporal CLI retries it until its deadline and prints only that).
	withoutA := &migrations.Service{Temporal: codecClient(t, keyRing(t, keyB)), Store: e.store, TaskQueue: e.queue}
	_, err = withoutA.Wait(ctx, first.WorkflowID)
	require.ErrorContains(t, err, `encrypted with key "A", which is not in the key ring [B]`)
	codecB := codecEndpoint(t, keyB)
	_, err = remoteCodecService(t, codecB).Wait(ctx, first.WorkflowID)
	require.ErrorContains(t, err, `encrypted with key "A", which is not in the key ring [B]`)
	remoteOld, err := remoteCodecService(t, codecBA).Wait(ctx, first.WorkflowID)
	require.NoError(t, err)
	require.Contains(t, refusedUsernames(remoteOld), "unit000-short")
	out, err = temporalShow(t, first.WorkflowID, codecB, "Bearer "+codecToken)
	require.Error(t, err)
	require.NotContains(t, out, "unit000-short")
}

// remoteCodecService reads migrations through a codec endpoint instead of a
// local key, as the Temporal CLI does.
func remoteCodecService(t *testing.T, endpoint string) *migrations.Service {
	t.Helper()
	remote := converter.NewRemoteDataConverter(converter.GetDefaultDataConverter(), converter.RemoteDataConverterOptions{
		Endpoint: endpoint,
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+codecToken)
			r.Header.Set("X-Namespace", "default")
			return nil
		},
	})
	c, err := client.NewClientFromExisting(temporalC, client.Options{Namespace: "default", DataConverter: remote,
		FailureConverter: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: remote}),
		Logger:           log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return &migrations.Service{Temporal: c}
}

func TestAWorkerWithoutAKeyWarnsOnceThatHistoriesAreNotEncrypted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	bin := buildWorker(t)
	_, logs := e.encryptedWorker(t, bin, nil)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "worker started") }, time.Minute, 50*time.Millisecond)
	require.Equal(t, 1, strings.Count(logs.String(), "histories are not encrypted"), logs.String())
	require.Contains(t, logs.String(), payloadcrypt.KeysEnv)

	_, bad := e.encryptedWorker(t, bin, map[string]string{payloadcrypt.KeysEnv: "A:c2hvcnQ="})
	require.Eventually(t, func() bool { return strings.Contains(bad.String(), "worker stopped") }, time.Minute, 50*time.Millisecond)
	require.Contains(t, bad.String(), `key \"A\" is 5 bytes: AES-256 needs 32`)
}

// encryptedWorker runs the worker binary with env added to the test's settings.
func (e *env) encryptedWorker(t *testing.T, bin string, env map[string]string) (*exec.Cmd, *syncBuffer) {
	cfg := e.workerConfig()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+devServer.FrontendHostPort(), "TEMPORAL_NAMESPACE=default",
		"DPSKMIGRATE_TASK_QUEUE="+cfg.TaskQueue, "DPSKMIGRATE_EXPORT_DIR="+cfg.ExportDir,
		"R1_BASE_URL="+cfg.R1.BaseURL, "R1_TENANT_ID="+cfg.R1.TenantID,
		"R1_CLIENT_ID="+cfg.R1.ClientID, "R1_CLIENT_SECRET="+cfg.R1.ClientSecret,
		"R1_CALLS_PER_MINUTE="+strconv.Itoa(cfg.CallsPerMinute), "LOG_LEVEL=info",
		payloadcrypt.KeysEnv+"=", payloadcrypt.KeyFileEnv+"=")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	return cmd, logs
}

// codecEndpoint serves the trigger's routes with the codec of keys, behind
// codecToken, and returns its /codec URL.
func codecEndpoint(t *testing.T, keys string) string {
	t.Helper()
	srv := httptest.NewServer(trigger.NewHandler(&migrations.Service{Temporal: temporalC}, trigger.Config{
		Token: codecToken,
		Codec: trigger.CodecConfig{Codec: payloadcrypt.NewCodec(keyRing(t, keys)), Namespace: "default"},
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/codec"
}

// temporalShow runs the pinned Temporal CLI's `workflow show` through a codec
// endpoint and returns its output, with every payload's bytes decoded.
func temporalShow(t *testing.T, workflowID, codec, auth string) (string, error) {
	t.Helper()
	cli, err := stack.TemporalCLI()
	require.NoError(t, err)
	args := []string{"workflow", "show", "--workflow-id", workflowID, "--address", devServer.FrontendHostPort(),
		"--namespace", "default", "--codec-endpoint", codec, "--output", "json"}
	if auth != "" {
		args = append(args, "--codec-auth", auth)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	var text strings.Builder
	text.Write(out)
	var tree any
	if json.Unmarshal(out, &tree) == nil {
		writePayloads(&text, tree)
	}
	return text.String(), err
}

func refusedUsernames(res workflows.MigrationResult) []string {
	var out []string
	for _, p := range res.Pools {
		for _, r := range p.FailedRows {
			out = append(out, r.Username)
		}
	}
	return out
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func containsAny(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
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
