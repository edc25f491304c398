package workflows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
)

var testRef = exportstore.Ref{SHA256: strings.Repeat("ab", 32)}

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	return newEnvWithPool(t, PoolWorkflow)
}

// newEnvWithPool registers pool as the pool workflow: a real child workflow of
// the test environment, which receives cancellation like the real one.
func newEnvWithPool(t *testing.T, pool any) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(MigrationWorkflow, workflow.RegisterOptions{Name: MigrationWorkflowName})
	env.RegisterWorkflowWithOptions(pool, workflow.RegisterOptions{Name: PoolWorkflowName})
	env.RegisterActivity(&activities.Activities{})
	env.SetTestTimeout(30 * time.Second)
	return env
}

func pools(n, rows int) []activities.PoolRef {
	out := make([]activities.PoolRef, n)
	for i := range out {
		out[i] = activities.PoolRef{Key: fmt.Sprintf("pool-%02d", i), DisplayName: fmt.Sprintf("Pool %d", i),
			IdentityGroupName: fmt.Sprintf("Pool %d", i), PoolName: fmt.Sprintf("Pool %d", i), Rows: rows,
			Settings: cloudpath.PoolSettings{PassphraseFormat: "KEYBOARD_FRIENDLY", PassphraseLength: 8}}
	}
	return out
}

// planReturns mocks the plan activity: a page of ps per call.
func planReturns(env *testsuite.TestWorkflowEnvironment, ps []activities.PoolRef) {
	env.OnActivity(a.Plan, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PlanInput) (activities.PlanResult, error) {
		end := min(in.Offset+in.Limit, len(ps))
		rows := 0
		for _, p := range ps {
			rows += p.Rows
		}
		return activities.PlanResult{Pools: ps[in.Offset:end], TotalPools: len(ps), TotalRows: rows}, nil
	})
	// An empty R1: the survey sees no group or pool.
	env.OnActivity(a.Survey, mock.Anything, mock.Anything).Return(activities.SurveyResult{Last: true}, nil).Maybe()
}

// poolStub stands in for PoolWorkflow: it takes time and reports a result.
type poolStub struct {
	running, maxRunning int
	order               []string
	result              func(in PoolInput) (PoolResult, error)
}

func (s *poolStub) run(ctx workflow.Context, in PoolInput) (PoolResult, error) {
	s.running++
	s.maxRunning = max(s.maxRunning, s.running)
	s.order = append(s.order, in.Pool.Key)
	defer func() { s.running-- }()
	// Pools take one to three minutes, by the last digit of their key.
	if err := workflow.Sleep(ctx, time.Duration(1+int(in.Pool.Key[len(in.Pool.Key)-1]-'0')%3)*time.Minute); err != nil {
		return PoolResult{Key: in.Pool.Key, Status: StatusCanceled}, nil
	}
	if s.result != nil {
		return s.result(in)
	}
	return PoolResult{Key: in.Pool.Key, Status: StatusCompleted, Counts: Counts{Created: in.Pool.Rows}}, nil
}

func TestMigrationNeverRunsMoreThanMaxConcurrentPools(t *testing.T) {
	for _, tc := range []struct {
		name     string
		parallel bool
		max      int
		want     int
	}{
		{"sequential is a window of one", false, 5, 1},
		{"parallel window of three", true, 3, 3},
		{"window larger than the pool count", true, 20, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			planReturns(env, pools(7, 4))
			stub := &poolStub{}
			env.OnWorkflow(PoolWorkflowName, mock.Anything, mock.Anything).Return(stub.run)
			env.ExecuteWorkflow(MigrationWorkflowName, MigrationInput{Export: testRef, ParallelExecution: tc.parallel, MaxConcurrent: tc.max})
			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			require.Equal(t, tc.want, stub.maxRunning)
			var res MigrationResult
			require.NoError(t, env.GetWorkflowResult(&res))
			require.Equal(t, StatusCompleted, res.Status)
			require.Len(t, res.Pools, 7)
			require.Equal(t, 28, res.Totals.Created)
		})
	}
}

func TestSequentialModeRunsPoolsInPlanOrder(t *testing.T) {
	env := newEnv(t)
	planReturns(env, pools(5, 1))
	stub := &poolStub{}
	env.OnWorkflow(PoolWorkflowName, mock.Anything, mock.Anything).Return(stub.run)
	env.ExecuteWorkflow(MigrationWorkflowName, MigrationInput{Export: testRef})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []string{"pool-00", "pool-01", "pool-02", "pool-03", "pool-04"}, stub.order)
	var res MigrationResult
	require.NoError(t, env.GetWorkflowResult(&res))
	for i, p := range res.Pools {
		require.Equal(t, fmt.Sprintf("pool-%02d", i), p.Key)
		require.Equal(t, "default-test-workflow-id/pool/"+p.Key, p.WorkflowID)
	}
}

func TestMigrationAggregatesPoolOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		result func(PoolInput) (PoolResult, error)
		want   Status
	}{
		{"one pool partial", func(in PoolInput) (PoolResult, error) {
			if in.Pool.Key == "pool-01" {
				return PoolResult{Key: in.Pool.Key, Status: StatusPartial, Counts: Counts{Created: 3, Failed: 1}}, nil
			}
			return PoolResult{Key: in.Pool.Key, Status: StatusCompleted, Counts: Counts{Created: 4}}, nil
		}, StatusPartial},
		{"a failing pool never stops the others", func(in PoolInput) (PoolResult, error) {
			if in.Pool.Key == "pool-00" {
				return PoolResult{}, temporal.NewApplicationError("boom", "Test")
			}
			return PoolResult{Key: in.Pool.Key, Status: StatusCompleted, Counts: Counts{Created: 4}}, nil
		}, StatusPartial},
		{"every pool failed", func(in PoolInput) (PoolResult, error) {
			return PoolResult{Key: in.Pool.Key, Status: StatusFailed, Error: "R1 refused it", Counts: Counts{Failed: 4}}, nil
		}, StatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			planReturns(env, pools(3, 4))
			stub := &poolStub{result: tc.result}
			env.OnWorkflow(PoolWorkflowName, mock.Anything, mock.Anything).Return(stub.run)
			env.ExecuteWorkflow(MigrationWorkflowName, MigrationInput{Export: testRef, ParallelExecution: true})
			res := migrationResult(t, env)
			require.Equal(t, tc.want, res.Status)
			require.Len(t, res.Pools, 3, "every pool is reported")
			require.Equal(t, 12, res.Totals.Migrated()+res.Totals.Failed)
		})
	}
}

// migrationResult is the migration's result, read from its failure's details
// when it failed or was cancelled (the Temporal status follows the outcome).
func migrationResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) MigrationResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	var res MigrationResult
	if err := env.GetWorkflowError(); err != nil {
		require.True(t, ResultFromError(err, &res), "the failure carries the result: %v", err)
		switch res.Status {
		case StatusFailed:
			var app *temporal.ApplicationError
			require.True(t, errors.As(err, &app))
			require.Equal(t, ErrMigrationFailed, app.Type())
		case StatusCanceled:
			var can *temporal.CanceledError
			require.True(t, errors.As(err, &can))
		default:
			t.Fatalf("a %s migration ended with an error: %v", res.Status, err)
		}
		return res
	}
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Contains(t, []Status{StatusCompleted, StatusPartial}, res.Status)
	return res
}

func TestMigrationRefusesOutOfRangeOptionsBeforeAnythingRuns(t *testing.T) {
	for _, in := range []MigrationInput{
		{Export: testRef, ParallelExecution: true, MaxConcurrent: 21},
		{Export: testRef, MaxConcurrent: -1},
		{Export: testRef, PassphraseConcurrency: 1000},
		{Export: exportstore.Ref{URI: "file:///x"}},
	} {
		env := newEnv(t)
		env.ExecuteWorkflow(MigrationWorkflowName, in)
		err := env.GetWorkflowError()
		require.Error(t, err)
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app))
		require.Equal(t, ErrInvalidInput, app.Type())
		env.AssertNotCalled(t, "Plan", mock.Anything, mock.Anything)
	}
}

func TestMigrationContinuesAsNewPastPoolsPerRun(t *testing.T) {
	env := newEnv(t)
	planReturns(env, pools(5, 2))
	stub := &poolStub{}
	env.OnWorkflow(PoolWorkflowName, mock.Anything, mock.Anything).Return(stub.run)
	env.ExecuteWorkflow(MigrationWorkflowName, MigrationInput{Export: testRef, ParallelExecution: true, PoolsPerRun: 2})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can))
	require.Equal(t, 0, stub.running, "the window is drained before continuing as new")
	require.Len(t, stub.order, 2)

	var next MigrationInput
	require.NoError(t, converterFrom(can, &next))
	require.NotNil(t, next.Continued)
	require.Equal(t, 2, next.Continued.NextPool)
	require.Len(t, next.Continued.Done, 2)
	require.False(t, next.Plan.Now.IsZero(), "the plan instant is fixed for all runs")

	// The next run finishes the remaining pools and reports all of them.
	env2 := newEnv(t)
	planReturns(env2, pools(5, 2))
	stub2 := &poolStub{}
	env2.OnWorkflow(PoolWorkflowName, mock.Anything, mock.Anything).Return(stub2.run)
	next.PoolsPerRun = 10
	env2.ExecuteWorkflow(MigrationWorkflowName, next)
	require.NoError(t, env2.GetWorkflowError())
	var res MigrationResult
	require.NoError(t, env2.GetWorkflowResult(&res))
	require.Len(t, res.Pools, 5)
	require.ElementsMatch(t, []string{"pool-02", "pool-03", "pool-04"}, stub2.order)
	require.Equal(t, 10, res.Totals.Created)
}

func TestCancellingAMigrationReachesRunningPools(t *testing.T) {
	stub := &poolStub{}
	env := newEnvWithPool(t, stub.run)
	planReturns(env, pools(6, 2))
	env.RegisterDelayedCallback(env.CancelWorkflow, 30*time.Second)
	env.ExecuteWorkflow(MigrationWorkflowName, MigrationInput{Export: testRef, ParallelExecution: true, MaxConcurrent: 2})
	res := migrationResult(t, env)
	require.Equal(t, StatusCanceled, res.Status)
	require.Len(t, res.Pools, 2, "only the running pools report, as cancelled")
	for _, p := range res.Pools {
		require.Equal(t, StatusCanceled, p.Status)
	}
	require.Len(t, stub.order, 2, "no pool starts after the cancellation")
	require.Equal(t, 4, res.PoolCounts.NotStarted)
	require.Equal(t, 8, res.Totals.NotAttempted, "the rows of pools never started")
}

func TestMigrationStateStaysBoundedForThousandsOfPools(t *testing.T) {
	const n = 5000
	env := newEnv(t)
	env.SetTestTimeout(5 * time.Minute)
	planReturns(env, pools(n, 1))
	env.OnWorkflow(PoolWorkflowName, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, in PoolInput) (PoolResult, error) {
		res := PoolResult{Key: in.Pool.Key, DisplayName: in.Pool.DisplayName, Status: StatusCompleted, Counts: Counts{Created: 1}}
		if in.Pool.Key[len(in.Pool.Key)-1] == '7' { // every tenth pool fails a row
			res.Status, res.Counts = StatusPartial, Counts{Failed: 1}
			res.FailedRows = []cloudpath.RowOutcome{{Index: 0, Username: "user-" + in.Pool.Key, Reason: strings.Repeat("R1 refused it. ", 10)}}
		}
		return res, nil
	})
	env.ExecuteWorkflow(MigrationWorkflowName, MigrationInput{Export: testRef, ParallelExecution: true, MaxConcurrent: 20, PoolsPerRun: 1000})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "a run stops after PoolsPerRun pools")
	size := 0
	for _, p := range can.Input.Payloads {
		size += len(p.Data)
	}
	var next MigrationInput
	require.NoError(t, converterFrom(can, &next))
	require.Less(t, size, 512<<10, "the state carried into the next run")
	require.LessOrEqual(t, len(next.Continued.Done), MaxPoolsInResult)
	require.Equal(t, 1000, next.Continued.PoolCounts.Finished())
	require.Equal(t, 100, next.Continued.PoolCounts.Partial)
	for _, p := range next.Continued.Done {
		require.Nil(t, p.Record)
	}
	t.Logf("state after 1000 of %d pools: %d bytes, %d pools listed, %d omitted", n, size, len(next.Continued.Done), next.Continued.Omitted)
}

func TestMigrationProgressQuery(t *testing.T) {
	env := newEnv(t)
	planReturns(env, pools(4, 3))
	stub := &poolStub{}
	env.OnWorkflow(PoolWorkflowName, mock.Anything, mock.Anything).Return(stub.run)
	var mid MigrationProgress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(ProgressQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&mid))
	}, 90*time.Second)
	env.ExecuteWorkflow(MigrationWorkflowName, MigrationInput{Export: testRef, ParallelExecution: true, MaxConcurrent: 2})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, 4, mid.Pools)
	require.Equal(t, 12, mid.Passphrases)
	require.Equal(t, 2, mid.Window)
	require.LessOrEqual(t, mid.PoolsRunning, 2)
	require.Equal(t, mid.Pools, mid.PoolsPending+mid.PoolsRunning+mid.PoolsDone+mid.PoolsFailed)
	require.NotZero(t, mid.PoolsDone, "some pools finished after 90 s")

	v, err := env.QueryWorkflow(ProgressQuery)
	require.NoError(t, err)
	var end MigrationProgress
	require.NoError(t, v.Get(&end))
	require.Equal(t, 4, end.PoolsDone)
	require.Equal(t, 12, end.Finished.Created)
}
