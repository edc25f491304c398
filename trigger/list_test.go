package trigger_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/trigger"
)

// GET /v1/migrations lists this trigger's migrations, the running ones first,
// then the most recently ended, and never a pool's child workflow (they share
// the task queue).
func TestListingNamesMigrationsOnlyRunningThenMostRecentlyEnded(t *testing.T) {
	t.Parallel()
	// 20 ms an R1 call: a 300-row sequential migration runs for seconds.
	e := newEnv(t, envOptions{sim: r1sim.Options{Latency: r1sim.Latency{Median: 20 * time.Millisecond}}})
	var ended []string
	for i := range 3 {
		export := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 3, Seed: 40 + i})
		id := e.started(e.postJSON("/v1/migrations?parallel=true", export)).WorkflowID
		require.Equal(t, "COMPLETED", e.waitDone("/v1/migrations/"+id).State)
		ended = append([]string{id}, ended...) // each ends after the one before
	}
	running := e.started(e.postJSON("/v1/migrations", e.export(sampledata.Spec{Pools: 3, RowsPerPool: 100, Seed: 43})))
	t.Cleanup(func() { e.do(http.MethodPost, running.CancelURL, "", nil) })
	want := append([]string{running.WorkflowID}, ended...)

	// Visibility may show a start or an end a moment late.
	var list trigger.ListResponse
	require.Eventually(t, func() bool {
		r := e.get("/v1/migrations")
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		list = trigger.ListResponse{}
		r.json(t, &list)
		return len(list.Migrations) == 4 && list.Migrations[0].State == "RUNNING" && list.Migrations[3].State == "COMPLETED"
	}, 30*time.Second, 100*time.Millisecond, "four migrations listed")
	require.Equal(t, migrations.DefaultListLimit, list.Limit)
	var ids []string
	for i, m := range list.Migrations {
		ids = append(ids, m.WorkflowID)
		require.False(t, strings.Contains(m.WorkflowID, "/pool/"), "a pool's child is listed: %s", m.WorkflowID)
		require.NotEmpty(t, m.RunID)
		require.False(t, m.StartTime.IsZero())
		require.Equal(t, e.svc.UIURL(m.WorkflowID), m.UIURL)
		if i == 0 {
			require.Nil(t, m.CloseTime, "a running migration has not ended")
			continue
		}
		require.Equal(t, "COMPLETED", m.State)
		require.NotNil(t, m.CloseTime)
		require.False(t, m.CloseTime.Before(m.StartTime))
	}
	require.Equal(t, want, ids)
	require.Equal(t, want[:1], e.listed(t, "?limit=1"), "the limit keeps the running one")
	require.Equal(t, want[:3], e.listed(t, "?limit=3"), "then the most recently ended")

	for _, q := range []string{"?limit=0", "?limit=201", "?limit=x", "?limit=1&limit=2", "?status=running"} {
		e.get("/v1/migrations"+q).problem(t, http.StatusBadRequest)
	}
}
