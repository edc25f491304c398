package migrations

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// Limits of List.
const (
	DefaultListLimit = 50
	MaxListLimit     = 200
)

// Listed is one migration in a list: what Temporal's visibility knows of it.
type Listed struct {
	WorkflowID string     `json:"workflowId"`
	RunID      string     `json:"runId"`
	State      string     `json:"state"` // as Status.State
	StartTime  time.Time  `json:"startTime"`
	CloseTime  *time.Time `json:"closeTime,omitempty"`
	UIURL      string     `json:"uiUrl,omitempty"`
}

// List returns up to limit migrations of the service's task queue, newest
// start first: MigrationWorkflow executions only (never a pool's child), one
// entry per migration (the runs a migration continued from are left out). It
// reads Temporal's visibility, which may show a start a moment late.
func (s *Service) List(ctx context.Context, limit int) ([]Listed, error) {
	if limit < 1 || limit > MaxListLimit {
		return nil, fmt.Errorf("limit %d is out of range: use 1 to %d", limit, MaxListLimit)
	}
	queue := s.taskQueue()
	if strings.ContainsAny(queue, `'"\`) {
		return nil, fmt.Errorf("task queue %q cannot be named in a visibility query", queue)
	}
	query := fmt.Sprintf("WorkflowType = '%s' AND TaskQueue = '%s' AND ExecutionStatus != 'ContinuedAsNew'",
		workflows.MigrationWorkflowName, queue)
	resp, err := s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		PageSize: int32(limit), Query: query, // the client's namespace
	})
	if err != nil {
		return nil, fmt.Errorf("listing migrations: %w", err)
	}
	out := make([]Listed, 0, len(resp.GetExecutions()))
	for _, info := range resp.GetExecutions() {
		if len(out) == limit {
			break
		}
		id := info.GetExecution().GetWorkflowId()
		l := Listed{
			WorkflowID: id,
			RunID:      info.GetExecution().GetRunId(),
			State:      strings.TrimPrefix(enumspb.WorkflowExecutionStatus_name[int32(info.GetStatus())], "WORKFLOW_EXECUTION_STATUS_"),
			StartTime:  info.GetStartTime().AsTime().UTC(),
			UIURL:      s.UIURL(id),
		}
		if info.GetCloseTime() != nil && info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			t := info.GetCloseTime().AsTime().UTC()
			l.CloseTime = &t
		}
		out = append(out, l)
	}
	// Visibility orders running executions first, then by close time.
	slices.SortStableFunc(out, func(a, b Listed) int { return b.StartTime.Compare(a.StartTime) })
	return out, nil
}
