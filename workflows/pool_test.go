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
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// fakeR1 stands in for the R1 activities at the activity boundary: it keeps
// which rows R1 holds, so the tests assert an end state, not calls. Like R1 it
// shows a created row only after a while (hidden), and it can lose the answer
// to a create that landed (loseAnswer).
type fakeR1 struct {
	mu           sync.Mutex
	held         map[int]bool   // rows R1 holds with the right passphrase
	hidden       map[int]int    // ... not shown by the next n reads
	wrongVLAN    map[int]bool   // ... held, but with another VLAN
	conflict     map[int]bool   // username held with another passphrase
	refuse       map[int]string // create answered 400
	asyncFail    map[int]string // create accepted, then failed in its R1 activity
	loseAnswer   map[int]bool   // the first create lands but its answer is lost
	hideNew      int            // reads that do not show a new row
	creates      int
	groupID      string
	poolID       string
	poolGroup    string // the group an existing pool is in, when not ours
	poolConflict string // "409" or "async": CreatePool meets a pool made meanwhile
}

func newFakeR1() *fakeR1 {
	return &fakeR1{held: map[int]bool{}, hidden: map[int]int{}, wrongVLAN: map[int]bool{}, conflict: map[int]bool{},
		refuse: map[int]string{}, asyncFail: map[int]string{}, loseAnswer: map[int]bool{}}
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
		group := strings.ReplaceAll(f.groupID, "-", "")
		if f.poolGroup != "" {
			group = f.poolGroup
		}
		return activities.FindResult{Found: f.poolID != "", ID: f.poolID, IdentityGroupID: group, Last: true, PassphraseLength: 8}, nil
	})
	env.OnActivity(a.CreatePool, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CreatePoolInput) (activities.Accepted, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.poolID = "pool-1"
		switch f.poolConflict {
		case "409":
			return activities.Accepted{}, temporal.NewNonRetryableApplicationError("R1 POST /identityGroups/group-1/dpskServices: 409 Conflict", activities.ErrConflict, nil)
		case "async":
			return activities.Accepted{RequestID: "dup:DPSK service.name: Name must be unique", ID: "pool-2"}, nil
		}
		return activities.Accepted{RequestID: "req-pool", ID: f.poolID}, nil
	})
	env.OnActivity(a.GetR1Activity, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.R1ActivityInput) (activities.R1ActivityStatus, error) {
		return f.activity(in.RequestID), nil
	})
	env.OnActivity(a.ReadR1Activities, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.R1ActivitiesInput) (activities.R1ActivitiesResult, error) {
		var res activities.R1ActivitiesResult
		for _, id := range in.RequestIDs {
			res.Activities = append(res.Activities, f.activity(id))
		}
		return res, nil
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
			case f.held[r] && f.hidden[r] > 0:
				f.hidden[r]--
				res.Absent = append(res.Absent, ref)
			case f.held[r] && f.wrongVLAN[r]:
				ref.VLANID = 7
				res.VLANFix = append(res.VLANFix, ref)
			case f.held[r]:
				res.Same = append(res.Same, r)
			default:
				res.Absent = append(res.Absent, ref)
			}
		}
		return res, nil
	})
	env.OnActivity(a.PlanRows, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RowsInput) (activities.RowsResult, error) {
		var res activities.RowsResult
		for _, r := range in.Rows {
			res.Absent = append(res.Absent, activities.RowRef{Row: r, Index: r, Username: fmt.Sprintf("user%d", r)})
		}
		return res, nil
	}).Maybe()
	env.OnActivity(a.CreatePassphrase, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.RowInput) (activities.Accepted, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if msg, ok := f.refuse[in.Row]; ok {
			return activities.Accepted{}, temporal.NewNonRetryableApplicationError(msg, activities.ErrValidation, nil)
		}
		if msg, ok := f.asyncFail[in.Row]; ok {
			return activities.Accepted{RequestID: "fail:" + msg}, nil
		}
		if f.held[in.Row] {
			if f.hidden[in.Row] > 0 {
				// R1 holds it but does not show it: the retry's check misses it,
				// and R1 refuses the second create in its activity.
				return activities.Accepted{RequestID: "dup:Passphrase username already exists"}, nil
			}
			panic(fmt.Sprintf("row %d created twice", in.Row))
		}
		f.creates++
		f.held[in.Row] = true
		f.hidden[in.Row] = f.hideNew
		if f.loseAnswer[in.Row] && activity.GetInfo(ctx).Attempt == 1 {
			f.hidden[in.Row] = max(f.hideNew, 3)
			return activities.Accepted{}, temporal.NewApplicationError("R1 POST: 502 Bad Gateway", activities.ErrTransient)
		}
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

// activity is R1's answer about a request: "fail:<msg>" failed, "dup:<msg>"
// failed as a duplicate, anything else succeeded.
func (f *fakeR1) activity(id string) activities.R1ActivityStatus {
	if msg, ok := strings.CutPrefix(id, "fail:"); ok {
		return activities.R1ActivityStatus{RequestID: id, Visible: true, Status: "FAIL", Failed: true, Message: msg}
	}
	if msg, ok := strings.CutPrefix(id, "dup:"); ok {
		return activities.R1ActivityStatus{RequestID: id, Visible: true, Status: "FAIL", Failed: true, Message: msg, Duplicate: true}
	}
	return activities.R1ActivityStatus{RequestID: id, Visible: true, Status: "SUCCESS", Succeeded: true}
}

func converterFrom(can *workflow.ContinueAsNewError, v any) error {
	return converter.GetDefaultDataConverter().FromPayloads(can.Input, v)
}

// runPool runs a pool workflow to its end, following continue-as-new, and
// returns the result (taken from the failure's details when the pool failed
// or was cancelled), the workflow's error and the number of runs.
func runPool(t *testing.T, f *fakeR1, in PoolInput) (PoolResult, error, int) {
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
		var res PoolResult
		if err != nil {
			require.True(t, ResultFromError(err, &res), "a failed pool carries its result: %v", err)
		} else {
			require.NoError(t, env.GetWorkflowResult(&res))
		}
		return res, err, runs
	}
	t.Fatal("pool workflow never finished")
	return PoolResult{}, nil, 0
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
	res, err, runs := runPool(t, f, poolInput(1234, 500))
	require.NoError(t, err)
	require.Equal(t, 3, runs, "500 rows per run")
	require.Equal(t, StatusCompleted, res.Status)
	require.Equal(t, 1234, res.Counts.Created)
	require.Len(t, f.held, 1234)
	require.Equal(t, "group-1", res.IdentityGroupID)
	require.Equal(t, "pool-1", res.PoolID)
	require.Equal(t, "0-1233", res.Record.Rows.Created.String(), "the record names every created row")
	require.True(t, res.Record.IdentityGroup.Created)
	require.True(t, res.Record.DPSKPool.Created)
}

func TestPoolWaitsForRowsR1ShowsLateAcrossRuns(t *testing.T) {
	f := newFakeR1()
	f.hideNew = 4 // R1 shows a new row only on the fifth read
	res, err, runs := runPool(t, f, poolInput(1200, 500))
	require.NoError(t, err)
	require.Equal(t, 3, runs)
	require.Equal(t, StatusCompleted, res.Status, "%+v", res.FailedRows)
	require.Equal(t, 1200, res.Counts.Created)
	require.Equal(t, 1200, f.creates, "nothing created twice")
}

func TestPoolRerunAdoptsEverythingAndCreatesNothing(t *testing.T) {
	f := newFakeR1()
	first, _, _ := runPool(t, f, poolInput(300, 1000))
	require.Equal(t, 300, first.Counts.Created)
	f.creates = 0
	f.wrongVLAN[7] = true

	again, err, _ := runPool(t, f, poolInput(300, 1000))
	require.NoError(t, err)
	require.Equal(t, StatusCompleted, again.Status)
	require.Zero(t, f.creates)
	require.Equal(t, Counts{Adopted: 299, Patched: 1}, again.Counts)
	require.Empty(t, f.wrongVLAN, "the VLAN was corrected")
	require.Equal(t, first.PoolID, again.PoolID)
	from, ok := again.Record.Rows.PatchOf(7)
	require.True(t, ok)
	require.Equal(t, 7, from, "the VLAN before the patch is recorded")
	require.False(t, again.Record.IdentityGroup.Created, "adopted")
	require.False(t, again.Record.DPSKPool.Created, "adopted")
}

func TestARetriedCreateWhoseFirstAttemptLandedIsCreatedNotFailed(t *testing.T) {
	f := newFakeR1()
	f.loseAnswer[4] = true
	f.loseAnswer[9] = true
	res, err, _ := runPool(t, f, poolInput(20, 1000))
	require.NoError(t, err)
	require.Equal(t, StatusCompleted, res.Status, "%+v", res.FailedRows)
	require.Equal(t, 20, res.Counts.Created)
	require.True(t, res.Record.Rows.Created.Contains(4))
	require.Zero(t, res.Counts.Failed)
}

func TestPoolAdoptsAPoolR1SaysExistsWhenItsCreateMeetsIt(t *testing.T) {
	for _, mode := range []string{"409", "async"} {
		t.Run(mode, func(t *testing.T) {
			f := newFakeR1()
			f.poolConflict = mode
			res, err, _ := runPool(t, f, poolInput(5, 1000))
			require.NoError(t, err)
			require.Equal(t, StatusCompleted, res.Status, res.Error)
			require.Equal(t, "pool-1", res.PoolID)
			require.Equal(t, 5, res.Counts.Created)
		})
	}
}

func TestPoolReportsEachFailedRowAndMigratesTheRest(t *testing.T) {
	f := newFakeR1()
	f.refuse[3] = "R1 POST /dpskServices/pool-1/passphrases: 400 Bad Request: passphrase too short"
	f.asyncFail[5] = "Passphrase is shorter than the DPSK service's passphrase length"
	f.conflict[8] = true
	in := poolInput(20, 1000)
	in.Pool.RefusedCount = 1
	in.Pool.Refused = []cloudpath.RowOutcome{{Index: 99, Username: "empty", Reason: "passphrase is empty"}}
	res, err, _ := runPool(t, f, in)
	require.NoError(t, err)

	require.Equal(t, StatusPartial, res.Status)
	require.Equal(t, 17, res.Counts.Created)
	require.Equal(t, 2, res.Counts.Failed)
	require.Equal(t, 1, res.Counts.Conflicts)
	require.Equal(t, 1, res.Counts.Refused)
	require.Equal(t, 21, res.Counts.Rows(), "the counts add up to the pool's rows")
	reasons := map[string]string{}
	for _, r := range res.FailedRows {
		reasons[r.Username] = r.Reason
	}
	require.Contains(t, reasons["user3"], "passphrase too short")
	require.Contains(t, reasons["user5"], "shorter than the DPSK service")
	require.Contains(t, reasons["user8"], "different passphrase")
	require.Equal(t, "passphrase is empty", reasons["empty"])
	require.True(t, res.Record.Rows.Conflict.Contains(8))
	why, _ := res.Record.Rows.FailureOf(5)
	require.Contains(t, why, "shorter than the DPSK service")
}

func TestAPoolWhoseRowsAllFailEndsFailedWithItsResult(t *testing.T) {
	f := newFakeR1()
	for r := 0; r < 4; r++ {
		f.refuse[r] = "R1 POST: 400 Bad Request: no"
	}
	res, err, _ := runPool(t, f, poolInput(4, 1000))
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app))
	require.Equal(t, ErrPoolFailed, app.Type())
	require.Equal(t, StatusFailed, res.Status)
	require.Equal(t, 4, res.Counts.Failed, "the failure's details carry every figure")
}

func TestAPoolStoppedByAStepFailsItsUnsentRowsForThatReason(t *testing.T) {
	f := newFakeR1()
	f.groupID = "group-1"
	f.poolID, f.poolGroup = "pool-elsewhere", "group-9"
	res, err, _ := runPool(t, f, poolInput(6, 1000))
	require.Error(t, err)
	require.Equal(t, StatusFailed, res.Status)
	require.Contains(t, res.Error, "another identity group")
	require.Equal(t, 6, res.Counts.Failed)
	why, ok := res.Record.Rows.FailureOf(5)
	require.True(t, ok)
	require.Contains(t, why, "another identity group")
}

func TestPoolWorkflowRefusesInputItCannotRun(t *testing.T) {
	for name, mutate := range map[string]func(*PoolInput){
		"bad key":              func(in *PoolInput) { in.Pool.Key = "Not A Key" },
		"negative rows":        func(in *PoolInput) { in.Pool.Rows = -1 },
		"no pool name":         func(in *PoolInput) { in.Pool.PoolName = "" },
		"too many per run":     func(in *PoolInput) { in.PassphrasesPerRun = MaxPassphrasesPerRun + 1 },
		"cursor past the rows": func(in *PoolInput) { in.Continued = &PoolState{Cursor: 99} },
	} {
		t.Run(name, func(t *testing.T) {
			in := poolInput(5, 10)
			mutate(&in)
			env := newEnv(t)
			env.ExecuteWorkflow(PoolWorkflowName, in)
			var app *temporal.ApplicationError
			require.True(t, errors.As(env.GetWorkflowError(), &app))
			require.Equal(t, ErrInvalidInput, app.Type())
		})
	}
	// Zero means the default, as for migrations: it never loops on continue-as-new.
	f := newFakeR1()
	in := poolInput(5, 0)
	in.PassphraseConcurrency = 0
	res, err, runs := runPool(t, f, in)
	require.NoError(t, err)
	require.Equal(t, 1, runs)
	require.Equal(t, 5, res.Counts.Created)
}

func TestPoolAttachesThePolicySet(t *testing.T) {
	f := newFakeR1()
	in := poolInput(3, 1000)
	in.PolicySetName = "Residents"
	res, err, _ := runPool(t, f, in)
	require.NoError(t, err)
	require.Equal(t, StatusCompleted, res.Status)
	require.Equal(t, "set-1", res.PolicySetID)
	require.Equal(t, &runrecord.PolicySetChange{ID: "set-1", Created: true, Attached: true}, res.Record.PolicySet)
}

func TestPoolSequentialModeCreatesOneAtATime(t *testing.T) {
	f := newFakeR1()
	in := poolInput(25, 1000)
	in.PassphraseConcurrency = 1
	res, _, _ := runPool(t, f, in)
	require.Equal(t, 25, res.Counts.Created)
}
