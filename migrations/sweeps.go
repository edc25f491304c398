package migrations

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// ErrNoRecord says a migration has no record of its export (it began under
// the first release, which kept none): it cannot be verified or rolled back.
var ErrNoRecord = errors.New("this migration recorded no export (it began before records were kept); verify or roll it back by hand")

// ExportOf is the export and effective plan options a migration recorded in
// its memo: what its report, verification and rollback plan again.
func (s *Service) ExportOf(ctx context.Context, id string) (activities.ExportInput, error) {
	info, err := s.Migration(ctx, id)
	if err != nil {
		return activities.ExportInput{}, err
	}
	p, ok := info.GetMemo().GetFields()[workflows.MemoExport]
	if !ok {
		return activities.ExportInput{}, ErrNoRecord
	}
	var in activities.ExportInput
	if err := s.dataConverter().FromPayload(p, &in); err != nil {
		return in, fmt.Errorf("reading migration %s's export: %w", id, err)
	}
	return in, nil
}

// SweepOptions are a verification's or rollback's choices.
type SweepOptions struct {
	WorkflowID    string // optional; generated otherwise
	MaxConcurrent int    // pools at once, 1..20 (default 5)
}

// Sweep names a started verification or rollback.
type Sweep struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	UIURL      string `json:"uiUrl,omitempty"`
}

// StartVerify starts the verification of a migration: a workflow that reads
// what R1 holds now for every pool and compares it with the plan.
func (s *Service) StartVerify(ctx context.Context, migrationID string, opts SweepOptions) (Sweep, error) {
	exp, err := s.ExportOf(ctx, migrationID)
	if err != nil {
		return Sweep{}, err
	}
	in := workflows.VerifyInput{SweepInput: workflows.SweepInput{MigrationID: migrationID, ExportInput: exp, MaxConcurrent: opts.MaxConcurrent}}
	return s.startSweep(ctx, "verify", migrationID, opts, workflows.VerifyWorkflowName, in)
}

// StartRollback starts the rollback of a finished (or cancelled) migration.
func (s *Service) StartRollback(ctx context.Context, migrationID string, opts SweepOptions) (Sweep, error) {
	info, err := s.Migration(ctx, migrationID)
	if err != nil {
		return Sweep{}, err
	}
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return Sweep{}, ErrStillRunning
	}
	exp, err := s.ExportOf(ctx, migrationID)
	if err != nil {
		return Sweep{}, err
	}
	in := workflows.RollbackInput{SweepInput: workflows.SweepInput{MigrationID: migrationID, ExportInput: exp, MaxConcurrent: opts.MaxConcurrent}}
	return s.startSweep(ctx, "rollback", migrationID, opts, workflows.RollbackWorkflowName, in)
}

// ErrStillRunning refuses to roll back a migration that is still running.
var ErrStillRunning = errors.New("the migration is still running: cancel it (dpskmigrate cancel) or let it finish before rolling it back")

func (s *Service) startSweep(ctx context.Context, kind, migrationID string, opts SweepOptions, workflowType string, in any) (Sweep, error) {
	id := opts.WorkflowID
	if id == "" {
		var b [3]byte
		_, _ = rand.Read(b[:])
		id = fmt.Sprintf("%s-%s-%s", kind, strings.TrimPrefix(migrationID, "migration-"), hex.EncodeToString(b[:]))
		if len(id) > MaxWorkflowIDLength {
			id = fmt.Sprintf("%s-%s", kind, hex.EncodeToString(b[:]))
		}
	}
	if err := ValidateWorkflowID(id); err != nil {
		return Sweep{}, err
	}
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: s.taskQueue(), WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            fmt.Sprintf("%s of %s", kind, migrationID),
	}, workflowType, in)
	if err != nil {
		return Sweep{}, fmt.Errorf("starting the %s workflow: %w", kind, err)
	}
	return Sweep{WorkflowID: run.GetID(), RunID: run.GetRunID(), UIURL: s.UIURL(run.GetID())}, nil
}

// WaitVerify waits for a verification and returns its result.
func (s *Service) WaitVerify(ctx context.Context, id string) (workflows.VerifyResult, error) {
	var res workflows.VerifyResult
	return res, s.waitResult(ctx, id, &res)
}

// WaitRollback waits for a rollback and returns its result, whatever its status.
func (s *Service) WaitRollback(ctx context.Context, id string) (workflows.RollbackResult, error) {
	var res workflows.RollbackResult
	return res, s.waitResult(ctx, id, &res)
}

func (s *Service) waitResult(ctx context.Context, id string, out any) error {
	err := s.Temporal.GetWorkflow(ctx, id, "").Get(ctx, out)
	if err != nil && !workflows.ResultFromError(err, out) {
		return errors.New(readable(err))
	}
	return nil
}

// VerifyPools reads every pool's full comparison (with its row lists) of a
// finished verification, for the per-row output.
func (s *Service) VerifyPools(ctx context.Context, verifyID string, keys []string) (map[string]workflows.VerifyPoolResult, error) {
	out := map[string]workflows.VerifyPoolResult{}
	for _, key := range keys {
		var pr workflows.VerifyPoolResult
		if err := s.Temporal.GetWorkflow(ctx, workflows.ChildWorkflowID(verifyID, key), "").Get(ctx, &pr); err != nil {
			if notFound(err) == ErrNotFound {
				continue
			}
			return out, fmt.Errorf("reading pool %s of %s: %w", key, verifyID, err)
		}
		out[key] = pr
	}
	return out, nil
}

// RollbackPreview is what a rollback would undo, pool by pool, read from the
// migration's records before anything is changed.
type RollbackPreview struct {
	MigrationID string             `json:"migrationId"`
	Pools       []PoolRollbackPlan `json:"pools"`
	Totals      PoolRollbackPlan   `json:"totals"`
	Running     bool               `json:"running,omitempty"` // the migration still runs: no rollback yet
	NotRecorded []string           `json:"notRecorded,omitempty"`
	records     map[string]*runrecord.Pool
}

// PoolRollbackPlan counts what a rollback would do to one pool (or all).
type PoolRollbackPlan struct {
	Key              string `json:"key,omitempty"`
	DisplayName      string `json:"displayName,omitempty"`
	Passphrases      int    `json:"passphrases"` // at most: only those R1 still holds as the export has them
	VLANs            int    `json:"vlans"`
	Activations      int    `json:"activations"`
	Networks         int    `json:"networks"`
	Pools            int    `json:"pools"`
	Groups           int    `json:"groups"`
	PolicySets       int    `json:"policySets"`
	Restores         int    `json:"restores"` // pool length and policy-set attachments put back
	EstimatedR1Calls int    `json:"estimatedR1Calls"`
}

// PreviewRollback reads the migration's records and says what a rollback
// would delete and restore, with its R1 call cost.
func (s *Service) PreviewRollback(ctx context.Context, migrationID string) (RollbackPreview, error) {
	info, err := s.Migration(ctx, migrationID)
	if err != nil {
		return RollbackPreview{}, err
	}
	exp, err := s.ExportOf(ctx, migrationID)
	if err != nil {
		return RollbackPreview{}, err
	}
	data, err := s.Store.Load(exp.Export)
	if err != nil {
		return RollbackPreview{}, &ExportUnavailableError{SHA256: exp.Export.SHA256, Err: err, For: "the rollback preview"}
	}
	plan, err := Check(data, exp.Plan)
	if err != nil {
		return RollbackPreview{}, err
	}
	pv := RollbackPreview{MigrationID: migrationID, Running: info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING}
	ids := make([]string, len(plan.Units))
	for i, u := range plan.Units {
		ids[i] = workflows.ChildWorkflowID(migrationID, u.Key)
	}
	recs, err := activities.ReadPoolRecords(ctx, s.Temporal, ids)
	if err != nil {
		return pv, err
	}
	sets := map[string]bool{}
	for i, r := range recs {
		u := plan.Units[i]
		switch {
		case !r.Found:
			continue
		case r.Running:
			pv.Running = true
			continue
		case r.Record == nil:
			pv.NotRecorded = append(pv.NotRecorded, u.DisplayName)
			continue
		}
		p := previewPool(*r.Record)
		p.Key, p.DisplayName = u.Key, u.DisplayName
		if ps := r.Record.PolicySet; ps != nil && ps.Created && !sets[ps.ID] {
			sets[ps.ID] = true
			p.PolicySets++
			p.EstimatedR1Calls++
		}
		pv.Pools = append(pv.Pools, p)
		pv.Totals.add(p)
	}
	return pv, nil
}

func (t *PoolRollbackPlan) add(p PoolRollbackPlan) {
	t.Passphrases += p.Passphrases
	t.VLANs += p.VLANs
	t.Activations += p.Activations
	t.Networks += p.Networks
	t.Pools += p.Pools
	t.Groups += p.Groups
	t.PolicySets += p.PolicySets
	t.Restores += p.Restores
	t.EstimatedR1Calls += p.EstimatedR1Calls
}

// previewPool counts a record's undo, and its R1 calls: a read and a delete
// per 500 rows, a patch per VLAN, a read per object checked, and one activity
// read per asynchronous write (R1 usually answers the first).
func previewPool(rec runrecord.Pool) PoolRollbackPlan {
	var p PoolRollbackPlan
	rows := rec.Rows.Created.Len() + rec.Rows.Unconfirmed.Len()
	p.Passphrases = rows
	chunks := (rows + activities.MaxRowsPerRead - 1) / activities.MaxRowsPerRead
	p.EstimatedR1Calls += 3*chunks + chunks*2 // read, delete, wait; identities delete, wait
	for _, c := range rec.Rows.Patched {
		if c.From != 0 {
			n := c.Rows.Len()
			p.VLANs += n
			p.EstimatedR1Calls += (n+activities.MaxRowsPerRead-1)/activities.MaxRowsPerRead + 2*n
		}
	}
	if ps := rec.PolicySet; ps != nil && ps.Attached {
		p.Restores++
		p.EstimatedR1Calls += 3
	}
	if n := rec.Network; n != nil {
		for _, a := range n.Activations {
			if a.Created {
				p.Activations++
				p.EstimatedR1Calls += 2
			}
		}
		if n.Created {
			p.Networks++
			p.EstimatedR1Calls += 2
		}
	}
	if rec.DPSKPool.Created {
		p.Pools++
		p.EstimatedR1Calls += 3
	} else if rec.DPSKPool.LengthBefore > 0 {
		p.Restores++
		p.EstimatedR1Calls += 3
	}
	if rec.IdentityGroup.Created {
		p.Groups++
		p.EstimatedR1Calls += 3
	}
	return p
}
