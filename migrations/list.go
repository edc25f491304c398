package migrations

import (
	"context"
	"fmt"
	"slices"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// Limits of List.
const (
	DefaultListLimit = 50
	MaxListLimit     = 200
)

// Listed is one migration in a list: what Temporal's visibility knows of it,
// its search attributes included (a migration that has not planned its
// export yet, or began before they were kept, has none of them).
type Listed struct {
	WorkflowID string     `json:"workflowId"`
	RunID      string     `json:"runId"`
	State      string     `json:"state"` // as Status.State
	StartTime  time.Time  `json:"startTime"`
	CloseTime  *time.Time `json:"closeTime,omitempty"`
	UIURL      string     `json:"uiUrl,omitempty"`
	// Status is the migration's outcome as `status` names it: RUNNING while
	// it runs; COMPLETED, PARTIAL, FAILED or CANCELED once it ended with a
	// result; the Temporal state otherwise (TERMINATED, TIMED_OUT).
	Status      string `json:"status"`
	Paused      bool   `json:"paused,omitempty"`
	PoolsDone   *int   `json:"poolsDone,omitempty"`   // pools finished, failed ones apart
	PoolsFailed *int   `json:"poolsFailed,omitempty"` //
	FirstPool   string `json:"firstPool,omitempty"`   // the first pool's display name
	Export      string `json:"export,omitempty"`      // the export's SHA-256
	Tenant      string `json:"tenant,omitempty"`      // the R1 tenant
}

// List returns up to f.Limit migrations of the service's task queue that
// match f: the running ones first, newest start first, then the ended ones,
// most recently ended first. It lists MigrationWorkflow executions only
// (never a pool's child), one entry per migration (the runs a migration
// continued from are left out), in at most two visibility queries whatever
// the number of migrations. Temporal's visibility may show a start, an end or
// a pause a moment late.
func (s *Service) List(ctx context.Context, f ListFilter) ([]Listed, error) {
	q, err := f.queries(s.taskQueue())
	if err != nil {
		return nil, err
	}
	limit := f.limit()
	var running []Listed
	if q.running != "" {
		if running, err = s.list(ctx, q.running, limit); err != nil {
			return nil, err
		}
		slices.SortStableFunc(running, func(a, b Listed) int { return b.StartTime.Compare(a.StartTime) })
	}
	if len(running) == limit || q.ended == "" {
		return running, nil
	}
	ended, err := s.list(ctx, q.ended, limit-len(running))
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
			State:      statusName(info.GetStatus()),
			StartTime:  info.GetStartTime().AsTime().UTC(),
			UIURL:      s.UIURL(id),
		}
		if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			t := info.GetCloseTime().AsTime().UTC()
			l.CloseTime = &t
		}
		l.searchAttributes(info.GetSearchAttributes())
		out = append(out, l)
	}
	return out, nil
}

// searchAttributes fills in what the migration's search attributes say.
// Search attributes are never encrypted: the default converter reads them.
func (l *Listed) searchAttributes(sa *commonpb.SearchAttributes) {
	fields := sa.GetIndexedFields()
	dc := converter.GetDefaultDataConverter()
	str := func(name string) string {
		var v string
		if p, ok := fields[name]; ok && dc.FromPayload(p, &v) == nil {
			return v
		}
		return ""
	}
	num := func(name string) *int {
		var v int64
		if p, ok := fields[name]; ok && dc.FromPayload(p, &v) == nil {
			n := int(v)
			return &n
		}
		return nil
	}
	if p, ok := fields[workflows.SAPaused.GetName()]; ok {
		_ = dc.FromPayload(p, &l.Paused)
	}
	l.FirstPool, l.Export, l.Tenant = str(workflows.SAFirstPool.GetName()), str(workflows.SAExport.GetName()), str(workflows.SATenant.GetName())
	l.PoolsDone, l.PoolsFailed = num(workflows.SAPoolsDone.GetName()), num(workflows.SAPoolsFailed.GetName())
	l.Status = l.State
	if l.State != "RUNNING" {
		l.Paused = false // a pause ends with the migration
		if st := str(workflows.SAStatus.GetName()); endStatuses[st] {
			l.Status = st
		}
	}
}

// endStatuses are the outcomes a migration records in DpskStatus when it ends.
var endStatuses = map[string]bool{
	string(workflows.StatusCompleted): true, string(workflows.StatusPartial): true,
	string(workflows.StatusFailed): true, string(workflows.StatusCanceled): true,
}
