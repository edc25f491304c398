package e2e

import (
	"context"
	"encoding/json"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/internal/cli"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// TestTemporalStatusFollowsTheOutcome checks what an operator sees in the
// Temporal UI and CLI: a completed or partial migration is Completed, a
// migration whose every pool failed is Failed, a cancelled one Canceled; a
// failed pool is Failed with its summary in the failure's details; and the
// CLI's status carries the same figures in every case.
func TestTemporalStatusFollowsTheOutcome(t *testing.T) {
	t.Parallel()
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 12, Seed: 31})
	for _, tc := range []struct {
		name          string
		blockPools    int // pools whose name R1 already holds in another identity group
		cancel        bool
		want          enums.WorkflowExecutionStatus
		wantStatus    workflows.Status
		wantFailPools int
	}{
		{"completed", 0, false, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, workflows.StatusCompleted, 0},
		{"partial", 1, false, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, workflows.StatusPartial, 1},
		{"failed", 2, false, enums.WORKFLOW_EXECUTION_STATUS_FAILED, workflows.StatusFailed, 2},
		{"canceled", 0, true, enums.WORKFLOW_EXECUTION_STATUS_CANCELED, workflows.StatusCanceled, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := r1sim.Options{}
			if tc.cancel {
				opts.Latency = r1sim.Latency{Median: 150 * time.Millisecond}
			}
			e := newEnv(t, opts)
			e.startWorker(e.workerConfig())
			e.blockPoolNames(export, tc.blockPools)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), WorkflowID: "outcome-" + tc.name + "-" + e.tenant})
			require.NoError(t, err)
			if tc.cancel {
				require.Eventually(t, func() bool { return held(e) >= 3 }, 2*time.Minute, 20*time.Millisecond)
				require.NoError(t, e.svc.Cancel(ctx, st.WorkflowID))
			}
			res, err := e.svc.Wait(ctx, st.WorkflowID)
			require.NoError(t, err, "every outcome carries its result")
			require.Equal(t, tc.wantStatus, res.Status)
			require.Equal(t, tc.wantFailPools, res.PoolCounts.Failed)

			desc := describeWithCLI(t, st.WorkflowID)
			require.Equal(t, enums.WorkflowExecutionStatus_name[int32(tc.want)], desc, "temporal workflow describe")
			t.Logf("temporal workflow list:\n%s", listWithCLI(t, st.WorkflowID))

			// Each failed pool is Failed, with its summary in the details.
			for _, p := range res.Pools {
				d, err := temporalC.DescribeWorkflowExecution(ctx, p.WorkflowID, "")
				require.NoError(t, err)
				if p.Status == workflows.StatusCanceled {
					require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_CANCELED, d.GetWorkflowExecutionInfo().GetStatus(), "a cancelled pool is Canceled")
				}
				if p.Status != workflows.StatusFailed {
					continue
				}
				require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_FAILED, d.GetWorkflowExecutionInfo().GetStatus())
				var pr workflows.PoolResult
				perr := temporalC.GetWorkflow(ctx, p.WorkflowID, "").Get(ctx, &pr)
				require.True(t, workflows.ResultFromError(perr, &pr), "%v", perr)
				require.Contains(t, pr.Error, "another identity group")
				require.Equal(t, 12, pr.Counts.Failed, "the pool's figures are in its failure")
			}
			if tc.cancel {
				require.Positive(t, res.Totals.NotAttempted+res.PoolCounts.NotStarted, "%+v", res)
			}

			// `status --json` reports the result as the workflow holds it.
			out := runCLI(t, e, "status", "--json", st.WorkflowID)
			var shown migrations.Status
			require.NoError(t, json.Unmarshal([]byte(out), &shown), out)
			require.NotNil(t, shown.Result, out)
			require.Equal(t, res, *shown.Result)

			// The report reads the same figures from wherever the outcome lives.
			rep, err := e.svc.Report(ctx, st.WorkflowID)
			require.NoError(t, err)
			got := rep.Totals
			require.Equal(t, []int{res.Totals.Created, res.Totals.Adopted, res.Totals.Patched, res.Totals.Skipped, res.Totals.Refused, res.Totals.Conflicts, res.Totals.Failed},
				[]int{got.Created, got.Adopted, got.Patched, got.Skipped, got.Refused, got.Conflict, got.Failed}, "report %+v, result %+v", got, res.Totals)
			require.Equal(t, 24, got.Sum(), "every row of the export")
		})
	}
}

// blockPoolNames makes R1 hold the first n planned pools' names in another
// identity group, so those pools fail.
func (e *env) blockPoolNames(export []byte, n int) {
	e.t.Helper()
	if n == 0 {
		return
	}
	plan, err := migrations.Check(export, e.planOptions())
	require.NoError(e.t, err)
	c, err := r1client.New(e.sim.R1Config(e.tenant))
	require.NoError(e.t, err)
	ctx := context.Background()
	g, err := c.IdentityGroups.Create(ctx, "Someone else's group", "")
	require.NoError(e.t, err)
	for _, u := range plan.Units[:n] {
		_, err := c.Pools.Create(ctx, g.ID, r1client.Pool{Name: u.PoolName, PassphraseFormat: "KEYBOARD_FRIENDLY", PassphraseLength: 8})
		require.NoError(e.t, err)
		// Only one pool per group in R1: the next one needs its own group.
		g, err = c.IdentityGroups.Create(ctx, "Someone else's group "+u.Key, "")
		require.NoError(e.t, err)
	}
}

func TestCurrentDetailsFollowARunningMigration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{Latency: r1sim.Latency{Median: 20 * time.Millisecond}})
	c := codecClient(t, keyRing(t, keyA)) // the details travel encrypted
	e.svc.Temporal = c
	w, err := worker.New(c, e.workerConfig())
	require.NoError(t, err)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 150, Seed: 32})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true, MaxConcurrent: 2})
	require.NoError(t, err)

	seen := map[string]bool{}
	var pool string
	poolDone := false
	for {
		if d := currentDetails(ctx, c, st.WorkflowID); d != "" {
			seen[d] = true
		}
		if p, err := e.svc.Progress(ctx, st.WorkflowID); err == nil && len(p.Running) > 0 && pool == "" {
			pool = p.Running[0].WorkflowID
		}
		if pool != "" && !poolDone {
			if d := currentDetails(ctx, c, pool); d != "" {
				seen["pool: "+d] = true
				poolDone = strings.HasSuffix(d, "· done") // a closed workflow answers queries slowly (by replay)
			}
		}
		desc, err := c.DescribeWorkflowExecution(ctx, st.WorkflowID, "")
		require.NoError(t, err)
		if desc.GetWorkflowExecutionInfo().GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	final := currentDetails(ctx, c, st.WorkflowID)
	require.Equal(t, "3/3 pools done · 450/450 passphrases · 0 failed · paused: no", final)
	var mid, pools []string
	for d := range seen {
		if strings.HasPrefix(d, "pool: ") {
			pools = append(pools, d)
		} else if d != final {
			mid = append(mid, d)
		}
	}
	t.Logf("migration details seen: %q; pool details seen: %q", mid, pools)
	require.GreaterOrEqual(t, len(mid), 2, "the migration's details change while it runs")
	require.NotEmpty(t, pools, "pools show their details")
	for _, d := range pools {
		require.Contains(t, d, "passphrases")
	}

	// Encrypted, the details read in clear only through the codec endpoint.
	codec := codecEndpoint(t, keyA)
	out, err := temporalCLI(t, "workflow", "metadata", "--workflow-id", st.WorkflowID, "--codec-endpoint", codec, "--codec-auth", "Bearer "+codecToken)
	require.NoError(t, err, out)
	require.Contains(t, out, "3/3 pools done")
	// The static summary the UI's list shows, read as the UI reads it (through the codec).
	d, err := c.DescribeWorkflow(ctx, st.WorkflowID, "")
	require.NoError(t, err)
	summary, err := d.GetStaticSummary()
	require.NoError(t, err)
	require.Contains(t, summary, "3 pools · 450 passphrases · parallel, 2 pools at once")
	plain, err := temporalC.DescribeWorkflow(ctx, st.WorkflowID, "")
	require.NoError(t, err)
	_, err = plain.GetStaticSummary()
	require.Error(t, err, "without the key the summary stays encrypted")
	raw, _ := temporalCLI(t, "workflow", "metadata", "--workflow-id", st.WorkflowID)
	require.NotContains(t, raw, "3/3 pools done", "without the codec the details stay encrypted")
}

// currentDetails reads a workflow's current details as the Temporal UI does
// (the built-in metadata query).
func currentDetails(ctx context.Context, c client.Client, workflowID string) string {
	v, err := c.QueryWorkflow(ctx, workflowID, "", "__temporal_workflow_metadata")
	if err != nil {
		return ""
	}
	var md sdkpb.WorkflowMetadata
	if err := v.Get(&md); err != nil {
		return ""
	}
	return md.GetCurrentDetails()
}

// describeWithCLI is the status `temporal workflow describe` shows.
func describeWithCLI(t *testing.T, workflowID string) string {
	t.Helper()
	out, err := temporalCLI(t, "workflow", "describe", "--workflow-id", workflowID, "--output", "json")
	require.NoError(t, err, out)
	var d struct {
		WorkflowExecutionInfo struct {
			Status string `json:"status"`
		} `json:"workflowExecutionInfo"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &d), out)
	return d.WorkflowExecutionInfo.Status
}

func listWithCLI(t *testing.T, workflowID string) string {
	out, err := temporalCLI(t, "workflow", "list", "--query", "WorkflowId = '"+workflowID+"' OR WorkflowId STARTS_WITH '"+workflowID+"/'")
	require.NoError(t, err, out)
	return out
}

// temporalCLI runs the pinned Temporal CLI against the test's dev server.
func temporalCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin, err := stack.TemporalCLI()
	require.NoError(t, err)
	args = append(args, "--address", devServer.FrontendHostPort(), "--namespace", "default")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

// runCLI runs our CLI in-process against the test's stack and returns its output.
func runCLI(t *testing.T, e *env, args ...string) string {
	t.Helper()
	var out, errOut strings.Builder
	app := &cli.App{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
		switch k {
		case "DPSKMIGRATE_TASK_QUEUE":
			return e.queue
		case "DPSKMIGRATE_EXPORT_DIR":
			return e.store.Dir
		}
		return ""
	}}
	app.Dial = func(*slog.Logger) (client.Client, error) {
		return client.NewClientFromExisting(e.svc.Temporal, client.Options{Namespace: "default"})
	}
	app.Run(context.Background(), args)
	require.Empty(t, strings.TrimSpace(errOut.String()))
	return out.String()
}
