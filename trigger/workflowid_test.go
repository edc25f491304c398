package trigger_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/trigger"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

func TestAWorkflowIDIsCheckedBeforeAnythingIsStoredOrStarted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	export := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 2, Seed: 17})
	// Unique on the shared dev server, and exactly at the limit.
	longest := "migration-" + e.tenant + "-"
	longest += strings.Repeat("x", migrations.MaxWorkflowIDLength-len(longest))

	for _, tc := range []struct{ id, mention string }{
		{"a/b", `workflowId: invalid workflow ID "a/b": use 1 to 200 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`},
		{"-a", `workflowId: invalid workflow ID "-a"`},
		{"a b", `workflowId: invalid workflow ID "a b"`},
		{"a\nb", `workflowId: invalid workflow ID "a\nb"`},
		{longest + "x", "workflowId: invalid workflow ID: it has 201 characters; use at most 200"},
	} {
		p := e.postJSON("/v1/migrations?workflowId="+url.QueryEscape(tc.id), export).problem(t, http.StatusBadRequest)
		require.Equal(t, trigger.ProblemInvalidOptions, p.Type, tc.id)
		require.Contains(t, strings.Join(p.Problems, "\n"), tc.mention)
		p = e.postMultipart("/v1/migrations", export, map[string]string{"workflowId": tc.id}).problem(t, http.StatusBadRequest)
		require.Contains(t, strings.Join(p.Problems, "\n"), tc.mention, "a form field is checked alike")

		// Every other way to start a migration refuses it too.
		_, err := e.svc.Start(t.Context(), export, migrations.Options{WorkflowID: tc.id})
		require.ErrorIs(t, err, migrations.ErrInvalidWorkflowID)
	}
	require.Empty(t, e.storedExports(), "nothing was stored")

	// The longest ID runs, and so do its pools' child workflows.
	s := e.started(e.postJSON("/v1/migrations?workflowId="+longest, export))
	require.Equal(t, longest, s.WorkflowID)
	st := e.waitDone(s.StatusURL)
	require.Equal(t, "COMPLETED", st.State)
	require.Len(t, st.Result.Pools, 2)
	for _, p := range st.Result.Pools {
		require.Equal(t, workflows.StatusCompleted, p.Status)
		require.Equal(t, longest+"/pool/"+p.Key, p.WorkflowID)
	}
	require.Equal(t, 4, sum(e.passphrasesInR1()))
}
