package trigger_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// The trigger reads and cancels migrations only: a token holder cannot reach
// a pool's child workflow or any other workflow of the namespace through it.
func TestAPoolWorkflowOrAnotherWorkflowIsNotFoundAndNotCancelled(t *testing.T) {
	t.Parallel()
	// Sequential, 20 ms an R1 call: the first pool runs for a few seconds.
	e := newEnv(t, envOptions{sim: r1sim.Options{Latency: r1sim.Latency{Median: 20 * time.Millisecond}}})
	export := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 40, Seed: 16})
	s := e.started(e.postJSON("/v1/migrations", export))

	child := ""
	for deadline := time.Now().Add(30 * time.Second); child == ""; time.Sleep(20 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "no pool started")
		var view workflows.PoolsView
		r := e.get(s.PoolsURL)
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		r.json(t, &view)
		if len(view.Running) > 0 {
			child = view.Running[0].WorkflowID
		}
	}
	require.True(t, strings.HasPrefix(child, s.WorkflowID+"/pool/"), "a pool's child workflow: %s", child)

	// Another workflow type, on a queue nobody polls: it stays running.
	other, err := temporalC.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{
		ID: "unrelated-" + e.tenant, TaskQueue: e.queue + "-nobody",
	}, "SomeoneElsesWorkflow", "input")
	require.NoError(t, err)
	t.Cleanup(func() { _ = temporalC.TerminateWorkflow(context.Background(), other.GetID(), "", "test over") })

	for _, id := range []string{child, other.GetID()} {
		path := "/v1/migrations/" + url.PathEscape(id)
		js := func(body string) io.Reader { return strings.NewReader(body) }
		for _, r := range []response{
			e.get(path),
			e.get(path + "/pools"),
			e.get(path + "/report"),
			e.do(http.MethodPost, path+"/cancel", "", nil),
			e.do(http.MethodPost, path+"/pause", "", nil),
			e.do(http.MethodPost, path+"/resume", "", nil),
			e.do(http.MethodPost, path+"/configure", "application/json", js(`{"maxConcurrent": 2}`)),
			e.do(http.MethodPost, path+"/verify", "", nil),
			e.get(path + "/rollback"),
			e.do(http.MethodPost, path+"/rollback", "application/json", js(`{"confirm": true}`)),
		} {
			p := r.problem(t, http.StatusNotFound)
			require.Equal(t, "no migration with ID "+id, p.Detail)
		}
		// A verification or rollback is looked up under its migration: none here.
		for _, r := range []response{e.get(path + "/verifications/verify-x"), e.get(path + "/rollbacks/rollback-x")} {
			r.problem(t, http.StatusNotFound)
		}
	}

	// Nothing asked either workflow to stop.
	requireNoCancelRequest(t, other.GetID())
	desc, err := temporalC.DescribeWorkflowExecution(t.Context(), other.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())

	st := e.waitDone(s.StatusURL)
	require.Equal(t, "COMPLETED", st.State, "error: %s", st.Error)
	require.NotNil(t, st.Result)
	require.Equal(t, workflows.StatusCompleted, st.Result.Status)
	require.Equal(t, 80, st.Result.Totals.Created, "both pools migrated every passphrase")
	requireNoCancelRequest(t, child)
	require.Equal(t, 80, sum(e.passphrasesInR1()))
}

// requireNoCancelRequest checks the history of id's latest run.
func requireNoCancelRequest(t *testing.T, id string) {
	t.Helper()
	it := temporalC.GetWorkflowHistory(t.Context(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		n++
		require.NotEqual(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, ev.GetEventType(), "workflow %s was asked to cancel", id)
	}
	require.Positive(t, n)
}
