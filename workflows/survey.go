package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// PoolSurvey is what the migration's survey of R1 saw of a pool's names just
// before the run's pools started: a nil object is one R1 did not hold, so the
// pool creates it without looking for it first.
type PoolSurvey struct {
	Group *activities.FindResult `json:"group,omitempty"`
	Pool  *activities.FindResult `json:"pool,omitempty"`
}

// survey reads R1's identity groups and DPSK pools once for the run's pools,
// a page per activity, instead of a lookup per pool and name. It gives up (the
// pools look up for themselves) when R1 holds more pages than the lookups it
// would save, or when a page cannot be read.
func (m *migration) survey(ctx workflow.Context) map[string]*PoolSurvey {
	if len(m.pending) == 0 {
		return nil
	}
	var groupNames, poolNames []string
	seenG, seenP := map[string]bool{}, map[string]bool{}
	for _, p := range m.pending {
		if !seenG[p.IdentityGroupName] {
			seenG[p.IdentityGroupName] = true
			groupNames = append(groupNames, p.IdentityGroupName)
		}
		if !seenP[p.PoolName] {
			seenP[p.PoolName] = true
			poolNames = append(poolNames, p.PoolName)
		}
	}
	if len(groupNames)+len(poolNames) > activities.MaxSurveyNames {
		return nil
	}
	groups, ok := m.surveyKind(ctx, activities.SurveyGroups, groupNames, activities.SurveyGroupPageSize)
	if !ok {
		return nil
	}
	pools, ok := m.surveyKind(ctx, activities.SurveyPools, poolNames, activities.SurveyPoolPageSize)
	if !ok {
		return nil
	}
	out := make(map[string]*PoolSurvey, len(m.pending))
	for _, p := range m.pending {
		out[p.Key] = &PoolSurvey{Group: groups[p.IdentityGroupName], Pool: pools[p.PoolName]}
	}
	return out
}

func (m *migration) surveyKind(ctx workflow.Context, kind string, names []string, pageSize int) (map[string]*activities.FindResult, bool) {
	const maxPages = 200
	r1 := r1Context(ctx, m.in.ActivityTimeout)
	found := map[string]*activities.FindResult{}
	for page := 0; page < maxPages; page++ {
		m.awaitRunning(ctx)
		var res activities.SurveyResult
		if err := workflow.ExecuteActivity(r1, a.Survey, activities.SurveyInput{Kind: kind, Page: page, Names: names}).Get(ctx, &res); err != nil {
			return nil, false
		}
		if page == 0 && (res.TotalCount+pageSize-1)/pageSize > len(names) {
			return nil, false // cheaper to look each name up
		}
		for _, f := range res.Found {
			if found[f.Name] == nil {
				found[f.Name] = &f.FindResult
			}
		}
		if res.Last {
			return found, true
		}
	}
	return nil, false
}
