package migrations

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
)

func TestValidateWorkflowIDAcceptsWhatTemporalAndURLsCarry(t *testing.T) {
	for _, id := range []string{"a", "7", "migration-campus-1", "Tenant_A.2026:run-3", strings.Repeat("m", MaxWorkflowIDLength)} {
		require.NoError(t, ValidateWorkflowID(id), "%q", id)
	}
	for _, tc := range []struct{ id, want string }{
		{"", `invalid workflow ID "": use 1 to 200`},
		{"a/b", `invalid workflow ID "a/b": use 1 to 200 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`},
		{"-a", `invalid workflow ID "-a"`},
		{".a", `invalid workflow ID ".a"`},
		{"a b", `invalid workflow ID "a b"`},
		{"a\nb", `invalid workflow ID "a\nb"`},
		{"é", `invalid workflow ID "é"`},
		{strings.Repeat("m", MaxWorkflowIDLength+1), "invalid workflow ID: it has 201 characters; use at most 200 letters"},
		{strings.Repeat("é", 5000), "invalid workflow ID: it has 5000 characters"},
	} {
		err := ValidateWorkflowID(tc.id)
		require.ErrorIs(t, err, ErrInvalidWorkflowID, "%q", tc.id)
		require.ErrorContains(t, err, tc.want)
		require.Less(t, len(err.Error()), 300, "a long ID is not quoted back")
	}
}

func TestGeneratedWorkflowIDsAreValidAndLeaveRoomForPoolChildren(t *testing.T) {
	ref := exportstore.Ref{URI: "file:///x.json", SHA256: strings.Repeat("ab", 32)}
	now := time.Date(2026, 10, 2, 12, 0, 0, 0, time.UTC)
	for _, name := range []string{"", "Maple Court", strings.Repeat("Ü", 255), strings.Repeat("z", 255), "---"} {
		exp := &cloudpath.Export{Pools: []cloudpath.Pool{{DisplayName: name}}}
		plan, err := cloudpath.NewPlan(exp, cloudpath.PlanOptions{Now: now})
		require.NoError(t, err)
		id := NewWorkflowID(plan, ref)
		require.NoError(t, ValidateWorkflowID(id), "%q", id)
		require.LessOrEqual(t, len(plan.Units[0].Key), 63)
	}
	require.NoError(t, ValidateWorkflowID(NewWorkflowID(&cloudpath.Plan{}, ref)))
	// The longest pool child ID (pool keys have at most 63 characters) of the
	// longest ID a person may choose, against Temporal's limit.
	require.Less(t, MaxWorkflowIDLength+len("/pool/")+63, 1000)
}

func TestStartRefusesAnInvalidWorkflowIDBeforeStoringAnything(t *testing.T) {
	store, err := exportstore.New(filepath.Join(t.TempDir(), "exports"))
	require.NoError(t, err)
	// No Temporal client: a refused start must not get as far as Temporal.
	svc := &Service{Store: store}
	export := []byte(`{"pool": {"displayName": "P"}, "dpsks": [{"name": "u", "passphrase": "pass-word-1"}]}`)
	for _, id := range []string{"a/b", " a", strings.Repeat("m", MaxWorkflowIDLength+1)} {
		_, err := svc.Start(t.Context(), export, Options{WorkflowID: id})
		require.ErrorIs(t, err, ErrInvalidWorkflowID, "%q", id)
	}
	entries, err := os.ReadDir(store.Dir)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing was stored")
}
