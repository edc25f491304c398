package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// Activities of a rollback: they read what a migration recorded and undo it in
// R1, one R1 request each. Each tolerates what a previous (interrupted) try
// already undid: "not found" is done.

// PoolRecordsInput names the pool workflows of a migration whose records to read.
type PoolRecordsInput struct {
	WorkflowIDs []string `json:"workflowIds"` // at most MaxRecordsPerRead
}

// MaxRecordsPerRead bounds one PoolRecords call (and its result's size).
const MaxRecordsPerRead = 50

// PoolRecord is a pool workflow's outcome as a rollback needs it.
type PoolRecord struct {
	WorkflowID string          `json:"workflowId"`
	Found      bool            `json:"found"`             // false: the pool never started
	Running    bool            `json:"running,omitempty"` // still running: nothing to read yet
	Status     string          `json:"status,omitempty"`
	Record     *runrecord.Pool `json:"record,omitempty"` // nil for a pool of the first release
}

// PoolRecordsResult lists the records, in the order asked.
type PoolRecordsResult struct {
	Records []PoolRecord `json:"records"`
}

// poolOutcome is the part of a pool workflow's result a rollback reads
// (workflows.PoolResult, which this package cannot import).
type poolOutcome struct {
	Status string          `json:"status"`
	Record *runrecord.Pool `json:"record,omitempty"`
}

// PoolRecords reads pool workflows' final results from Temporal (not R1): a
// failed or cancelled pool carries its result in its failure's details. It
// runs on the workflow task queue.
func (a *Activities) PoolRecords(ctx context.Context, in PoolRecordsInput) (PoolRecordsResult, error) {
	if a.Temporal == nil {
		return PoolRecordsResult{}, temporal.NewNonRetryableApplicationError("this worker has no Temporal client to read records with", ErrExportInvalid, nil)
	}
	if len(in.WorkflowIDs) > MaxRecordsPerRead {
		return PoolRecordsResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("PoolRecords takes at most %d ids, got %d", MaxRecordsPerRead, len(in.WorkflowIDs)), ErrExportInvalid, nil)
	}
	recs, err := ReadPoolRecords(ctx, a.Temporal, in.WorkflowIDs)
	if err != nil {
		return PoolRecordsResult{}, temporal.NewApplicationError(err.Error(), ErrExportUnavailable)
	}
	return PoolRecordsResult{Records: recs}, nil
}

// ReadPoolRecords reads the records of pool workflows (by id), in order.
func ReadPoolRecords(ctx context.Context, c client.Client, ids []string) ([]PoolRecord, error) {
	out := make([]PoolRecord, 0, len(ids))
	for _, id := range ids {
		rec := PoolRecord{WorkflowID: id}
		desc, err := c.DescribeWorkflowExecution(ctx, id, "")
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
			out = append(out, rec)
			continue
		case err != nil:
			return out, fmt.Errorf("reading pool workflow %s: %w", id, err)
		}
		rec.Found = true
		if desc.GetWorkflowExecutionInfo().GetCloseTime() == nil {
			rec.Running = true
			out = append(out, rec)
			continue
		}
		var po poolOutcome
		if err := c.GetWorkflow(ctx, id, "").Get(ctx, &po); err != nil && !detailsOf(err, &po) {
			rec.Status = "FAILED" // terminated or refused: no record to undo
		}
		if rec.Status == "" {
			rec.Status = po.Status
		}
		rec.Record = po.Record
		out = append(out, rec)
	}
	return out, nil
}

// detailsOf reads the result a failed or cancelled workflow carries.
func detailsOf(err error, out any) bool {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.HasDetails() {
		return app.Details(out) == nil
	}
	var can *temporal.CanceledError
	if errors.As(err, &can) && can.HasDetails() {
		return can.Details(out) == nil
	}
	return false
}

// HeldRow is a row R1 holds with exactly the export's passphrase.
type HeldRow struct {
	Row          int    `json:"row"`
	PassphraseID string `json:"passphraseId"`
	IdentityID   string `json:"identityId,omitempty"`
	VLANID       int    `json:"vlanId,omitempty"`      // the VLAN R1 holds
	PlannedVLAN  int    `json:"plannedVlan,omitempty"` // the export's (what a migration's patch set)
}

// HeldRowsResult lists which of the asked rows R1 holds with the export's
// passphrase (a username held with another passphrase is not ours: absent here).
type HeldRowsResult struct {
	Held []HeldRow `json:"held,omitempty"`
}

// HeldRows reads, in one query, R1's ids of the rows it holds exactly as the
// export has them: what a rollback may delete.
func (a *Activities) HeldRows(ctx context.Context, in RowsInput) (HeldRowsResult, error) {
	if in.PoolID == "" {
		return HeldRowsResult{}, temporal.NewNonRetryableApplicationError("HeldRows needs the pool's id", ErrExportInvalid, nil)
	}
	unit, err := a.unit(in.ExportInput, in.PoolKey)
	if err != nil {
		return HeldRowsResult{}, err
	}
	if len(in.Rows) > MaxRowsPerRead {
		return HeldRowsResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("HeldRows takes at most %d rows, got %d", MaxRowsPerRead, len(in.Rows)), ErrExportInvalid, nil)
	}
	secrets, err := a.passphrases(in.ExportInput, in.PoolKey, in.Rows)
	if err != nil {
		return HeldRowsResult{}, err
	}
	usernames := make([]string, 0, len(in.Rows))
	for _, pos := range in.Rows {
		usernames = append(usernames, unit.Rows[pos].Username)
	}
	ctx = r1client.WithSecrets(ctx, secrets...)
	page, err := a.R1.Passphrases.Query(ctx, in.PoolID, r1client.PassphraseQuery{Page: 1, PageSize: len(usernames) + 50, Usernames: usernames})
	var nf *r1client.NotFoundError
	if errors.As(err, &nf) {
		return HeldRowsResult{}, nil // the pool is gone: nothing of ours is held
	}
	if err != nil {
		return HeldRowsResult{}, r1Error("query passphrases", err)
	}
	if !page.Last {
		return HeldRowsResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("R1 answered a query for %d usernames with more than %d rows; not guessing which to delete", len(usernames), len(page.Items)), ErrValidation, nil)
	}
	var res HeldRowsResult
	for _, pos := range in.Rows {
		row := &unit.Rows[pos]
		for i := range page.Items {
			p := &page.Items[i]
			if p.Username == row.Username && p.Passphrase == row.Passphrase {
				res.Held = append(res.Held, HeldRow{Row: pos, PassphraseID: p.ID, IdentityID: p.IdentityID, VLANID: p.VLANID, PlannedVLAN: row.VLANID})
				break
			}
		}
	}
	return res, nil
}

// DeleteIDsInput deletes objects of a pool or group by id.
type DeleteIDsInput struct {
	ParentID string   `json:"parentId"` // the pool (passphrases) or identity group (identities)
	IDs      []string `json:"ids"`      // at most MaxRowsPerRead
}

// DeletePassphrases is one bulk DELETE /dpskServices/{poolId}/passphrases.
func (a *Activities) DeletePassphrases(ctx context.Context, in DeleteIDsInput) (Accepted, error) {
	acc, err := a.R1.Passphrases.Delete(ctx, in.ParentID, in.IDs)
	if isNotFound(err) {
		return Accepted{Existing: true}, nil
	}
	if err != nil {
		return Accepted{}, r1Error("delete passphrases", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// DeleteIdentities is one bulk DELETE /identityGroups/{groupId}/identities.
func (a *Activities) DeleteIdentities(ctx context.Context, in DeleteIDsInput) (Accepted, error) {
	acc, err := a.R1.Identities.Delete(ctx, in.ParentID, in.IDs)
	if isNotFound(err) {
		return Accepted{Existing: true}, nil
	}
	if err != nil {
		return Accepted{}, r1Error("delete identities", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// RestoreVLANInput sets a passphrase's VLAN back to what it was before the run.
type RestoreVLANInput struct {
	PoolID       string `json:"poolId"`
	PassphraseID string `json:"passphraseId"`
	VLANID       int    `json:"vlanId"` // 1..4094
}

// RestoreVLAN is one PATCH of a passphrase's VLAN.
func (a *Activities) RestoreVLAN(ctx context.Context, in RestoreVLANInput) (Accepted, error) {
	vlan := in.VLANID
	acc, err := a.R1.Passphrases.Patch(ctx, in.PoolID, in.PassphraseID, r1client.PassphrasePatch{VLANID: &vlan})
	if err != nil {
		return Accepted{}, r1Error("restore a passphrase's VLAN", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// CountInput names a pool (passphrases) or identity group (identities).
type CountInput struct {
	ID string `json:"id"`
}

// CountResult is how many objects R1 shows; Gone: the pool or group itself is gone.
type CountResult struct {
	Count int  `json:"count"`
	Gone  bool `json:"gone,omitempty"`
}

// CountPassphrases is one query of a pool's passphrases (page size 1).
func (a *Activities) CountPassphrases(ctx context.Context, in CountInput) (CountResult, error) {
	page, err := a.R1.Passphrases.Query(ctx, in.ID, r1client.PassphraseQuery{Page: 1, PageSize: 1})
	if isNotFound(err) {
		return CountResult{Gone: true}, nil
	}
	if err != nil {
		return CountResult{}, r1Error("count passphrases", err)
	}
	return CountResult{Count: max(page.TotalCount, len(page.Items))}, nil
}

// CountIdentities is one read of a group's identities (page size 1).
func (a *Activities) CountIdentities(ctx context.Context, in CountInput) (CountResult, error) {
	page, err := a.R1.Identities.List(ctx, in.ID, 0, 1)
	if isNotFound(err) {
		return CountResult{Gone: true}, nil
	}
	if err != nil {
		return CountResult{}, r1Error("count identities", err)
	}
	return CountResult{Count: max(page.TotalCount, len(page.Items))}, nil
}

// DeleteObjectInput deletes one pool, group or policy set.
type DeleteObjectInput struct {
	ID string `json:"id"`
}

// DeletePool is DELETE /dpskServices/{id}; R1 refuses a pool that holds
// passphrases (DPSK-026), an R1Validation error.
func (a *Activities) DeletePool(ctx context.Context, in DeleteObjectInput) (Accepted, error) {
	acc, err := a.R1.Pools.Delete(ctx, in.ID)
	if isNotFound(err) {
		return Accepted{Existing: true}, nil
	}
	if err != nil {
		return Accepted{}, r1Error("delete the DPSK pool", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// DeleteIdentityGroup is DELETE /identityGroups/{id}; R1 refuses a group still
// linked to a pool (GENERAL-026) or not empty.
func (a *Activities) DeleteIdentityGroup(ctx context.Context, in DeleteObjectInput) (Accepted, error) {
	acc, err := a.R1.IdentityGroups.Delete(ctx, in.ID)
	if isNotFound(err) {
		return Accepted{Existing: true}, nil
	}
	if err != nil {
		return Accepted{}, r1Error("delete the identity group", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// DeletePolicySet is DELETE /policySets/{id} (synchronous); R1 refuses a set
// still in use (409, an R1Conflict error).
func (a *Activities) DeletePolicySet(ctx context.Context, in DeleteObjectInput) (Accepted, error) {
	err := a.R1.PolicySets.Delete(ctx, in.ID)
	if isNotFound(err) {
		return Accepted{Existing: true}, nil
	}
	if err != nil {
		return Accepted{}, r1Error("delete the policy set", err)
	}
	return Accepted{}, nil
}

// DetachPolicySet is DELETE /dpskServices/{poolId}/policySets/{policySetId}.
func (a *Activities) DetachPolicySet(ctx context.Context, in AttachPolicySetInput) (Accepted, error) {
	acc, err := a.R1.Pools.DetachPolicySet(ctx, in.PoolID, in.PolicySetID)
	if isNotFound(err) {
		return Accepted{Existing: true}, nil
	}
	if err != nil {
		return Accepted{}, r1Error("detach the policy set", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// ReadPoolInput reads one pool's current state by id.
type ReadPoolInput struct {
	PoolID string `json:"poolId"`
}

// PoolState is what R1 shows of a pool.
type PoolState struct {
	Gone             bool   `json:"gone,omitempty"`
	PolicySetID      string `json:"policySetId,omitempty"`
	PassphraseLength int    `json:"passphraseLength,omitempty"`
}

// ReadPool is GET /dpskServices/{id}.
func (a *Activities) ReadPool(ctx context.Context, in ReadPoolInput) (PoolState, error) {
	p, err := a.R1.Pools.Get(ctx, in.PoolID)
	if isNotFound(err) {
		return PoolState{Gone: true}, nil
	}
	if err != nil {
		return PoolState{}, r1Error("read the DPSK pool", err)
	}
	return PoolState{PolicySetID: p.PolicySetID, PassphraseLength: p.PassphraseLength}, nil
}

func isNotFound(err error) bool {
	var nf *r1client.NotFoundError
	return errors.As(err, &nf)
}
