package stack

import (
	"context"
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// HistorySizes are the event counts of a migration's runs: every run of the
// parent and of each pool workflow (continue-as-new makes several runs).
type HistorySizes struct {
	ParentRuns, PoolRuns     int
	MaxParentEvents          int
	MaxPoolEvents            int
	MaxPoolRunsOfOnePool     int
	TotalParent, TotalPool   int
	LargestPoolWorkflowID    string
	LargestParentWorkflowRun string
}

// MeasureHistories counts the events of every run of the migration parentID.
func MeasureHistories(ctx context.Context, c client.Client, parentID string) (HistorySizes, error) {
	var hs HistorySizes
	runsPerPool := map[string]int{}
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query:         fmt.Sprintf("WorkflowId = '%s' OR WorkflowId STARTS_WITH '%s/pool/'", parentID, parentID),
			PageSize:      1000,
			NextPageToken: token,
		})
		if err != nil {
			return hs, err
		}
		for _, ex := range resp.Executions {
			n, err := countEvents(ctx, c, ex.Execution.WorkflowId, ex.Execution.RunId)
			if err != nil {
				return hs, err
			}
			if ex.Execution.WorkflowId == parentID {
				hs.ParentRuns++
				hs.TotalParent += n
				if n > hs.MaxParentEvents {
					hs.MaxParentEvents, hs.LargestParentWorkflowRun = n, ex.Execution.RunId
				}
				continue
			}
			hs.PoolRuns++
			hs.TotalPool += n
			runsPerPool[ex.Execution.WorkflowId]++
			hs.MaxPoolRunsOfOnePool = max(hs.MaxPoolRunsOfOnePool, runsPerPool[ex.Execution.WorkflowId])
			if n > hs.MaxPoolEvents {
				hs.MaxPoolEvents, hs.LargestPoolWorkflowID = n, ex.Execution.WorkflowId
			}
		}
		token = resp.NextPageToken
		if len(token) == 0 {
			return hs, nil
		}
	}
}

func countEvents(ctx context.Context, c client.Client, id, run string) (int, error) {
	iter := c.GetWorkflowHistory(ctx, id, run, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for iter.HasNext() {
		if _, err := iter.Next(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
