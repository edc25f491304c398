package migrations

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// SweepState is where a verification or a rollback of a migration stands.
type SweepState struct {
	WorkflowID  string    `json:"workflowId"`
	MigrationID string    `json:"migrationId"`
	State       string    `json:"state"` // Temporal's: RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT
	StartTime   time.Time `json:"startTime,omitzero"`
	CloseTime   time.Time `json:"closeTime,omitzero"`
	// PoolsRunning are the keys of the pools in progress (while it runs).
	PoolsRunning []string `json:"poolsRunning,omitempty"`
	Error        string   `json:"error,omitempty"` // it ended without a result, and why
	UIURL        string   `json:"uiUrl,omitempty"`
}

// Running says whether the sweep is still at work.
func (s SweepState) Running() bool {
	return s.State == statusName(enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING)
}

// VerificationStatus is a verification's state, and its result once ended.
type VerificationStatus struct {
	SweepState
	Result *workflows.VerifyResult `json:"result,omitempty"`
	export activities.ExportInput  // what it planned: its rows are positions in this plan
}

// RollbackStatus is a rollback's state, and its result once ended (a
// PARTIAL one names what it kept, per pool and for the migration).
type RollbackStatus struct {
	SweepState
	Result *workflows.RollbackResult `json:"result,omitempty"`
}

// Verification reads the verification id of migration migrationID. Anything
// else (an unknown ID, another workflow, a verification of another
// migration) is ErrNotFound, as Migration is for migrations.
func (s *Service) Verification(ctx context.Context, migrationID, id string) (VerificationStatus, error) {
	var v VerificationStatus
	in, st, err := s.sweepState(ctx, migrationID, id, workflows.VerifyWorkflowName)
	if err != nil {
		return v, err
	}
	v.SweepState, v.export = st, in.ExportInput
	if !st.Running() {
		var res workflows.VerifyResult
		if err := s.waitResult(ctx, id, &res); err != nil {
			v.Error = err.Error()
		} else {
			v.Result = &res
		}
	}
	return v, nil
}

// Rollback reads the rollback id of migration migrationID (ErrNotFound as
// Verification).
func (s *Service) Rollback(ctx context.Context, migrationID, id string) (RollbackStatus, error) {
	var r RollbackStatus
	_, st, err := s.sweepState(ctx, migrationID, id, workflows.RollbackWorkflowName)
	if err != nil {
		return r, err
	}
	r.SweepState = st
	if !st.Running() {
		var res workflows.RollbackResult
		if err := s.waitResult(ctx, id, &res); err != nil {
			r.Error = err.Error()
		} else {
			r.Result = &res
		}
	}
	return r, nil
}

// sweepState describes a sweep workflow of type workflowType and checks, from
// its input, that it is one of migrationID's.
func (s *Service) sweepState(ctx context.Context, migrationID, id, workflowType string) (workflows.SweepInput, SweepState, error) {
	var in workflows.SweepInput
	if id == "" || migrationID == "" {
		return in, SweepState{}, ErrNotFound
	}
	desc, err := s.Temporal.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return in, SweepState{}, notFound(err)
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetType().GetName() != workflowType {
		return in, SweepState{}, ErrNotFound
	}
	if in, err = s.sweepInput(ctx, id, info.GetExecution().GetRunId()); err != nil {
		return in, SweepState{}, err
	}
	if in.MigrationID != migrationID {
		return in, SweepState{}, ErrNotFound
	}
	st := SweepState{WorkflowID: id, MigrationID: migrationID, State: statusName(info.GetStatus()), UIURL: s.UIURL(id)}
	if t := info.GetStartTime(); t != nil {
		st.StartTime = t.AsTime().UTC()
	}
	if t := info.GetCloseTime(); t != nil && !st.Running() {
		st.CloseTime = t.AsTime().UTC()
	}
	prefix := workflows.ChildWorkflowID(id, "")
	for _, c := range desc.GetPendingChildren() {
		if key, ok := strings.CutPrefix(c.GetWorkflowId(), prefix); ok {
			st.PoolsRunning = append(st.PoolsRunning, key)
		}
	}
	slices.Sort(st.PoolsRunning)
	return in, st, nil
}

// sweepInput reads a sweep run's input (the first event of its history): the
// migration it sweeps, and the export and plan options its rows refer to.
func (s *Service) sweepInput(ctx context.Context, id, runID string) (workflows.SweepInput, error) {
	var in workflows.SweepInput
	it := s.Temporal.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return in, ErrNotFound
	}
	ev, err := it.Next()
	if err != nil {
		if notFound(err) == ErrNotFound {
			return in, ErrNotFound
		}
		return in, fmt.Errorf("reading the history of %s: %w", id, err)
	}
	started := ev.GetWorkflowExecutionStartedEventAttributes()
	if started == nil {
		return in, fmt.Errorf("%s begins with %s, not WorkflowExecutionStarted", id, ev.GetEventType())
	}
	if err := s.dataConverter().FromPayloads(started.GetInput(), &in); err != nil {
		return in, fmt.Errorf("reading the input of %s: %w", id, err)
	}
	return in, nil
}

// VerifyDifferences names every row an ended verification found different,
// pool by pool in plan order, each pool's planned rows in export
// order (missing and changed), then its extra passphrases. It plans the
// export again, as the verification did, to name the rows
// (VerifyResultDifferences).
func (s *Service) VerifyDifferences(ctx context.Context, v VerificationStatus) ([]report.Difference, error) {
	if v.Result == nil || len(differingPools(*v.Result)) == 0 {
		return nil, nil
	}
	data, err := s.Store.Load(v.export.Export)
	if err != nil {
		return nil, &ExportUnavailableError{SHA256: v.export.Export.SHA256, Err: err, For: "the verification's differences"}
	}
	plan, err := Check(data, v.export.Plan)
	if err != nil {
		return nil, fmt.Errorf("the verification's export no longer plans: %w", err)
	}
	return s.VerifyResultDifferences(ctx, v.WorkflowID, *v.Result, plan)
}

// VerifyResultDifferences is VerifyDifferences for a caller that holds the
// verification's result and its plan already: it reads each differing pool's
// own result (its row lists) and names its rows (Differences). A pool lists
// at most 500 changed and 500 extra rows (its counts in the result are
// complete).
func (s *Service) VerifyResultDifferences(ctx context.Context, verifyID string, res workflows.VerifyResult, plan *cloudpath.Plan) ([]report.Difference, error) {
	keys := differingPools(res)
	if len(keys) == 0 {
		return nil, nil
	}
	pools, err := s.VerifyPools(ctx, verifyID, keys)
	if err != nil {
		return nil, err
	}
	return Differences(plan, pools), nil
}

// differingPools are the keys of the pools a verification found different.
func differingPools(res workflows.VerifyResult) []string {
	var keys []string
	for _, p := range res.Pools {
		if p.Status == workflows.VerifyDifferent {
			keys = append(keys, p.Key)
		}
	}
	return keys
}

// Differences names the rows of the pools' full comparisons (keyed by pool
// key, with their row lists), pool by pool in plan order, each pool's
// planned rows in export order (missing and changed), then its extra
// passphrases. plan is the plan the verification made: the lists' rows are
// positions in its units' rows.
func Differences(plan *cloudpath.Plan, pools map[string]workflows.VerifyPoolResult) []report.Difference {
	var out []report.Difference
	for i := range plan.Units { // in plan order, as the report
		u := &plan.Units[i]
		pr, ok := pools[u.Key]
		if !ok {
			continue
		}
		type planned struct {
			pos int // in the unit's rows: export order
			d   report.Difference
		}
		var rows []planned
		add := func(pos int, kind report.Kind, c *activities.ChangedRow) {
			if pos < 0 || pos >= len(u.Rows) {
				return
			}
			r := &u.Rows[pos]
			index := r.Index // not a pointer into the plan, which holds the passphrases
			d := report.Difference{R1Pool: u.PoolName, Index: &index, Username: r.Username, GUID: r.GUID, Kind: kind,
				NoR1Pool: kind == report.Missing && pr.PoolID == ""}
			if j := slices.IndexFunc(u.Sources, func(s cloudpath.PoolSource) bool { return s.Index == r.SourcePool }); j >= 0 {
				d.CloudpathPool = u.Sources[j].DisplayName
			}
			if c != nil {
				d.Fields, d.PassphraseID, d.IdentityID = c.Fields, c.PassphraseID, c.IdentityID
			}
			rows = append(rows, planned{pos, d})
		}
		for pos := range pr.Missing.All() {
			add(pos, report.Missing, nil)
		}
		for j := range pr.Changed {
			add(pr.Changed[j].Row, report.Changed, &pr.Changed[j])
		}
		slices.SortStableFunc(rows, func(a, b planned) int { return cmp.Compare(a.pos, b.pos) })
		for _, r := range rows {
			out = append(out, r.d)
		}
		for _, x := range pr.Extra {
			out = append(out, report.Difference{R1Pool: u.PoolName, Username: x.Username, Kind: report.Extra,
				PassphraseID: x.PassphraseID, IdentityID: x.IdentityID})
		}
	}
	return out
}
