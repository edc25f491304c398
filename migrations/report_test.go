package migrations_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// fixedNow is the instant the stand-in migration fixes when its input has
// none: after the export's 2030-01-31 expiries, so under --expired skip those
// rows are skipped, as they would not be were expiry judged today.
var fixedNow = time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)

// The stand-ins register under the real names: the report reads histories
// and results, whoever wrote them, so each pool can be put exactly where a
// test needs it.
func standInMigration(ctx workflow.Context, in workflows.MigrationInput) error {
	pin := activities.PlanInput{ExportInput: activities.ExportInput{Export: in.Export, Plan: in.Plan}}
	if pin.Plan.Now.IsZero() {
		pin.Plan.Now = fixedNow
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteActivity(actx, "Plan", pin).Get(ctx, nil); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, "finish").Receive(ctx, nil)
	return nil
}

func standInPlan(context.Context, activities.PlanInput) error { return nil }

// standInPool says what a stand-in pool workflow does.
type standInPool struct {
	Mode      string // complete, continue (as new once, then complete), fail, invalid, block
	Result    workflows.PoolResult
	Continued bool
}

func standInPoolWorkflow(ctx workflow.Context, in standInPool) (workflows.PoolResult, error) {
	switch in.Mode {
	case "continue":
		if !in.Continued {
			in.Continued = true
			return workflows.PoolResult{}, workflow.NewContinueAsNewError(ctx, workflows.PoolWorkflowName, in)
		}
	case "fail":
		return workflows.PoolResult{}, temporal.NewNonRetryableApplicationError("pool failed", workflows.ErrPoolFailed, nil, in.Result)
	case "invalid":
		return workflows.PoolResult{}, temporal.NewNonRetryableApplicationError(`pool.key "X": use the key the plan gives the pool`, workflows.ErrInvalidInput, nil)
	case "block":
		workflow.GetSignalChannel(ctx, "finish").Receive(ctx, nil)
	}
	return in.Result, nil
}

type standIns struct {
	t     *testing.T
	queue string
	svc   *migrations.Service
	plan  *cloudpath.Plan
	id    string
}

// startStandIns stores export, starts a stand-in migration of it with opts
// (plan.now left out) and plans it as the stand-in does.
func startStandIns(t *testing.T, export []byte, opts cloudpath.PlanOptions) *standIns {
	t.Helper()
	ctx := t.Context()
	store, err := exportstore.New(filepath.Join(t.TempDir(), "exports"))
	require.NoError(t, err)
	s := &standIns{t: t, queue: fmt.Sprintf("report-%d", time.Now().UnixNano())}
	s.svc = &migrations.Service{Temporal: temporalC, Store: store, TaskQueue: s.queue}
	w := sdkworker.New(temporalC, s.queue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(standInMigration, workflow.RegisterOptions{Name: workflows.MigrationWorkflowName})
	w.RegisterWorkflowWithOptions(standInPoolWorkflow, workflow.RegisterOptions{Name: workflows.PoolWorkflowName})
	w.RegisterActivityWithOptions(standInPlan, activity.RegisterOptions{Name: "Plan"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	ref, err := store.PutBytes(export)
	require.NoError(t, err)
	s.id = "report-standin-" + s.queue
	run, err := temporalC.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: s.id, TaskQueue: s.queue}, workflows.MigrationWorkflowName,
		workflows.MigrationInput{Export: exportstore.Ref{SHA256: ref.SHA256}, Plan: opts})
	require.NoError(t, err)
	t.Cleanup(func() { _ = temporalC.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") })
	opts.Now = fixedNow
	s.plan, err = migrations.Check(export, opts)
	require.NoError(t, err)
	return s
}

// pool starts unit i's pool workflow doing what p says.
func (s *standIns) pool(i int, p standInPool) string {
	s.t.Helper()
	u := s.plan.Units[i]
	p.Result.Key, p.Result.DisplayName = u.Key, u.DisplayName
	p.Result.Counts.Skipped, p.Result.Counts.Refused = len(u.Skipped), len(u.Refused)
	id := workflows.ChildWorkflowID(s.id, u.Key)
	run, err := temporalC.ExecuteWorkflow(s.t.Context(), client.StartWorkflowOptions{ID: id, TaskQueue: s.queue}, workflows.PoolWorkflowName, p)
	require.NoError(s.t, err)
	s.t.Cleanup(func() { _ = temporalC.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") })
	if p.Mode != "block" {
		_ = run.Get(s.t.Context(), nil)
	}
	return id
}

func (s *standIns) rows(rep *report.Report, unit int) []report.Row {
	var out []report.Row
	for _, r := range rep.Rows {
		if r.PoolKey == s.plan.Units[unit].Key {
			out = append(out, r)
		}
	}
	return out
}

func TestTheReportReadsEachPoolWhereItStands(t *testing.T) {
	export := sampledata.JSON(sampledata.Spec{Pools: 7, RowsPerPool: 3, Seed: 111})
	s := startStandIns(t, export, cloudpath.PlanOptions{Expired: cloudpath.ExpiredSkip})
	for _, u := range s.plan.Units {
		require.Len(t, u.Rows, 2, "row 1 expired on 2030-01-31: skipped at the migration's instant")
		require.Len(t, u.Skipped, 1)
	}
	patched := runrecord.Rows{Adopted: rowSet(0)}
	patched.Patch(1, 5)
	s.pool(0, standInPool{Mode: "complete", Result: workflows.PoolResult{Record: &runrecord.Pool{Rows: runrecord.Rows{Created: rowSet(0, 1)}}}})
	s.pool(1, standInPool{Mode: "continue", Result: workflows.PoolResult{Record: &runrecord.Pool{Rows: patched}}})
	s.pool(2, standInPool{Mode: "complete"}) // a result of the first release: no record
	s.pool(3, standInPool{Mode: "block"})
	lost := s.pool(4, standInPool{Mode: "block"})
	require.NoError(t, temporalC.TerminateWorkflow(t.Context(), lost, "", "someone stopped it"))
	s.pool(5, standInPool{Mode: "invalid"})
	failed := runrecord.Rows{Created: rowSet(0)}
	failed.Fail(1, "R1 refused it")
	s.pool(6, standInPool{Mode: "fail", Result: workflows.PoolResult{Record: &runrecord.Pool{Rows: failed}}})

	rep, err := s.svc.Report(t.Context(), s.id)
	require.NoError(t, err)
	require.Equal(t, "RUNNING", rep.State)
	require.NotEmpty(t, rep.Notes)
	require.Equal(t, 7*3, rep.ExportRows)
	require.Equal(t, report.Totals{Created: 3, Adopted: 1, Patched: 1, Skipped: 7, Failed: 3, NotAttempted: 2, NotRecorded: 4}, rep.Totals)

	want := []struct{ outcome, detail string }{
		{"created", ""}, {"adopted", ""}, {"patched", "VLAN changed from 5 to 102"}, // unit 1: its last run's result
		{"not recorded", report.DetailFirstRelease},
		{"not attempted", report.DetailRunning},
		{"not recorded", "the pool's workflow ended (TERMINATED) without reporting what it did: R1 may hold this row"},
		{"failed", `the pool's workflow refused its input, so no row was sent: pool.key "X": use the key the plan gives the pool`},
		{"failed", "R1 refused it"},
	}
	got := append(s.rows(rep, 0)[:1], s.rows(rep, 1)[0], s.rows(rep, 1)[2], s.rows(rep, 2)[0], s.rows(rep, 3)[0], s.rows(rep, 4)[0], s.rows(rep, 5)[0], s.rows(rep, 6)[2])
	for i, w := range want {
		require.Equal(t, report.Outcome(w.outcome), got[i].Outcome, "%d: %+v", i, got[i])
		require.Equal(t, w.detail, got[i].Detail, "%d", i)
	}
	require.Equal(t, report.Skipped, s.rows(rep, 0)[1].Outcome)
	require.Contains(t, s.rows(rep, 0)[1].Detail, "expired 2030-01-31")

	// The migration ends: a pool it never started never will.
	require.NoError(t, temporalC.SignalWorkflow(t.Context(), s.id, "", "finish", nil))
	require.NoError(t, temporalC.GetWorkflow(t.Context(), s.id, "").Get(t.Context(), nil))
	rep, err = s.svc.Report(t.Context(), s.id)
	require.NoError(t, err)
	require.Equal(t, "COMPLETED", rep.State)
	require.Empty(t, rep.Notes)
	require.Equal(t, report.DetailRunning, s.rows(rep, 3)[0].Detail, "its pool still runs")
}

func TestAPoolNotYetStartedAndAReplanThatDoesNotFit(t *testing.T) {
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 2, Seed: 112})
	s := startStandIns(t, export, cloudpath.PlanOptions{})
	rep, err := s.svc.Report(t.Context(), s.id)
	require.NoError(t, err)
	require.Equal(t, report.Totals{NotAttempted: 4}, rep.Totals)
	require.Equal(t, "the pool has not started yet: the migration is still running", rep.Rows[0].Detail)

	// A pool whose result counts other skipped rows than the export planned
	// again ran another plan: its record's positions would name other rows.
	s.pool(0, standInPool{Mode: "complete", Result: workflows.PoolResult{Record: &runrecord.Pool{Rows: runrecord.Rows{Created: rowSet(0, 1)}}}})
	other := s.plan.Units[1]
	id := workflows.ChildWorkflowID(s.id, other.Key)
	_, err = temporalC.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: id, TaskQueue: s.queue}, workflows.PoolWorkflowName,
		standInPool{Mode: "complete", Result: workflows.PoolResult{Key: other.Key, Counts: workflows.Counts{Skipped: 1}, Record: &runrecord.Pool{}}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err = s.svc.Report(t.Context(), s.id)
		return err != nil
	}, time.Minute, 50*time.Millisecond)
	require.ErrorContains(t, err, "the report would misname its rows")

	// Only a migration has a report.
	_, err = s.svc.Report(t.Context(), workflows.ChildWorkflowID(s.id, s.plan.Units[0].Key))
	require.ErrorIs(t, err, migrations.ErrNotFound)
}

func rowSet(rows ...int) runrecord.RowSet {
	var s runrecord.RowSet
	for _, r := range rows {
		s.Add(r)
	}
	return s
}
