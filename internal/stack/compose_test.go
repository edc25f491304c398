package stack

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestComposeFileIsValid checks docker-compose.yml with docker-compose itself
// (no Docker engine is needed for `config`). CI installs docker-compose.
func TestComposeFileIsValid(t *testing.T) {
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("docker-compose is not installed; .ci/run installs it")
		}
		t.Skip("docker-compose is not installed (apt-get install docker-compose)")
	}
	root, err := ModuleRoot()
	require.NoError(t, err)
	for _, profile := range []string{"", "rehearsal"} {
		args := []string{"-f", filepath.Join(root, "docker-compose.yml")}
		if profile != "" {
			args = append(args, "--profile", profile)
		}
		cmd := exec.Command(bin, append(args, "config", "-q")...)
		cmd.Env = append(os.Environ(), "DPSKMIGRATE_TRIGGER_TOKEN=test")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "docker-compose config: %s", out)
	}
}
