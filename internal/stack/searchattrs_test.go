package stack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// TestEveryStackRegistersTheWorkflowsSearchAttributes keeps the lists of
// search attributes that `make dev`/`make demo` and the compose stack
// register in step with what the workflows set: a missing one would stop
// every migration at its first upsert.
func TestEveryStackRegistersTheWorkflowsSearchAttributes(t *testing.T) {
	root, err := ModuleRoot()
	require.NoError(t, err)
	for _, file := range []string{"scripts/stack.sh", "docker-compose.yml"} {
		data, err := os.ReadFile(filepath.Join(root, file))
		require.NoError(t, err)
		for name, typ := range workflows.SearchAttributes {
			require.True(t, strings.Contains(string(data), name+"="+typ), "%s registers %s=%s", file, name, typ)
		}
	}
	args := strings.Join(SearchAttributeArgs(), " ")
	for name, typ := range workflows.SearchAttributes {
		require.Contains(t, args, "--search-attribute "+name+"="+typ)
	}
}
