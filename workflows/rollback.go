package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// Names of the rollback workflows.
const (
	RollbackWorkflowName     = "RollbackWorkflow"
	RollbackPoolWorkflowName = "RollbackPoolWorkflow"
	ErrRollbackRefused       = "RollbackRefused" // the migration is still running
)

// RollbackInput undoes what one migration created or changed, from its pools'
// records (runrecord): nothing it adopted, nothing made by anyone else.
type RollbackInput struct {
	SweepInput
	Continued *RollbackResult `json:"continued,omitempty"` // carried across continue-as-new
}

// RollbackCounts count what a rollback undid (and Kept: what it left, with reasons in Kept lists).
type RollbackCounts struct {
	Passphrases int `json:"passphrases"`
	Identities  int `json:"identities"`
	VLANs       int `json:"vlans"`       // restored
	Activations int `json:"activations"` // taken off the air
	Networks    int `json:"networks"`
	Pools       int `json:"pools"`
	Groups      int `json:"groups"`
	PolicySets  int `json:"policySets"`
	Restored    int `json:"restored"` // pool settings and policy-set attachments put back
	Kept        int `json:"kept"`
}

func (c *RollbackCounts) add(o RollbackCounts) {
	c.Passphrases += o.Passphrases
	c.Identities += o.Identities
	c.VLANs += o.VLANs
	c.Activations += o.Activations
	c.Networks += o.Networks
	c.Pools += o.Pools
	c.Groups += o.Groups
	c.PolicySets += o.PolicySets
	c.Restored += o.Restored
	c.Kept += o.Kept
}

// RollbackPoolResult is one pool's rollback: COMPLETED when everything the
// migration did there is undone, PARTIAL when something was left (Kept says
// what and why), FAILED when a step failed (a re-run goes on from there).
type RollbackPoolResult struct {
	Key         string         `json:"key"`
	DisplayName string         `json:"displayName"`
	WorkflowID  string         `json:"workflowId,omitempty"`
	Status      Status         `json:"status"`
	Counts      RollbackCounts `json:"counts"`
	Kept        []string       `json:"kept,omitempty"`
	Error       string         `json:"error,omitempty"`
}

// RollbackResult is a rollback's outcome.
type RollbackResult struct {
	Status     Status               `json:"status"`
	NextPool   int                  `json:"nextPool,omitempty"`
	TotalPools int                  `json:"totalPools"`
	Totals     RollbackCounts       `json:"totals"`
	Pools      []RollbackPoolResult `json:"pools"` // at most MaxPoolsInResult, not completed first
	Omitted    int                  `json:"omitted,omitempty"`
	// PolicySets the migration created: deleted last, once no pool uses them.
	PolicySets []string `json:"policySets,omitempty"`
	Kept       []string `json:"kept,omitempty"` // migration-level leftovers
}

// RollbackWorkflow undoes a migration, pool by pool through the window, in
// R1's dependency order (CLEANUP_AND_ROLLBACK.md), then deletes the policy
// sets it created. It is idempotent: a re-run, or a run after a partial one,
// ends in the same state.
func RollbackWorkflow(ctx workflow.Context, in RollbackInput) (RollbackResult, error) {
	sin, err := in.SweepInput.normalize()
	if err != nil {
		return RollbackResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidInput, nil)
	}
	res := RollbackResult{}
	if in.Continued != nil {
		res = *in.Continued
	}
	s := sweep{child: RollbackPoolWorkflowName, window: sin.MaxConcurrent, plan: sin.ExportInput, perRun: sin.PoolsPerRun}
	page, err := s.page(ctx, res.NextPool)
	if err != nil {
		return RollbackResult{}, temporal.NewNonRetryableApplicationError("planning the export: "+reason(err), activities.ErrExportInvalid, nil)
	}
	res.TotalPools = page.TotalPools
	records, err := readRecords(ctx, sin.MigrationID, page.Pools)
	if err != nil {
		return RollbackResult{}, err
	}
	s.run(ctx, page.Pools, func(pool activities.PoolRef) any {
		pr := records[pool.Key]
		switch {
		case !pr.Found:
			return nil // never started: nothing to undo
		case pr.Record == nil:
			res.keepPool(RollbackPoolResult{Key: pool.Key, DisplayName: pool.DisplayName, Status: StatusPartial, Counts: RollbackCounts{Kept: 1},
				Kept: []string{"this pool ran under the first release, which recorded nothing to undo; remove what it created in R1 by hand"}})
			return nil
		}
		if ps := pr.Record.PolicySet; ps != nil && ps.Created && !slices.Contains(res.PolicySets, ps.ID) {
			res.PolicySets = append(res.PolicySets, ps.ID)
		}
		return RollbackPoolInput{ExportInput: sin.ExportInput, Pool: pool, Record: *pr.Record, ActivityTimeout: sin.ActivityTimeout}
	}, func(pool activities.PoolRef, id string, f workflow.Future) {
		var pr RollbackPoolResult
		if err := f.Get(ctx, &pr); err != nil && !ResultFromError(err, &pr) {
			pr = RollbackPoolResult{Key: pool.Key, DisplayName: pool.DisplayName, Status: StatusFailed, Error: reason(err)}
		}
		pr.WorkflowID = id
		res.keepPool(pr)
	})
	res.NextPool += len(page.Pools)
	if ctx.Err() != nil {
		res.Status = StatusCanceled
		return outcome(res, res.Status, "", "")
	}
	if res.NextPool < res.TotalPools {
		next := in
		next.Continued = &res
		return RollbackResult{}, workflow.NewContinueAsNewError(ctx, RollbackWorkflowName, next)
	}
	res.deletePolicySets(ctx, sin)
	res.Status = res.status()
	return outcome(res, res.Status, "the rollback failed in every pool; the details list them", ErrMigrationFailed)
}

// readRecords reads the records of a page's pools from their migration
// workflows, refusing while any of them still runs.
func readRecords(ctx workflow.Context, migrationID string, pools []activities.PoolRef) (map[string]activities.PoolRecord, error) {
	out := map[string]activities.PoolRecord{}
	for chunk := range slices.Chunk(pools, activities.MaxRecordsPerRead) {
		in := activities.PoolRecordsInput{}
		for _, p := range chunk {
			in.WorkflowIDs = append(in.WorkflowIDs, ChildWorkflowID(migrationID, p.Key))
		}
		var res activities.PoolRecordsResult
		if err := workflow.ExecuteActivity(planContext(ctx), a.PoolRecords, in).Get(ctx, &res); err != nil {
			return nil, temporal.NewNonRetryableApplicationError("reading the migration's records: "+reason(err), ErrInvalidInput, nil)
		}
		for i, r := range res.Records {
			if r.Running {
				return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("pool workflow %s of the migration is still running: cancel the migration (or let it finish) before rolling it back", r.WorkflowID), ErrRollbackRefused, nil)
			}
			out[chunk[i].Key] = r
		}
	}
	return out, nil
}

func (r *RollbackResult) keepPool(pr RollbackPoolResult) {
	r.Totals.add(pr.Counts)
	if len(r.Pools) < MaxPoolsInResult {
		r.Pools = append(r.Pools, pr)
		return
	}
	r.Omitted++
	if pr.Status == StatusCompleted {
		return
	}
	if i := slices.IndexFunc(r.Pools, func(p RollbackPoolResult) bool { return p.Status == StatusCompleted }); i >= 0 {
		r.Pools = append(slices.Delete(r.Pools, i, i+1), pr)
	}
}

// deletePolicySets deletes the policy sets the migration created, now that
// its pools no longer use them; R1 refuses a set something else uses (kept).
func (r *RollbackResult) deletePolicySets(ctx workflow.Context, in SweepInput) {
	r1 := r1Context(ctx, in.ActivityTimeout)
	for _, id := range r.PolicySets {
		var acc activities.Accepted
		err := workflow.ExecuteActivity(r1, a.DeletePolicySet, activities.DeleteObjectInput{ID: id}).Get(ctx, &acc)
		switch {
		case err == nil && !acc.Existing:
			r.Totals.PolicySets++
		case err != nil:
			r.Totals.Kept++
			r.Kept = append(r.Kept, fmt.Sprintf("policy set %s: %s (something else uses it)", id, reason(err)))
		}
	}
}

func (r *RollbackResult) status() Status {
	failed, done := 0, 0
	for _, p := range r.Pools {
		switch p.Status {
		case StatusFailed:
			failed++
		case StatusCompleted:
			done++
		}
	}
	switch {
	case failed > 0 && failed == len(r.Pools):
		return StatusFailed
	case failed > 0 || r.Totals.Kept > 0:
		return StatusPartial
	}
	return StatusCompleted
}

// RollbackPoolInput undoes one pool's record.
type RollbackPoolInput struct {
	activities.ExportInput
	Pool            activities.PoolRef `json:"pool"`
	Record          runrecord.Pool     `json:"record"`
	ActivityTimeout time.Duration      `json:"activityTimeout,omitempty"`
}
