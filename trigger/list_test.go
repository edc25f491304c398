package trigger_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/trigger"
)

// GET /v1/migrations lists this trigger's migrations, newest first, and
// never a pool's child workflow (they share the task queue).
func TestListingNamesMigrationsOnlyNewestFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var started []string
	for i := range 3 {
		export := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 3, Seed: 40 + i})
		started = append(started, e.started(e.postJSON("/v1/migrations?parallel=true", export)).WorkflowID)
		time.Sleep(10 * time.Millisecond) // distinct start times, in this order
	}
	for _, id := range started {
		require.Equal(t, "COMPLETED", e.waitDone("/v1/migrations/"+id).State)
	}
	newestFirst := slices.Clone(started)
	slices.Reverse(newestFirst)

	// Visibility may show a close a moment late.
	var list trigger.ListResponse
	require.Eventually(t, func() bool {
		r := e.get("/v1/migrations")
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		list = trigger.ListResponse{}
		r.json(t, &list)
		for _, m := range list.Migrations {
			if m.State != "COMPLETED" {
				return false
			}
		}
		return len(list.Migrations) == 3
	}, 30*time.Second, 100*time.Millisecond, "three completed migrations listed")
	require.Equal(t, migrations.DefaultListLimit, list.Limit)
	var ids []string
	for _, m := range list.Migrations {
		ids = append(ids, m.WorkflowID)
		require.False(t, strings.Contains(m.WorkflowID, "/pool/"), "a pool's child is listed: %s", m.WorkflowID)
		require.NotEmpty(t, m.RunID)
		require.NotNil(t, m.CloseTime)
		require.False(t, m.CloseTime.Before(m.StartTime))
		require.Equal(t, e.svc.UIURL(m.WorkflowID), m.UIURL)
	}
	require.Equal(t, newestFirst, ids)
	require.Equal(t, newestFirst[:2], e.listed(t, "?limit=2"), "the limit keeps the newest")

	for _, q := range []string{"?limit=0", "?limit=201", "?limit=x", "?limit=1&limit=2", "?status=running"} {
		e.get("/v1/migrations"+q).problem(t, http.StatusBadRequest)
	}
}
