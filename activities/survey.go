package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// Surveying R1 once for a run of pools, rather than once per pool: the
// migration reads every identity group and DPSK pool R1 holds, a page per
// activity, and keeps those a pool of the run is named after. A pool then
// creates what the survey did not see without looking for it first, and
// adopts what it saw without a lookup.

// Survey kinds.
const (
	SurveyGroups = "identity groups"
	SurveyPools  = "DPSK pools"
)

// Page sizes of a survey: as large as each R1 query allows.
const (
	SurveyGroupPageSize = 500
	SurveyPoolPageSize  = 100
)

// SurveyInput reads one page of R1's groups or pools.
type SurveyInput struct {
	Kind  string   `json:"kind"`
	Page  int      `json:"page"` // from 0; the activity numbers R1's pages as each query does
	Names []string `json:"names"`
}

// SurveyResult is what one page holds of the names asked for.
type SurveyResult struct {
	Found      []FoundObject `json:"found,omitempty"`
	Last       bool          `json:"last"`
	TotalCount int           `json:"totalCount"` // of the whole listing, as R1 counts it
}

// FoundObject is an object a survey saw, by exact name.
type FoundObject struct {
	Name string `json:"name"`
	FindResult
}

// MaxSurveyNames bounds a survey's names (a run's pools, each with a group and a pool name).
const MaxSurveyNames = 4000

// Survey reads one page of R1's identity groups or DPSK pools and returns the
// objects named in.Names on it.
func (a *Activities) Survey(ctx context.Context, in SurveyInput) (SurveyResult, error) {
	if len(in.Names) > MaxSurveyNames {
		return SurveyResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("a survey takes at most %d names, got %d", MaxSurveyNames, len(in.Names)), ErrExportInvalid, nil)
	}
	wanted := make(map[string]bool, len(in.Names))
	for _, n := range in.Names {
		wanted[n] = true
	}
	var res SurveyResult
	switch in.Kind {
	case SurveyGroups:
		page, err := a.R1.IdentityGroups.Query(ctx, "", in.Page, SurveyGroupPageSize)
		if err != nil {
			return res, r1Error("survey identity groups", err)
		}
		for _, g := range page.Items {
			if wanted[g.Name] {
				res.Found = append(res.Found, FoundObject{Name: g.Name, FindResult: FindResult{Found: true, Last: true, ID: g.ID}})
			}
		}
		res.Last, res.TotalCount = page.Last || len(page.Items) == 0, page.TotalCount
	case SurveyPools:
		page, err := a.R1.Pools.Query(ctx, "", in.Page+1, SurveyPoolPageSize)
		if err != nil {
			return res, r1Error("survey DPSK pools", err)
		}
		for _, p := range page.Items {
			if wanted[p.Name] {
				res.Found = append(res.Found, FoundObject{Name: p.Name, FindResult: FindResult{
					Found: true, Last: true, ID: p.ID, IdentityGroupID: p.IdentityGroupID,
					PassphraseLength: p.PassphraseLength, PolicySetID: p.PolicySetID,
				}})
			}
		}
		res.Last, res.TotalCount = page.Last || len(page.Items) == 0, page.TotalCount
	default:
		return res, temporal.NewNonRetryableApplicationError("unknown survey kind "+in.Kind, ErrExportInvalid, nil)
	}
	return res, nil
}

// PlanRows names rows of a pool as ReadRows would, every one absent, without
// asking R1: for a pool this run has just created, which holds none. It calls
// no R1 API and runs on the workflow task queue.
func (a *Activities) PlanRows(ctx context.Context, in RowsInput) (RowsResult, error) {
	unit, err := a.unit(in.ExportInput, in.PoolKey)
	if err != nil {
		return RowsResult{}, err
	}
	var res RowsResult
	for _, pos := range in.Rows {
		row, err := rowAt(unit, pos)
		if err != nil {
			return RowsResult{}, err
		}
		res.Absent = append(res.Absent, RowRef{Row: pos, Index: row.Index, Username: row.Username, SourcePool: row.SourcePool, SourcePoolName: unit.SourceName(row)})
	}
	return res, nil
}

// exportSecrets is every passphrase of the export's plan, to mask in R1's
// texts about writes of any of its pools.
func (a *Activities) exportSecrets(in ExportInput) ([]string, error) {
	p, err := a.plans.get(in)
	if err != nil {
		return nil, err
	}
	var out []string
	for i := range p.plan.Units {
		for _, r := range p.plan.Units[i].Rows {
			out = append(out, r.Passphrase)
		}
	}
	return out, nil
}
