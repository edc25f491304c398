package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// A person pauses one of two running migrations (before it has even planned
// its export: no worker runs yet), widens it while paused, finds exactly it
// with list --status paused, and resumes it; a migration that ended refuses.
func TestPauseConfigureListAndResumeThroughTheCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	specA, specB := sampledata.Spec{Pools: 3, RowsPerPool: 40, Seed: 81}, sampledata.Spec{Pools: 2, RowsPerPool: 40, Seed: 82}
	r := e.run("start", e.export(specA), "--parallel", "--max-concurrent", "1")
	require.Equal(t, 0, r.code, r)
	a := startedID(t, r)
	r = e.run("start", e.export(specB), "--parallel", "--max-concurrent", "1")
	require.Equal(t, 0, r.code, r)
	b := startedID(t, r)
	paused := make(chan result, 1)
	go func() { paused <- e.run("pause", a) }() // waits for a worker to run the migration
	time.Sleep(time.Second)                     // (not an assertion) most often, the pause reaches the migration before it plans
	e.startWorker(120)                          // two R1 calls a second: b runs for the whole test
	r = <-paused
	require.Equal(t, 0, r.code, r)
	require.Regexp(t, `^Migration `+a+`\s+is\s+paused\s+since\s+\d{4}-\d\d-\d\d\s+\d\d:\d\d:\d\d\s+UTC:\s+no\s+pool\s+starts`, r.stdout)
	require.Contains(t, r.stdout, "Resume with: dpskmigrate resume "+a)

	r = e.run("configure", a, "--max-concurrent", "3", "--passphrase-concurrency", "2")
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, "In force: up to 3 pool(s) at once, 2 passphrase(s) in flight per pool; paused since ")
	r = e.run("configure", a, "--max-concurrent", "21")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "--max-concurrent 21 is out of range: use 1 to 20; nothing changed")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.Eventually(t, func() bool {
		p, err := e.svc.Progress(ctx, a)
		return err == nil && p.Pools == 3
	}, 30*time.Second, 100*time.Millisecond, "the paused migration plans its export")
	p, err := e.svc.Progress(ctx, a)
	require.NoError(t, err)
	require.True(t, p.Paused)
	require.Equal(t, 3, p.Window, "the window the CLI set")
	require.Equal(t, 2, p.PassphraseConcurrency)
	require.Zero(t, p.PoolsRunning, "no pool starts while paused")

	// Visibility shows a change a moment late; planning must not clear the pause.
	row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(a) + `\s+RUNNING\s+yes\s+0\s+0\s+\d+s\s+Building A1( s81|…)$`)
	eventually(t, func() bool {
		r = e.run("list", "--status", "paused")
		return r.code == 0 && row.MatchString(r.stdout)
	}, func() string { return "list --status paused finds the paused migration:\n" + r.String() })
	t.Logf("list --status paused:\n%s", r.stdout)
	require.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 2, "a header and exactly the paused migration, on one line")
	r = e.run("list", "--status", "running", "--json")
	require.Equal(t, 0, r.code, r)
	var running []struct{ WorkflowID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &running))
	require.Equal(t, []struct{ WorkflowID string }{{b}}, running)
	r = e.run("list", "--export", exportDigest(t, e, a)[:12])
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, a)
	require.NotContains(t, r.stdout, b)
	r = e.run("status", a)
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, "Migration "+a+": RUNNING\n  PAUSED since ")

	// The Temporal CLI's equivalent, as the README gives it.
	out, err := exec.Command(temporalCLI, "workflow", "update", "execute", "--address", frontend, "--namespace", "default",
		"--workflow-id", a, "--name", "configure", "--input", `{"maxConcurrent":4}`).CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Logf("temporal workflow update execute --name configure:\n%s", out)

	r = e.run("resume", a)
	require.Equal(t, 0, r.code, r)
	require.Equal(t, "Migration "+a+" is running (not paused).\nIn force: up to 4 pool(s) at once, 2 passphrase(s) in flight per pool.\n", r.stdout)
	require.Eventually(t, func() bool {
		p, err := e.svc.Progress(ctx, a)
		return err == nil && !p.Paused && p.PoolsRunning > 0
	}, 30*time.Second, 100*time.Millisecond, "pools start once resumed")
	eventually(t, func() bool {
		r = e.run("list", "--status", "paused")
		return r.code == 0 && strings.HasPrefix(r.stdout, "Temporal shows no paused migration on task queue "+e.queue)
	}, func() string { return "nothing paused any more:\n" + r.String() })

	for _, id := range []string{a, b} {
		require.Equal(t, 0, e.run("cancel", id).code)
		e.wait(id)
	}
	r = e.run("pause", a)
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "migration "+a+" has ended (CANCELED): there is nothing to pause; nothing changed")
	for _, args := range [][]string{{"pause"}, {"resume"}, {"configure", "--max-concurrent", "2"}, {"verify"}, {"rollback"}, {"rollback", "--yes"}} {
		r = e.run(append(args, "migration-that-never-was")...)
		require.Equal(t, 1, r.code, r)
		require.Contains(t, r.stderr, `no migration with ID "migration-that-never-was" in Temporal namespace "default"`, args)
	}
}

// eventually waits up to 30 s for cond (Temporal's visibility shows a change
// a moment late) and fails with what last() says.
func eventually(t *testing.T, cond func() bool, last func() string) {
	t.Helper()
	if !assert.Eventually(t, cond, 30*time.Second, 300*time.Millisecond) {
		t.Fatal(last())
	}
}

// exportDigest is the export a migration recorded.
func exportDigest(t *testing.T, e *env, id string) string {
	t.Helper()
	exp, err := e.svc.ExportOf(context.Background(), id)
	require.NoError(t, err)
	return exp.Export.SHA256
}

// A person verifies a migration (R1 matches), someone deletes a passphrase and
// changes a VLAN in R1, verify names both rows and exits 2; the rollback
// preview changes nothing; the rollback restores R1 as it was (empty), and
// running it again is harmless.
func TestVerifyAndRollBackThroughTheCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startWorker(0)
	spec := sampledata.Spec{Pools: 2, RowsPerPool: 8, Seed: 83}
	r := e.run("start", e.export(spec), "--parallel")
	require.Equal(t, 0, r.code, r)
	id := startedID(t, r)
	require.Equal(t, workflows.StatusCompleted, e.wait(id).Status)

	r = e.run("verify", id)
	t.Logf("verify:\n%s", r)
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stderr, "R1 matches the plan (migration "+id+")\n  2 pool(s), 16 planned row(s): 16 match, 0 missing, 0 changed; 0 extra")
	require.Regexp(t, `(?m)^\d\d:\d\d:\d\d 2/2 pools checked$`, r.stderr)
	require.Equal(t, "r1_pool,cloudpath_pool,index,username,cloudpath_guid,difference,detail,passphrase_id,identity_id\n", r.stdout)

	// Someone deletes row 3 of the first pool in R1 and changes row 5's VLAN.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := r1client.New(e.sim.R1Config(e.tenant))
	require.NoError(t, err)
	src := sampledata.Build(spec).DPSKPools[0]
	pool, err := c.Pools.FindByName(ctx, strings.TrimSpace(src.DisplayName))
	require.NoError(t, err)
	deleted, changed := src.DPSKs[3].Name, src.DPSKs[5].Name
	page, err := c.Passphrases.Query(ctx, pool.ID, r1client.PassphraseQuery{Page: 1, PageSize: 10, Usernames: []string{deleted, changed}})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	for _, p := range page.Items {
		if p.Username == deleted {
			_, err = c.Passphrases.Delete(ctx, pool.ID, []string{p.ID})
		} else {
			vlan := 999
			_, err = c.Passphrases.Patch(ctx, pool.ID, p.ID, r1client.PassphrasePatch{VLANID: &vlan})
		}
		require.NoError(t, err)
	}

	out := filepath.Join(t.TempDir(), "differences.json")
	r = e.run("verify", id, "--format", "json", "--output", out)
	t.Logf("verify after tampering:\n%s", r)
	require.Equal(t, 2, r.code, r)
	require.Contains(t, r.stderr, "R1 DIFFERS from the plan (migration "+id+")\n")
	require.Contains(t, r.stderr, "    "+deleted+" (row 3 of "+src.DisplayName+"): missing: R1 does not hold this row\n")
	require.Contains(t, r.stderr, "    "+changed+" (row 5 of "+src.DisplayName+"): changed: R1 holds it with another vlan\n")
	require.Contains(t, r.stderr, "Every differing row is in "+out)
	fi, err := os.Stat(out)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	var doc struct {
		Status      string
		Differences []struct {
			Username, Difference string
			Index                int
		}
	}
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &doc))
	require.Equal(t, "DIFFERENT", doc.Status)
	require.Len(t, doc.Differences, 2)
	require.Equal(t, deleted, doc.Differences[0].Username)
	require.Equal(t, "missing", doc.Differences[0].Difference)
	require.Equal(t, 3, doc.Differences[0].Index)
	require.Equal(t, changed, doc.Differences[1].Username)

	inventory := func() string {
		b, err := json.Marshal(e.sim.Inventory(e.tenant))
		require.NoError(t, err)
		return string(b)
	}
	before := inventory()
	r = e.run("rollback", id)
	t.Logf("rollback preview:\n%s", r)
	require.Equal(t, 0, r.code, r)
	require.Regexp(t, `(?m)^Total\s+16\s+2\s+2\s+\d+$`, r.stdout, "16 passphrases, 2 DPSK pools, 2 identity groups and the R1 call cost")
	require.Contains(t, r.stdout, "Nothing has changed. To roll back:\n  dpskmigrate rollback "+id+" --yes\n")
	require.Equal(t, before, inventory(), "the preview changes nothing in R1")

	r = e.run("rollback", id, "--yes")
	t.Logf("rollback --yes:\n%s", r)
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, "Rollback of migration "+id+": COMPLETED\n")
	require.Regexp(t, `(?m)^\d\d:\d\d:\d\d 2/2 pools undone$`, r.stdout)
	require.Contains(t, r.stdout, "Deleted: 15 passphrase(s), 15 identity(ies), 2 DPSK pool(s), 2 identity group(s)\n",
		"the row deleted by hand is not deleted twice")
	inv := e.sim.Inventory(e.tenant)
	require.Empty(t, inv.Pools, "R1 is as before the migration: empty")
	require.Empty(t, inv.IdentityGroups)

	r = e.run("rollback", id, "--yes")
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, "nothing was left to undo")
	require.Empty(t, e.sim.Inventory(e.tenant).Pools)
}
