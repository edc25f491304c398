package stack

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func readRepoFileErr(name string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(root, name))
	return string(b), err
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	root, err := ModuleRoot()
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(root, name))
	require.NoError(t, err)
	return string(b)
}

// TestComposeFileIsValid checks docker-compose.yml with docker-compose itself,
// for every profile (no Docker engine is needed for `config`). CI installs
// docker-compose.
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
	c, err := parseCompose(readRepoFile(t, "docker-compose.yml"))
	require.NoError(t, err)
	for _, profile := range append([]string{""}, c.profiles()...) {
		args := []string{"-f", filepath.Join(root, "docker-compose.yml")}
		if profile != "" {
			args = append(args, "--profile", profile)
		}
		cmd := exec.Command(bin, append(args, "config", "-q")...)
		cmd.Env = append(os.Environ(), "DPSKMIGRATE_TRIGGER_TOKEN=test")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "docker-compose config (profile %q): %s", profile, out)
	}
}

// TestComposeStackIsSafeAsShipped reads docker-compose.yml and the Dockerfile:
// every port on loopback only, Temporal images of the versions we test
// against, no tctl, /exports owned by nonroot in the images and shared by the
// trigger and the worker, a grace period above the worker's stop timeout.
func TestComposeStackIsSafeAsShipped(t *testing.T) {
	c, err := parseCompose(readRepoFile(t, "docker-compose.yml"))
	require.NoError(t, err)
	require.Contains(t, c.profiles(), "rehearsal")
	require.Contains(t, c.profiles(), "monitoring")
	require.Empty(t, composeProblems(c))
	require.Empty(t, monitoringProblems(c, readRepoFileErr))
	require.Empty(t, dockerfileProblems(readRepoFile(t, "Dockerfile")))
}

// The checks fail on the mistakes they exist for.
func TestComposeChecksCatchUnsafeStacks(t *testing.T) {
	compose := readRepoFile(t, "docker-compose.yml")
	for _, tc := range []struct{ from, to, want string }{
		{`"127.0.0.1:7233:7233"`, `"7233:7233"`, "temporal: port 7233:7233 is published on every interface"},
		{`"127.0.0.1:8080:8080"`, `"0.0.0.0:8080:8080"`, "temporal-ui: port 0.0.0.0:8080:8080 is published on every interface"},
		{`"127.0.0.1:8081:8080"`, `{target: 8080, published: 8081}`, "trigger: port map[published:8081 target:8080] is published on every interface"},
		{`"127.0.0.1:8555:8555"`, `8555`, "r1sim: port 8555 is published on every interface"},
		{"temporalio/ui:" + TemporalUIVersion, "temporalio/ui:2.34.0", "temporalio/ui:2.34.0, but the pinned CLI embeds ui-server " + TemporalUIVersion},
		{"temporalio/server:" + TemporalServerVersion, "temporalio/server:1.30.1", "temporalio/server:1.30.1, but the pinned CLI embeds server"},
		{"temporalio/server:" + TemporalServerVersion, "temporalio/auto-setup:" + TemporalServerVersion, "temporalio/auto-setup is deprecated"},
		{"temporalio/admin-tools:1.29.1-", "temporalio/admin-tools:1.28.0-", "temporalio/admin-tools:1.28.0-"},
		{`["CMD", "nc", "-z", "127.0.0.1", "7233"]`, `["CMD-SHELL", "tctl --address temporal:7233 cluster health | grep -q SERVING"]`, "temporal: uses tctl"},
		{"stop_grace_period: 60s", "stop_grace_period: 30s", "stop_grace_period 30s does not exceed the worker's stop timeout 45s"},
		{"      LOG_FORMAT: json\n", "      LOG_FORMAT: json\n      WORKER_STOP_TIMEOUT: 90s\n", "does not exceed the worker's stop timeout 1m30s"},
		{"    volumes:\n      - exports:/exports\n    restart: unless-stopped\n    # Above", "    volumes:\n      - ./exports:/exports\n    restart: unless-stopped\n    # Above", "worker: the named volume exports is not mounted"},
		{"  DPSKMIGRATE_EXPORT_DIR: /exports", "  DPSKMIGRATE_EXPORT_DIR: /data", `trigger: DPSKMIGRATE_EXPORT_DIR="/data"`},
	} {
		require.Contains(t, compose, tc.from)
		c, err := parseCompose(strings.Replace(compose, tc.from, tc.to, 1))
		require.NoError(t, err, tc.to)
		require.Contains(t, strings.Join(composeProblems(c), "\n"), tc.want, "after %s → %s", tc.from, tc.to)
	}

	scrape := readRepoFile(t, "monitoring/prometheus.yml")
	for _, tc := range []struct{ composeFrom, composeTo, scrapeFrom, scrapeTo, want string }{
		{"METRICS_ADDR: 0.0.0.0:9090", "METRICS_ADDR: 127.0.0.1:9090", "", "", "unreachable from Prometheus on the compose network"},
		{"      METRICS_ADDR: 0.0.0.0:9090\n", "", "", "", `METRICS_ADDR=""`},
		{"METRICS_ADDR: 0.0.0.0:9090", "METRICS_ADDR: 0.0.0.0:9464", "", "", "no scrape job reads worker:9464/metrics"},
		{"", "", "port: 9090", "port: 9091", "no scrape job reads worker:9090/metrics"},
		{"", "", "names: [worker]", "names: [trigger]", "no scrape job reads worker:9090/metrics"},
		{`profiles: ["monitoring"]`, `profiles: ["observability"]`, "", "", "no prom/prometheus service in the monitoring profile"},
		{"./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro", "prometheus-config:/etc/prometheus:ro", "", "", "no scrape configuration from the repository"},
	} {
		require.Contains(t, compose, tc.composeFrom)
		require.Contains(t, scrape, tc.scrapeFrom)
		c, err := parseCompose(strings.Replace(compose, tc.composeFrom, tc.composeTo, 1))
		require.NoError(t, err)
		read := func(name string) (string, error) {
			require.Equal(t, "./monitoring/prometheus.yml", name)
			return strings.Replace(scrape, tc.scrapeFrom, tc.scrapeTo, 1), nil
		}
		require.Contains(t, strings.Join(monitoringProblems(c, read), "\n"), tc.want, "after %q → %q, %q → %q", tc.composeFrom, tc.composeTo, tc.scrapeFrom, tc.scrapeTo)
	}

	dockerfile := readRepoFile(t, "Dockerfile")
	for _, tc := range []struct{ from, to, want string }{
		{"install -d -m 0700 /rootfs/exports", "install -d /rootfs/exports", "no build stage creates <root>/exports with mode 0700"},
		{"--chown=65532:65532 ", "", "worker image: /exports is not copied"},
		{"/rootfs/ /", "/rootfs/exports /exports", "trigger image: /exports is not copied"}, // would lose mode 0700
		{"USER nonroot", "USER root", `worker image runs as "root"`},
		{"FROM base AS trigger", "FROM gcr.io/distroless/static-debian12:nonroot AS trigger", "trigger image: /exports is not copied"},
	} {
		require.Contains(t, dockerfile, tc.from)
		got := strings.Join(dockerfileProblems(strings.Replace(dockerfile, tc.from, tc.to, 1)), "\n")
		require.Contains(t, got, tc.want, "after %s → %s", tc.from, tc.to)
	}
}

// TestTemporalVersionsMatchThePinnedCLI: the versions in versions.go are the
// Makefile's CLI and what that CLI embeds.
func TestTemporalVersionsMatchThePinnedCLI(t *testing.T) {
	m := regexp.MustCompile(`(?m)^TEMPORAL_CLI_VERSION\s*:?=\s*(\S+)`).FindStringSubmatch(readRepoFile(t, "Makefile"))
	require.NotNil(t, m, "the Makefile pins TEMPORAL_CLI_VERSION")
	require.Equal(t, TemporalCLIVersion, m[1], "internal/stack/versions.go follows the Makefile's pinned CLI")

	cli, err := TemporalCLI()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	info, err := buildinfo.ReadFile(cli)
	require.NoError(t, err)
	require.Equal(t, "github.com/temporalio/cli", info.Main.Path)
	require.Equal(t, TemporalCLIVersion, info.Main.Version, "%s is the pinned CLI (rebuild it with `make temporal`)", cli)
	deps := map[string]string{}
	for _, d := range info.Deps {
		deps[d.Path] = d.Version
	}
	require.Equal(t, "v"+TemporalServerVersion, deps["go.temporal.io/server"], "server embedded in %s", cli)
	require.Equal(t, "v"+TemporalUIVersion, deps["github.com/temporalio/ui-server/v2"], "ui-server embedded in %s", cli)
}
