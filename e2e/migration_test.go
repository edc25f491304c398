package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

func TestParallelMigrationOfTenPoolsLeavesR1EqualToTheExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 10, RowsPerPool: 100, Seed: 1})

	st, res := e.migrate(export, migrations.Options{ParallelExecution: true, MaxConcurrent: 5})

	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res)
	require.Len(t, res.Pools, 10)
	require.Equal(t, 1000, res.Totals.Created)
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
	requireNoPassphraseInHistories(t, st.WorkflowID, export)
}

func TestRerunAdoptsEverythingAndCreatesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 40, Seed: 2})

	_, first := e.migrate(export, migrations.Options{ParallelExecution: true})
	require.Equal(t, workflows.StatusCompleted, first.Status)
	before := e.sim.Stats()

	_, again := e.migrate(export, migrations.Options{ParallelExecution: true})
	require.Equal(t, workflows.StatusCompleted, again.Status)
	require.Equal(t, workflows.Counts{Adopted: 120}, again.Totals)
	after := e.sim.Stats()
	for op, n := range after.Calls {
		if strings.HasPrefix(op, "POST") && !strings.Contains(op, "query") && !strings.Contains(op, "oauth2") {
			require.Equal(t, before.Calls[op], n, "the re-run made no %s", op)
		}
	}
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}

func TestAwkwardRowsAreReportedAndTheRestMigrated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 10, Awkward: true, Seed: 3})

	st, res := e.migrate(export, migrations.Options{ParallelExecution: true})
	requireNoPassphraseInHistories(t, st.WorkflowID, export) // refused rows included

	require.Equal(t, workflows.StatusPartial, res.Status)
	for _, p := range res.Pools {
		reasons := map[string]string{}
		for _, r := range p.FailedRows {
			reasons[r.Username] = r.Reason
		}
		prefix := strings.Split(p.Key, "-")[0]
		_ = prefix
		require.Equal(t, 3, p.Counts.Refused, "short, empty passphrase, empty username: %+v", p.FailedRows)
		require.Equal(t, 3, p.Counts.Skipped, "revoked, duplicate username, duplicate passphrase")
		require.Zero(t, p.Counts.Failed)
		require.Len(t, p.FailedRows, 3, "every refused row is named")
		for _, r := range p.FailedRows {
			require.NotEmpty(t, r.Reason)
		}
		// 10 good rows + expired (imported without expiry) + three bad VLANs (imported without VLAN).
		require.Equal(t, 14, p.Counts.Created)
	}
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}

func TestSequentialAndParallelModesProduceTheSameR1State(t *testing.T) {
	t.Parallel()
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 15, Awkward: true, Seed: 4})
	states := map[bool]map[string][]string{}
	for _, parallel := range []bool{false, true} {
		e := newEnv(t, r1sim.Options{})
		e.startWorker(e.workerConfig())
		_, res := e.migrate(export, migrations.Options{ParallelExecution: parallel})
		require.Equal(t, workflows.StatusPartial, res.Status)
		e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
		states[parallel] = endState(e.sim.Inventory(e.tenant))
	}
	require.Equal(t, states[false], states[true])
}

// endState is R1's content without its generated ids.
func endState(inv r1sim.Inventory) map[string][]string {
	out := map[string][]string{}
	for _, p := range inv.Pools {
		for _, pp := range p.Passphrases {
			out[p.Name] = append(out[p.Name], strings.Join([]string{pp.Username, pp.Passphrase, itoa(pp.VLANID), pp.NumberOfDevicesType, itoa(pp.NumberOfDevices), pp.ExpirationDate}, "|"))
		}
	}
	for k := range out {
		sortStrings(out[k])
	}
	return out
}

func TestRateLimitedR1AbsorbsEvery429(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{RateLimitPerMinute: 300, Burst: 10, SendRetryAfter: true})
	cfg := e.workerConfig()
	cfg.CallsPerMinute = 3000 // ten times what the simulator allows
	e.startWorker(cfg)
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 20, Seed: 5})

	_, res := e.migrate(export, migrations.Options{ParallelExecution: true})

	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res)
	require.Positive(t, e.sim.Stats().RateLimited, "the simulator did answer 429")
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}

func TestServerErrorsAndLostResponsesMakeNoDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{Faults: r1sim.Faults{ServerErrorRate: 0.05, CommitThenFailRate: 0.02}, Seed: 7})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 80, Seed: 6})

	st, res := e.migrate(export, migrations.Options{ParallelExecution: true})
	requireNoPassphraseInHistories(t, st.WorkflowID, export) // retried and failed attempts included

	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res)
	stats := e.sim.Stats()
	require.Positive(t, stats.ServerErrors)
	require.Positive(t, stats.CommitThenFail)
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}

// requireNoPassphraseInHistories scans the whole history of the migration and
// of every pool workflow for every passphrase of the export.
func requireNoPassphraseInHistories(t *testing.T, parentID string, export []byte) {
	t.Helper()
	secrets := passphrasesOf(t, export)
	require.NotEmpty(t, secrets)
	requireHistoriesClean(t, parentID, func(h string) string {
		for _, s := range secrets {
			if strings.Contains(h, s) {
				return "a passphrase"
			}
		}
		return ""
	})
}

// requireHistoriesClean runs find over the whole history of the migration
// and of every pool workflow, payloads decoded; find names what it found.
func requireHistoriesClean(t *testing.T, parentID string, find func(history string) string) {
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
	for _, id := range ids {
		iter := temporalC.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		var raw strings.Builder
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(t, err)
			raw.WriteString(ev.String()) // failure messages and every other text field
			data, err := protojson.Marshal(ev)
			require.NoError(t, err)
			var tree any
			require.NoError(t, json.Unmarshal(data, &tree))
			writePayloads(&raw, tree) // payloads decoded, so no escaping hides a passphrase
		}
		h := raw.String()
		require.NotEmpty(t, h)
		if what := find(h); what != "" {
			t.Fatalf("%s appears in the history of %s", what, id)
		}
	}
}

func TestLargePoolHistoriesStayBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	e.startWorker(e.workerConfig())
	export := sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 1500, Seed: 9})

	st, res := e.migrate(export, migrations.Options{ParallelExecution: true, PassphrasesPerRun: 500})

	require.Equal(t, workflows.StatusCompleted, res.Status)
	require.Equal(t, 1500, res.Totals.Created)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hs, err := stack.MeasureHistories(ctx, temporalC, st.WorkflowID)
	require.NoError(t, err)
	t.Logf("history sizes: %+v", hs)
	require.Equal(t, 3, hs.MaxPoolRunsOfOnePool, "the pool continued as new every 500 rows")
	require.Less(t, hs.MaxPoolEvents, 10000)
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}

// writePayloads appends the decoded bytes of every payload in a protojson tree.
func writePayloads(w *strings.Builder, node any) {
	switch n := node.(type) {
	case map[string]any:
		if d, ok := n["data"].(string); ok {
			if b, err := base64.StdEncoding.DecodeString(d); err == nil {
				w.Write(b)
				var v any // JSON payloads: also their unescaped strings
				if json.Unmarshal(b, &v) == nil {
					writeStrings(w, v)
				}
			}
		}
		for _, v := range n {
			writePayloads(w, v)
		}
	case []any:
		for _, v := range n {
			writePayloads(w, v)
		}
	}
}

func writeStrings(w *strings.Builder, node any) {
	switch n := node.(type) {
	case string:
		w.WriteString(n)
		w.WriteByte('\n')
	case map[string]any:
		for _, v := range n {
			writeStrings(w, v)
		}
	case []any:
		for _, v := range n {
			writeStrings(w, v)
		}
	}
}
