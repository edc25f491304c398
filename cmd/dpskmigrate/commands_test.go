package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// unreachable is a Temporal address nothing listens on: commands that must
// not touch Temporal run with it.
var unreachable = map[string]string{"TEMPORAL_ADDRESS": "127.0.0.1:1"}

func TestHelpListsCommandsFlagsAndEnvironment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.run("help")
	require.Equal(t, 0, r.code, r)
	for _, want := range []string{"plan FILE", "store FILE", "start FILE", "watch ID", "status ID", "cancel ID",
		"--check-r1", "--parallel", "--max-concurrent N", "--passphrase-concurrency N", "--workflow-id ID", "--watch",
		"--print-temporal-command", "--identity-group-name NAME", "--pool-name NAME", "--name-prefix", "--name-suffix",
		"--expired POLICY", "--renew-days N", "--import-inactive", "--policy-set NAME", "--json",
		"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_TLS_", "TEMPORAL_UI_URL",
		"DPSKMIGRATE_TASK_QUEUE", "DPSKMIGRATE_EXPORT_DIR", "R1_CALLS_PER_MINUTE", "R1_CLIENT_SECRET", "R1_MSP_TENANT_ID",
		"temporal workflow start --type MigrationWorkflow"} {
		require.Contains(t, r.stdout, want)
	}
	require.Equal(t, r.stdout, e.run("-h").stdout)

	r = e.run("migrate", "x.json")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, `unknown command "migrate"`)
	require.Contains(t, r.stderr, "Commands:")
}

func TestPlanSummarizesOfflineAndNamesRefusedRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	file := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 10, Awkward: true, Seed: 41})

	r := e.runWith(unreachable, "plan", file, "--name-prefix", "CP ")
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, "CP Building A1 s41", "the plan shows R1 names with the prefix")
	require.Contains(t, r.stdout, "unit000-short", "a refused row is named")
	require.Contains(t, r.stdout, "unit001-short")
	entries, _ := os.ReadDir(e.exportDir)
	require.Empty(t, entries, "plan stores nothing")
}

func TestPlanRefusesMalformedJSONWithItsPosition(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "broken.json")
	require.NoError(t, os.WriteFile(file, []byte("{\n  \"dpskPools\": [\n    {\"guid\": \"p1\",, }\n  ]\n}\n"), 0o600))

	r := e.runWith(unreachable, "plan", file)
	require.Equal(t, 1, r.code, r)
	require.Regexp(t, `line 3,? column \d+`, r.stderr)
	require.Contains(t, r.stderr, "nothing was stored or started")

	r = e.runWith(unreachable, "plan", filepath.Join(t.TempDir(), "missing.json"))
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "no such file")
}

func TestStartParallelWatchOnAPipeThenCheckR1AdoptsEverything(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startWorker(0)
	spec := sampledata.Spec{Pools: 3, RowsPerPool: 30, Seed: 42}
	file := e.export(spec)

	r := e.run("start", file, "--parallel", "--max-concurrent", "2", "--watch")
	t.Logf("start --watch on a pipe:\n%s", r)
	require.Equal(t, 0, r.code, r)
	id := startedID(t, r)
	require.Contains(t, r.stdout, "Temporal UI: http://ui.test:8233/namespaces/default/workflows/"+id)
	require.Regexp(t, `(?m)^\d\d:\d\d:\d\d progress: \d+% \d+/90 passphrases \(\d+ confirmed`, r.stdout, "plain progress lines on a pipe")
	require.Regexp(t, `(?m)^\d\d:\d\d:\d\d pools \d/3 done, 0 failed, \d running, \d pending \| ETA `, r.stdout)
	require.NotContains(t, r.stdout, "\x1b[", "no terminal escapes on a pipe")
	require.Contains(t, r.stdout, "Migration "+id+": COMPLETED")
	require.Contains(t, r.stdout, "90 created")

	r = e.run("status", id)
	require.Equal(t, 0, r.code, r)
	require.Regexp(t, `(?m)^Building A1 s42\s+COMPLETED\s+30\s+0\s+0\s+0\s+0\s+0\s+0$`, r.stdout, "pools by the name people know")
	require.NotContains(t, r.stdout, id+"/pool/", "the pool workflows only with --wide")
	for _, l := range strings.Split(r.stdout, "\n") {
		if !strings.Contains(l, "://") { // a link is never cut
			require.LessOrEqual(t, len([]rune(l)), 100, "status fits 100 columns: %q", l)
		}
	}
	r = e.run("status", "--wide", id)
	require.Equal(t, 0, r.code, r)
	require.Regexp(t, `(?m)^Building B1 s42\s+COMPLETED\s.*\s`+regexp.QuoteMeta(id)+`/pool/building-b1-s42-[0-9a-f]{8}$`, r.stdout)

	r = e.run("status", "--json", id)
	require.Equal(t, 0, r.code, r)
	var st struct {
		State  string
		Result workflows.MigrationResult
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	require.Equal(t, workflows.StatusCompleted, st.Result.Status)
	require.Equal(t, 90, st.Result.Totals.Created)

	r = e.run("plan", "--check-r1", file)
	t.Logf("plan --check-r1 after the migration:\n%s", r)
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, "Passphrases: 0 to create, 90 to adopt, 0 to adopt with a VLAN fix, 0 in conflict")
	adopted := regexp.MustCompile(`(?m)^\S+\s+adopt "[^"]+"\s+adopt "[^"]+"\s+0\s+30\s+0\s+0\b`).FindAllString(r.stdout, -1)
	require.Len(t, adopted, 3, "every group, pool and passphrase is adopted:\n%s", r)
}

func TestStatusOfAPartialMigrationExits2AndListsRefusedRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startWorker(0)
	file := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 5, Awkward: true, Seed: 43})

	r := e.run("start", file)
	require.Equal(t, 0, r.code, r)
	id := startedID(t, r)
	require.Contains(t, r.stdout, "dpskmigrate watch "+id)
	require.Equal(t, workflows.StatusPartial, e.wait(id).Status)

	r = e.run("status", id)
	require.Equal(t, 2, r.code, r)
	require.Contains(t, r.stdout, "Migration "+id+": PARTIAL")
	require.Contains(t, r.stdout, "Not migrated (failed, conflicting or refused rows):")
	require.Regexp(t, `unit000-short: \S`, r.stdout, "a refused row is named with its reason")
	require.Regexp(t, `unit001-short: \S`, r.stdout)
	require.Contains(t, r.stdout, "no username")
	require.Contains(t, r.stdout, "Temporal UI: http://ui.test:8233/")

	r = e.run("watch", id)
	require.Equal(t, 2, r.code, "watching a finished migration exits with its code\n%s", r)
}

func TestCancelStopsARunningMigration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startWorker(300) // five calls a second: the migration lasts long enough to cancel
	file := e.export(sampledata.Spec{Pools: 3, RowsPerPool: 100, Seed: 44})

	r := e.run("start", file, "--workflow-id", "cli-cancel-me")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, "cli-cancel-me", startedID(t, r))

	require.Eventually(t, func() bool {
		r := e.run("status", "cli-cancel-me")
		return r.code == 0 && regexp.MustCompile(`(?m)^Building A1 s44\s+RUNNING\s`).MatchString(r.stdout) &&
			regexp.MustCompile(`(?m)^  Building A1 s44: `).MatchString(r.stdout)
	}, 30*time.Second, 300*time.Millisecond, "a pool starts: a row in the table and a live progress line")

	r = e.run("cancel", "cli-cancel-me")
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, "Cancellation requested for cli-cancel-me")

	r = e.run("watch", "cli-cancel-me")
	t.Logf("watch after cancel:\n%s", r)
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stdout, "Migration cli-cancel-me: CANCELED\n")
	require.Regexp(t, `(?m)^Pools \(3\): 0 completed, 0 partial, 0 failed, 1 cancelled, 2 not started$`, r.stdout,
		"a cancelled migration carries its figures")
	require.Regexp(t, `(?m)^Not migrated: 0 skipped, 0 refused, 0 in conflict, 0 failed, \d+ not attempted$`, r.stdout)
	require.Regexp(t, `(?m)^POOL\s+STATUS\s.*NOT ATTEMPTED$`, r.stdout)

	r = e.run("cancel", "cli-cancel-me")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "already ended")
}

func TestUnknownMigrationIDExits1WithAClearMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, cmd := range []string{"status", "watch", "cancel"} {
		r := e.run(cmd, "migration-that-never-was")
		require.Equal(t, 1, r.code, r)
		require.Contains(t, r.stderr, `no migration with ID "migration-that-never-was" in Temporal namespace "default"`, cmd)
	}
}

func TestCannotReachTemporalSaysWhatToSet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runWith(unreachable, "status", "x")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "cannot reach Temporal at 127.0.0.1:1")
	require.Contains(t, r.stderr, "TEMPORAL_ADDRESS")
	require.Contains(t, r.stderr, "make dev")
}

func TestOutOfRangeMaxConcurrentIsRefusedBeforeAnythingRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	file := e.export(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 45})

	r := e.run("start", file, "--parallel", "--max-concurrent", "21")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "--max-concurrent 21 is out of range: use 1 to 20")
	entries, _ := os.ReadDir(e.exportDir)
	require.Empty(t, entries, "nothing was stored")
	list, err := temporalC.ListWorkflow(t.Context(), listRequest(e.queue))
	require.NoError(t, err)
	require.Empty(t, list.Executions, "nothing was started")
}

func TestStoreAndPrintTemporalCommandStartTheSameMigrationFromTheTemporalCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startWorker(0)
	file := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 8, Seed: 46})

	r := e.run("store", file)
	require.Equal(t, 0, r.code, r)
	var ref exportstore.Ref
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ref))
	require.NoError(t, ref.Validate())
	require.Equal(t, "file://"+filepath.Join(e.exportDir, ref.SHA256+".json"), ref.URI)

	r = e.run("start", "--print-temporal-command", file, "--parallel", "--max-concurrent", "3", "--name-suffix", " (CP)", "--workflow-id", "cli-from-temporal")
	require.Equal(t, 0, r.code, r)
	cmdline := strings.TrimSpace(r.stdout)
	require.True(t, strings.HasPrefix(cmdline, "temporal workflow start --type MigrationWorkflow --task-queue "+e.queue+" --workflow-id cli-from-temporal --input '"), cmdline)
	list, err := temporalC.ListWorkflow(t.Context(), listRequest(e.queue))
	require.NoError(t, err)
	require.Empty(t, list.Executions, "printing the command starts nothing")

	// Let a shell split the command line, as a person's would.
	args := shellWords(t, cmdline)
	require.Equal(t, "temporal", args[0])
	input := args[len(args)-1]
	require.Equal(t, "--input", args[len(args)-2])
	var in workflows.MigrationInput
	dec := json.NewDecoder(strings.NewReader(input))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&in), input)
	require.Equal(t, exportstore.Ref{SHA256: ref.SHA256}, in.Export, "the same content-addressed export, by digest alone")
	require.True(t, in.ParallelExecution)
	require.Equal(t, 3, in.MaxConcurrent)
	require.Equal(t, " (CP)", in.Plan.NameSuffix)
	_, err = in.Normalize()
	require.NoError(t, err)

	// And it really starts the migration.
	run := exec.Command(temporalCLI, args[1:]...)
	run.Env = append(os.Environ(), "TEMPORAL_ADDRESS="+frontend, "TEMPORAL_NAMESPACE=default")
	out, err := run.CombinedOutput()
	require.NoError(t, err, "%s", out)
	res := e.wait("cli-from-temporal")
	require.Equal(t, workflows.StatusCompleted, res.Status)
	require.Equal(t, 16, res.Totals.Created)

	var names []string
	for _, p := range e.sim.Inventory(e.tenant).Pools {
		names = append(names, p.Name)
	}
	require.Contains(t, names, "Building A1 s46 (CP)", "the plan options in the input were applied")
	r = e.run("status", "cli-from-temporal")
	require.Equal(t, 0, r.code, r)
}

func listRequest(queue string) *workflowservice.ListWorkflowExecutionsRequest {
	return &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: "TaskQueue = '" + queue + "'"}
}

// shellWords splits a command line with /bin/sh.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", `temporal() { printf '%s\0' temporal "$@"; }; `+line)
	var out bytes.Buffer
	cmd.Stdout = &out
	require.NoError(t, cmd.Run())
	return strings.Split(strings.TrimSuffix(out.String(), "\x00"), "\x00")
}
