package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// Names of the verification workflows.
const (
	VerifyWorkflowName     = "VerifyWorkflow"
	VerifyPoolWorkflowName = "VerifyPoolWorkflow"
)

var errMigrationID = errors.New("migrationId is empty: name the migration to verify or roll back")

// Verification outcomes.
const (
	VerifyMatch     Status = "MATCH"     // R1 holds exactly the planned rows
	VerifyDifferent Status = "DIFFERENT" // rows missing, changed, or extra
)

// Verification lists at most this many changed and extra rows per pool; the
// counts are always complete.
const maxVerifyListed = 500

// VerifyInput compares what R1 holds now with a migration's plan.
type VerifyInput struct {
	SweepInput
	Continued *VerifyResult `json:"continued,omitempty"` // carried across continue-as-new
}

// VerifyCounts count rows: planned rows Matched, Changed or Missing; Extra
// passphrases R1 holds that the plan does not migrate.
type VerifyCounts struct {
	Expected int `json:"expected"`
	Matched  int `json:"matched"`
	Missing  int `json:"missing"`
	Changed  int `json:"changed"`
	Extra    int `json:"extra"`
}

func (c *VerifyCounts) add(o VerifyCounts) {
	c.Expected += o.Expected
	c.Matched += o.Matched
	c.Missing += o.Missing
	c.Changed += o.Changed
	c.Extra += o.Extra
}

// VerifyPoolResult is one pool's comparison. Matched rows are the planned rows
// neither missing nor changed.
type VerifyPoolResult struct {
	Key         string                  `json:"key"`
	DisplayName string                  `json:"displayName"`
	PoolName    string                  `json:"poolName"`
	WorkflowID  string                  `json:"workflowId,omitempty"`
	PoolID      string                  `json:"poolId,omitempty"` // "" when R1 has no pool of that name
	Status      Status                  `json:"status"`
	Counts      VerifyCounts            `json:"counts"`
	Missing     runrecord.RowSet        `json:"missing,omitzero"`
	Changed     []activities.ChangedRow `json:"changed,omitempty"` // at most maxVerifyListed
	Extra       []activities.ExtraRow   `json:"extra,omitempty"`   // at most maxVerifyListed
	Error       string                  `json:"error,omitempty"`
}

// VerifyResult is a verification's outcome: MATCH only when every pool matched.
type VerifyResult struct {
	Status     Status             `json:"status"`
	NextPool   int                `json:"nextPool,omitempty"`
	TotalPools int                `json:"totalPools"`
	Totals     VerifyCounts       `json:"totals"`
	Pools      []VerifyPoolResult `json:"pools"` // at most MaxPoolsInResult, differing ones first, without row lists
	Omitted    int                `json:"omitted,omitempty"`
}

// VerifyWorkflow reads what R1 holds now for every pool of a migration and
// compares it with the plan, row by row, one query per page, on the R1 queue
// and its budget.
func VerifyWorkflow(ctx workflow.Context, in VerifyInput) (VerifyResult, error) {
	sin, err := in.SweepInput.normalize()
	if err != nil {
		return VerifyResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidInput, nil)
	}
	res := VerifyResult{}
	if in.Continued != nil {
		res = *in.Continued
	}
	s := sweep{child: VerifyPoolWorkflowName, window: sin.MaxConcurrent, plan: sin.ExportInput, perRun: sin.PoolsPerRun}
	page, err := s.page(ctx, res.NextPool)
	if err != nil {
		return VerifyResult{}, temporal.NewNonRetryableApplicationError("planning the export: "+reason(err), activities.ErrExportInvalid, nil)
	}
	res.TotalPools = page.TotalPools
	s.run(ctx, page.Pools, func(pool activities.PoolRef) any {
		return VerifyPoolInput{ExportInput: sin.ExportInput, Pool: pool, ActivityTimeout: sin.ActivityTimeout}
	}, func(pool activities.PoolRef, id string, f workflow.Future) {
		var pr VerifyPoolResult
		if err := f.Get(ctx, &pr); err != nil {
			pr = VerifyPoolResult{Key: pool.Key, DisplayName: pool.DisplayName, PoolName: pool.PoolName, Status: StatusFailed, Error: reason(err)}
		}
		pr.WorkflowID = id
		res.keep(pr)
	})
	res.NextPool += len(page.Pools)
	if ctx.Err() != nil {
		res.Status = StatusCanceled
		return outcome(res, res.Status, "", "")
	}
	if res.NextPool < res.TotalPools {
		next := in
		next.Continued = &res
		return VerifyResult{}, workflow.NewContinueAsNewError(ctx, VerifyWorkflowName, next)
	}
	res.Status = VerifyMatch
	for _, p := range res.Pools {
		if p.Status != VerifyMatch {
			res.Status = VerifyDifferent
		}
	}
	if res.Omitted > 0 && res.Totals.Matched != res.Totals.Expected {
		res.Status = VerifyDifferent
	}
	return res, nil
}

// keep adds a pool's comparison: its counts always, and to the list (without
// its row lists, which stay in the pool's own result) within bounds.
func (r *VerifyResult) keep(pr VerifyPoolResult) {
	r.Totals.add(pr.Counts)
	if pr.Status == StatusFailed {
		r.Totals.Missing += pr.Counts.Expected - pr.Counts.Missing - pr.Counts.Matched - pr.Counts.Changed
	}
	pr.Missing, pr.Changed, pr.Extra = runrecord.RowSet{}, nil, nil
	if len(r.Pools) < MaxPoolsInResult {
		r.Pools = append(r.Pools, pr)
		return
	}
	r.Omitted++
	if pr.Status == VerifyMatch {
		return
	}
	if i := slices.IndexFunc(r.Pools, func(p VerifyPoolResult) bool { return p.Status == VerifyMatch }); i >= 0 {
		r.Pools = append(slices.Delete(r.Pools, i, i+1), pr)
	}
}

// VerifyPoolInput verifies one pool of the plan.
type VerifyPoolInput struct {
	activities.ExportInput
	Pool            activities.PoolRef `json:"pool"`
	ActivityTimeout time.Duration      `json:"activityTimeout,omitempty"`
}

// VerifyPoolWorkflow compares one pool: it finds the R1 pool by the plan's
// name and pages through its passphrases.
func VerifyPoolWorkflow(ctx workflow.Context, in VerifyPoolInput) (VerifyPoolResult, error) {
	p := &poolRun{in: PoolInput{ExportInput: in.ExportInput, Pool: in.Pool}}
	p.r1 = r1Context(ctx, in.ActivityTimeout)
	res := VerifyPoolResult{Key: in.Pool.Key, DisplayName: in.Pool.DisplayName, PoolName: in.Pool.PoolName,
		Status: VerifyMatch, Counts: VerifyCounts{Expected: in.Pool.Rows}}
	found, err := p.find(ctx, a.FindPool, in.Pool.PoolName, 1)
	if err != nil {
		res.Status, res.Error = StatusFailed, err.Error()
		return res, nil
	}
	var seen runrecord.RowSet
	if found.Found {
		res.PoolID = found.ID
		const maxPages = 1000 // 500,000 passphrases
		for page := 1; page <= maxPages; page++ {
			var pr activities.VerifyPageResult
			if err := p.call(ctx, a.VerifyPage, activities.VerifyPageInput{ExportInput: in.ExportInput, PoolKey: in.Pool.Key, PoolID: found.ID, Page: page}).Get(ctx, &pr); err != nil {
				res.Status, res.Error = StatusFailed, fmt.Sprintf("reading page %d: %s", page, reason(err))
				return res, nil
			}
			seen.AddSet(pr.Matched)
			res.Counts.Matched += pr.Matched.Len()
			for _, c := range pr.Changed {
				seen.Add(c.Row)
				res.Counts.Changed++
				if len(res.Changed) < maxVerifyListed {
					res.Changed = append(res.Changed, c)
				}
			}
			res.Counts.Extra += len(pr.Extra)
			for _, e := range pr.Extra {
				if len(res.Extra) < maxVerifyListed {
					res.Extra = append(res.Extra, e)
				}
			}
			if pr.Last {
				break
			}
		}
	}
	for row := 0; row < in.Pool.Rows; row++ {
		if !seen.Contains(row) {
			res.Missing.Add(row)
		}
	}
	res.Counts.Missing = res.Missing.Len()
	if res.Counts.Missing+res.Counts.Changed+res.Counts.Extra > 0 {
		res.Status = VerifyDifferent
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s · %d/%d match · %d missing · %d changed · %d extra",
		in.Pool.DisplayName, res.Counts.Matched, res.Counts.Expected, res.Counts.Missing, res.Counts.Changed, res.Counts.Extra))
	return res, nil
}
