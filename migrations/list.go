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

// List returns up to limit migrations of the service's task queue: the
// running ones first, newest start first, then the ended ones, most recently
// ended first. It lists MigrationWorkflow executions only (never a pool's
// child), one entry per migration (the runs a migration continued from are
// left out), in two visibility queries whatever the number of migrations.
// Temporal's visibility may show a start or an end a moment late.
func (s *Service) List(ctx context.Context, limit int) ([]Listed, error) {
	if limit < 1 || limit > MaxListLimit {
		return nil, fmt.Errorf("limit %d is out of range: use 1 to %d", limit, MaxListLimit)
	}
	queue := s.taskQueue()
	if strings.ContainsAny(queue, `'"\`) {
		return nil, fmt.Errorf("task queue %q cannot be named in a visibility query", queue)
	}
	migrations := fmt.Sprintf("WorkflowType = '%s' AND TaskQueue = '%s'", workflows.MigrationWorkflowName, queue)
	running, err := s.list(ctx, migrations+" AND ExecutionStatus = 'Running'", limit)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(running, func(a, b Listed) int { return b.StartTime.Compare(a.StartTime) })
	if len(running) == limit {
		return running, nil
	}
	ended, err := s.list(ctx, migrations+" AND ExecutionStatus != 'Running' AND ExecutionStatus != 'ContinuedAsNew'", limit-len(running))
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ended, func(a, b Listed) int { return b.CloseTime.Compare(*a.CloseTime) })
	return append(running, ended...), nil
}

// list reads the first page of up to limit executions that query matches.
func (s *Service) list(ctx context.Context, query string, limit int) ([]Listed, error) {
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
		if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			t := info.GetCloseTime().AsTime().UTC()
			l.CloseTime = &t
		}
		out = append(out, l)
	}
	return out, nil
}
