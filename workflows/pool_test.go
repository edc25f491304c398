package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
)

// fakeR1 stands in for the R1 activities at the activity boundary: it keeps
// which rows R1 holds, so the tests assert an end state, not calls.
type fakeR1 struct {
	mu        sync.Mutex
	held      map[int]bool   // rows R1 holds with the right passphrase
	wrongVLAN map[int]bool   // ... held, but with another VLAN
	conflict  map[int]bool   // username held with another passphrase
	refuse    map[int]string // create answered 400
	asyncFail map[int]string // create accepted, then failed in its R1 activity
	creates   int
	groupID   string
	poolID    string
}

func newFakeR1() *fakeR1 {
	return &fakeR1{held: map[int]bool{}, wrongVLAN: map[int]bool{}, conflict: map[int]bool{}, refuse: map[int]string{}, asyncFail: map[int]string{}}
}

func (f *fakeR1) install(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(a.FindIdentityGroup, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.FindInput) (activities.FindResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return activities.FindResult{Found: f.groupID != "", ID: f.groupID, Last: true}, nil
	})
	env.OnActivity(a.CreateIdentityGroup, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CreateGroupInput) (activities.Accepted, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.groupID = "group-1"
		return activities.Accepted{RequestID: "req-group", ID: f.groupID}, nil
	})
	env.OnActivity(a.FindPool, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.FindInput) (activities.FindResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return activities.FindResult{Found: f.poolID != "", ID: f.poolID, IdentityGroupID: strings.ReplaceAll(f.groupID, "-", ""), Last: true, PassphraseLength: 8}, nil
	})
	env.OnActivity(a.CreatePool, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CreatePoolInput) (activities.Accepted, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.poolID = "pool-1"
		return activities.Accepted{RequestID: "req-pool", ID: f.poolID}, nil
	})
	env.OnActivity(a.GetR1Activity, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.R1ActivityInput) (activities.R1ActivityStatus, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if msg, ok := strings.CutPrefix(in.RequestID, "fail:"); ok {
			return activities.R1ActivityStatus{Visible: true, Status: "FAIL", Failed: true, Message: msg}, nil
		}
		return activities.R1ActivityStatus{Visible: true, Status: "SUCCESS", Succeeded: true}, nil
	})
	env.OnActivity(a.ReadRows, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RowsInput) (activities.RowsResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var res activities.RowsResult
		for _, r := range in.Rows {
			ref := activities.RowRef{Row: r, Index: r, Username: fmt.Sprintf("user%d", r), PassphraseID: fmt.Sprintf("pp-%d", r)}
			switch {
			case f.conflict[r]:
				res.Conflicts = append(res.Conflicts, ref)
			case f.held[r] && f.wrongVLAN[r]:
				res.VLANFix = append(res.VLANFix, ref)
			case f.held[r]:
				res.Same = append(res.Same, r)
			default:
				res.Absent = append(res.Absent, ref)
			}
		}
		return res, nil
	})
	env.OnActivity(a.CreatePassphrase, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RowInput) (activities.Accepted, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if msg, ok := f.refuse[in.Row]; ok {
			return activities.Accepted{}, temporal.NewNonRetryableApplicationError(msg, activities.ErrValidation, nil)
		}
		if msg, ok := f.asyncFail[in.Row]; ok {
			return activities.Accepted{RequestID: "fail:" + msg}, nil
		}
		if f.held[in.Row] {
			panic(fmt.Sprintf("row %d created twice", in.Row))
		}
		f.creates++
		f.held[in.Row] = true
		return activities.Accepted{RequestID: fmt.Sprintf("req-%d", in.Row)}, nil
	})
	env.OnActivity(a.PatchPassphraseVLAN, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PatchVLANInput) (activities.Accepted, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.wrongVLAN, in.Row)
		return activities.Accepted{RequestID: "req-patch"}, nil
	})
	env.OnActivity(a.FindPolicySet, mock.Anything, mock.Anything).Return(activities.FindResult{Last: true}, nil)
	env.OnActivity(a.CreatePolicySet, mock.Anything, mock.Anything).Return(activities.Accepted{ID: "set-1"}, nil)
	env.OnActivity(a.AttachPolicySet, mock.Anything, mock.Anything).Return(activities.Accepted{RequestID: "req-attach"}, nil)
}

func converterFrom(can *workflow.ContinueAsNewError, v any) error {
	return converter.GetDefaultDataConverter().FromPayloads(can.Input, v)
}

// runPool runs a pool workflow to its end, following continue-as-new, and
// returns the result and the number of runs.
func runPool(t *testing.T, f *fakeR1, in PoolInput) (PoolResult, int) {
	for runs := 1; runs < 100; runs++ {
		env := newEnv(t)
		f.install(env)
		env.ExecuteWorkflow(PoolWorkflowName, in)
		require.True(t, env.IsWorkflowCompleted())
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			in = PoolInput{}
			require.NoError(t, converterFrom(can, &in))
			continue
		}
		require.NoError(t, err)
		var res PoolResult
		require.NoError(t, env.GetWorkflowResult(&res))
		return res, runs
	}
	t.Fatal("pool workflow never finished")
	return PoolResult{}, 0
}

func poolInput(rows, perRun int) PoolInput {
	return PoolInput{
		ExportInput:           activities.ExportInput{Export: testRef},
		Pool:                  pools(1, rows)[0],
		PassphraseConcurrency: 10,
		PassphrasesPerRun:     perRun,
	}
}

func TestPoolCreatesEveryRowAndContinuesAsNew(t *testing.T) {
	f := newFakeR1()
	res, runs := runPool(t, f, poolInput(1234, 500))
	require.Equal(t, 3, runs, "500 rows per run")
	require.Equal(t, StatusCompleted, res.Status)
	require.Equal(t, 1234, res.Counts.Created)
	require.Len(t, f.held, 1234)
	require.Equal(t, "group-1", res.IdentityGroupID)
	require.Equal(t, "pool-1", res.PoolID)
}

func TestPoolRerunAdoptsEverythingAndCreatesNothing(t *testing.T) {
	f := newFakeR1()
	first, _ := runPool(t, f, poolInput(300, 1000))
	require.Equal(t, 300, first.Counts.Created)
	f.creates = 0
	f.wrongVLAN[7] = true

	again, _ := runPool(t, f, poolInput(300, 1000))
	require.Equal(t, StatusCompleted, again.Status)
	require.Zero(t, f.creates)
	require.Equal(t, Counts{Adopted: 299, Patched: 1}, again.Counts)
	require.Empty(t, f.wrongVLAN, "the VLAN was corrected")
	require.Equal(t, first.PoolID, again.PoolID)
}

func TestPoolReportsEachFailedRowAndMigratesTheRest(t *testing.T) {
	f := newFakeR1()
	f.refuse[3] = "R1 POST /dpskServices/pool-1/passphrases: 400 Bad Request: passphrase too short"
	f.asyncFail[5] = "Passphrase username already exists"
	f.conflict[8] = true
	in := poolInput(20, 1000)
	in.Pool.RefusedCount = 1
	in.Pool.Refused = []cloudpath.RowOutcome{{Index: 99, Username: "empty", Reason: "passphrase is empty"}}
	res, _ := runPool(t, f, in)

	require.Equal(t, StatusPartial, res.Status)
	require.Equal(t, 17, res.Counts.Created)
	require.Equal(t, 3, res.Counts.Failed)
	require.Equal(t, 1, res.Counts.Refused)
	reasons := map[string]string{}
	for _, r := range res.FailedRows {
		reasons[r.Username] = r.Reason
	}
	require.Contains(t, reasons["user3"], "passphrase too short")
	require.Contains(t, reasons["user5"], "Passphrase username already exists")
	require.Contains(t, reasons["user8"], "different passphrase")
	require.Equal(t, "passphrase is empty", reasons["empty"])
}

func TestPoolAttachesThePolicySet(t *testing.T) {
	f := newFakeR1()
	in := poolInput(3, 1000)
	in.PolicySetName = "Residents"
	res, _ := runPool(t, f, in)
	require.Equal(t, StatusCompleted, res.Status)
	require.Equal(t, "set-1", res.PolicySetID)
}

func TestPoolSequentialModeCreatesOneAtATime(t *testing.T) {
	f := newFakeR1()
	in := poolInput(25, 1000)
	in.PassphraseConcurrency = 1
	res, _ := runPool(t, f, in)
	require.Equal(t, 25, res.Counts.Created)
}
