package migrations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/dpskmigrate/dpskmigrate/exportstore"
)

// MinPruneAge is the shortest retention PruneExports accepts: an export is
// stored moments before its migration starts, and Temporal's visibility, which
// PruneExports reads, may show a start late.
const MinPruneAge = time.Hour

// abandonedAfter is when an unfinished upload (.incoming-*) is taken as left
// behind by a process that died while storing it.
const abandonedAfter = time.Hour

// PruneReport says what PruneExports removed (or, in a dry run, would remove).
type PruneReport struct {
	Cutoff  time.Time           // exports stored before it and referenced by no execution go
	DryRun  bool                // nothing was removed: Removed is what would go
	Removed []exportstore.Entry // old unreferenced exports and abandoned uploads
	Kept    []KeptExport        // exports older than the cutoff that an execution still references
	Recent  int                 // exports stored after the cutoff, kept
}

// KeptExport is an old export kept because an execution references it.
type KeptExport struct {
	exportstore.Entry
	WorkflowID string // one execution whose input names it
}

// PruneExports removes the stored exports that are older than olderThan and
// that no execution references, running or closed within olderThan: reports,
// verification and rollback read a migration's export after it ended. It also
// removes uploads left unfinished for over an hour. With dryRun it removes
// nothing and reports what would go.
func (s *Service) PruneExports(ctx context.Context, olderThan time.Duration, dryRun bool) (PruneReport, error) {
	if olderThan < MinPruneAge {
		return PruneReport{}, fmt.Errorf("keep exports for at least %s (asked: %s): an export is stored moments before its migration starts", MinPruneAge, olderThan)
	}
	if s.Store == nil {
		return PruneReport{}, errors.New("no export store to prune")
	}
	now := time.Now()
	rep := PruneReport{Cutoff: now.Add(-olderThan), DryRun: dryRun}
	// Files first, references second: a file stored again meanwhile has a
	// fresh modification time, and Remove keeps it.
	entries, err := s.Store.Entries()
	if err != nil {
		return rep, err
	}
	var stale []exportstore.Entry
	exports := 0
	for _, e := range entries {
		switch {
		case e.Incoming && e.ModTime.Before(now.Add(-abandonedAfter)):
			stale = append(stale, e)
		case e.Incoming:
		case e.ModTime.Before(rep.Cutoff):
			stale = append(stale, e)
			exports++
		default:
			rep.Recent++
		}
	}
	inUse := map[string]string{}
	if exports > 0 {
		if inUse, err = s.ExportsInUse(ctx, rep.Cutoff); err != nil {
			return rep, fmt.Errorf("%w; nothing was removed", err)
		}
	}
	var errs []error
	for _, e := range stale {
		if id, ok := inUse[e.SHA256]; ok && !e.Incoming {
			rep.Kept = append(rep.Kept, KeptExport{Entry: e, WorkflowID: id})
			continue
		}
		if !dryRun {
			err := s.Store.Remove(e)
			if errors.Is(err, exportstore.ErrChanged) {
				continue // stored again since it was listed
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
		}
		rep.Removed = append(rep.Removed, e)
	}
	return rep, errors.Join(errs...)
}

// ExportsInUse returns the digests of the exports that executions reference,
// each with one workflow ID that does: every execution running or closed after
// since, whatever its workflow type, read from the input of its first history
// event. A digest is any "export": {"sha256": ...} in that input.
func (s *Service) ExportsInUse(ctx context.Context, since time.Time) (map[string]string, error) {
	req := &workflowservice.ListWorkflowExecutionsRequest{
		PageSize: 1000,
		Query:    fmt.Sprintf("ExecutionStatus = 'Running' OR CloseTime > '%s'", since.UTC().Format(time.RFC3339)),
	}
	inUse := map[string]string{}
	for {
		resp, err := s.Temporal.ListWorkflow(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("listing the executions in Temporal: %w", err)
		}
		for _, ex := range resp.GetExecutions() {
			ids, err := s.exportsOf(ctx, ex.GetExecution())
			if err != nil {
				return nil, err
			}
			for _, sha := range ids {
				if _, seen := inUse[sha]; !seen {
					inUse[sha] = ex.GetExecution().GetWorkflowId()
				}
			}
		}
		if len(resp.GetNextPageToken()) == 0 {
			return inUse, nil
		}
		req.NextPageToken = resp.GetNextPageToken()
	}
}

// exportsOf reads the export digests in the input of one execution.
func (s *Service) exportsOf(ctx context.Context, ex *commonpb.WorkflowExecution) ([]string, error) {
	it := s.Temporal.GetWorkflowHistory(ctx, ex.GetWorkflowId(), ex.GetRunId(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return nil, nil
	}
	ev, err := it.Next()
	if _, gone := errors.AsType[*serviceerror.NotFound](err); gone {
		return nil, nil // deleted since it was listed: it references nothing now
	}
	if err != nil {
		return nil, fmt.Errorf("reading the history of workflow %s (run %s): %w", ex.GetWorkflowId(), ex.GetRunId(), err)
	}
	started := ev.GetWorkflowExecutionStartedEventAttributes()
	if started == nil {
		return nil, fmt.Errorf("workflow %s (run %s) begins with %s, not WorkflowExecutionStarted", ex.GetWorkflowId(), ex.GetRunId(), ev.GetEventType())
	}
	dc := s.DataConverter
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	var out []string
	for _, p := range started.GetInput().GetPayloads() {
		var v any
		if err := dc.FromPayload(p, &v); err != nil {
			if string(p.GetMetadata()[converter.MetadataEncoding]) == converter.MetadataEncodingJSON {
				return nil, fmt.Errorf("reading the input of workflow %s (run %s): %w", ex.GetWorkflowId(), ex.GetRunId(), err)
			}
			continue // not JSON (binary, protobuf): it holds no export reference
		}
		out = appendExportDigests(out, v)
	}
	return out, nil
}

// appendExportDigests walks decoded JSON for "export": {"sha256": ...}, with
// keys matched as Go's JSON decoding matches them (case-insensitively).
func appendExportDigests(out []string, v any) []string {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if ref, ok := val.(map[string]any); ok && strings.EqualFold(k, "export") {
				for rk, rv := range ref {
					if sha, ok := rv.(string); ok && strings.EqualFold(rk, "sha256") {
						out = append(out, strings.ToLower(sha))
					}
				}
			}
			out = appendExportDigests(out, val)
		}
	case []any:
		for _, val := range x {
			out = appendExportDigests(out, val)
		}
	}
	return out
}
