package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
)

func TestTheWorkflowIDFlagIsCheckedAsTheTriggerChecksIt(t *testing.T) {
	store := filepath.Join(t.TempDir(), "exports") // the store creates it 0700
	file := filepath.Join(t.TempDir(), "export.json")
	require.NoError(t, os.WriteFile(file, sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 21}), 0o600))
	start := func(id string) (stdout, stderr string, code int) {
		var out, errb bytes.Buffer
		a := &App{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
			return map[string]string{"DPSKMIGRATE_EXPORT_DIR": store}[k]
		}}
		code = a.Run(context.Background(), []string{"start", file, "--workflow-id", id, "--print-temporal-command"})
		return out.String(), errb.String(), code
	}
	stored := func() int {
		m, err := filepath.Glob(filepath.Join(store, "*.json"))
		require.NoError(t, err)
		return len(m)
	}

	for _, tc := range []struct{ id, want string }{
		{"a/b", `--workflow-id: invalid workflow ID "a/b": use 1 to 200 letters, digits, '.', '_', ':' or '-', starting with a letter or digit; nothing was started`},
		{"-a", `invalid workflow ID "-a"`},
		{"a b", `invalid workflow ID "a b"`},
		{"a\tb", `invalid workflow ID "a\tb"`},
		{"migration-é", `invalid workflow ID "migration-é"`},
		{strings.Repeat("m", 201), "invalid workflow ID: it has 201 characters; use at most 200"},
	} {
		out, errOut, code := start(tc.id)
		require.Equal(t, ExitFailed, code, tc.id)
		require.Contains(t, errOut, tc.want)
		require.Contains(t, errOut, "Usage: dpskmigrate start")
		require.Empty(t, out)
		require.Zero(t, stored(), "nothing was stored for %q", tc.id)
	}

	id := strings.Repeat("m", 200)
	out, errOut, code := start(id)
	require.Equal(t, ExitOK, code, errOut)
	require.Contains(t, out, " --workflow-id "+id+" ")
	require.Equal(t, 1, stored())
}
