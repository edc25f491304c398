package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// Temporal warns of a payload over 512 KiB (limit.blobSize.warn) and refuses
// one over 2 MiB; a migration must stay under the warning whatever its size.
const payloadWarnBytes = 512 << 10

// sampledPoolRuns is how many pool runs bigExport reads, spread over them all.
const sampledPoolRuns = 100

// bigExport: 5,000 pools of one row each on a fast simulator, MaxConcurrent 20:
// the migration completes, and no payload of any of its runs nears
// Temporal's limit. Every parent run is read event by event (its inputs,
// continue-as-new input, children's inputs and results, its result), and a
// sample of the pool runs.
func (b *bench) bigExport() {
	pools := 5000 / b.scale
	r, err := b.tryMigrate(run{
		spec:   sampledata.Spec{Pools: pools, RowsPerPool: 1, Seed: 107},
		sim:    r1sim.Options{ActivityNotFoundFor: 100 * time.Millisecond, ActivityPendingFor: 100 * time.Millisecond},
		budget: 1000000,
		opts:   migrations.Options{ParallelExecution: true, MaxConcurrent: 20},
	})
	outcome := "completed"
	if err != nil {
		outcome = err.Error()
		log.Print(err)
	}
	b.add(Result{Name: "bigexport.completed", Value: boolValue(err == nil), Unit: "bool", Target: "1", Met: met(err == nil),
		Note: fmt.Sprintf("%d pools × 1 passphrase: %s", pools, outcome)})
	b.add(Result{Name: "bigexport.wall", Value: r.wall.Seconds(), Unit: "s",
		Note: fmt.Sprintf("%d R1 calls, no rate limit, no latency", r1Calls(r.stats))})

	s, err := scanPayloads(b.ctx, b.c, r.workflowID)
	must(err)
	b.add(Result{Name: "bigexport.largest_payload", Value: float64(s.payload.size) / 1024, Unit: "KiB", Target: "< 512",
		Met: met(s.payload.size < payloadWarnBytes), Note: s.payload.where})
	b.add(Result{Name: "bigexport.largest_event", Value: float64(s.event.size) / 1024, Unit: "KiB",
		Note: "whole event, a bound on anything it carries: " + s.event.where})
	b.add(Result{Name: "bigexport.max_parent_events", Value: float64(s.maxParentEvents), Unit: "events", Target: "< 10000",
		Met: met(s.maxParentEvents < 10000), Note: fmt.Sprintf("%d parent runs, all read", s.parentRuns)})
	b.add(Result{Name: "bigexport.max_sampled_pool_events", Value: float64(s.maxPoolEvents), Unit: "events", Target: "< 10000",
		Met: met(s.maxPoolEvents < 10000), Note: fmt.Sprintf("%d of %d pool runs read", s.sampledPoolRuns, s.poolRuns)})
}

func boolValue(ok bool) float64 {
	if ok {
		return 1
	}
	return 0
}

// largest is the biggest size seen and where.
type largest struct {
	size  int
	where string
}

func (l *largest) see(size int, where func() string) {
	if size > l.size {
		l.size, l.where = size, where()
	}
}

type payloadScan struct {
	payload, event                 largest
	parentRuns, poolRuns           int
	sampledPoolRuns                int
	maxParentEvents, maxPoolEvents int
}

// scanPayloads reads every run of the migration parentID and a sample of
// its pool runs, for their largest payload and event.
func scanPayloads(ctx context.Context, c client.Client, parentID string) (payloadScan, error) {
	var s payloadScan
	parents, err := listRuns(ctx, c, fmt.Sprintf("WorkflowId = '%s'", parentID))
	if err != nil {
		return s, err
	}
	pools, err := listRuns(ctx, c, fmt.Sprintf("WorkflowId STARTS_WITH '%s/pool/'", parentID))
	if err != nil {
		return s, err
	}
	s.parentRuns, s.poolRuns = len(parents), len(pools)
	for _, ex := range parents {
		n, err := s.scanRun(ctx, c, ex[0], ex[1])
		if err != nil {
			return s, err
		}
		s.maxParentEvents = max(s.maxParentEvents, n)
	}
	step := max(1, len(pools)/sampledPoolRuns)
	for i := 0; i < len(pools); i += step {
		n, err := s.scanRun(ctx, c, pools[i][0], pools[i][1])
		if err != nil {
			return s, err
		}
		s.sampledPoolRuns++
		s.maxPoolEvents = max(s.maxPoolEvents, n)
	}
	return s, nil
}

// listRuns returns the (workflow ID, run ID) of every execution query matches.
func listRuns(ctx context.Context, c client.Client, query string) ([][2]string, error) {
	var out [][2]string
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 1000, NextPageToken: token})
		if err != nil {
			return nil, err
		}
		for _, ex := range resp.Executions {
			out = append(out, [2]string{ex.Execution.WorkflowId, ex.Execution.RunId})
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return out, nil
		}
	}
}

// scanRun reads one run's history and returns its event count.
func (s *payloadScan) scanRun(ctx context.Context, c client.Client, id, run string) (int, error) {
	iter := c.GetWorkflowHistory(ctx, id, run, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return n, err
		}
		n++
		where := func(field string) func() string {
			return func() string {
				return fmt.Sprintf("%s, run %s, event %d %s %s", id, run, ev.EventId, ev.EventType, field)
			}
		}
		s.event.see(ev.Size(), where(""))
		eventPayloads(ev, func(field string, size int) { s.payload.see(size, where(field)) })
	}
	return n, nil
}

// eventPayloads calls see with the size of each blob an event carries that
// Temporal checks against its payload limit: inputs, results, failures,
// memos, headers and search attributes.
func eventPayloads(ev *historypb.HistoryEvent, see func(field string, size int)) {
	see("user metadata", ev.GetUserMetadata().Size())
	if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
		see("input", a.GetInput().Size())
		see("memo", a.GetMemo().Size())
		see("header", a.GetHeader().Size())
		see("search attributes", a.GetSearchAttributes().Size())
	}
	if a := ev.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
		see("input", a.GetInput().Size())
		see("memo", a.GetMemo().Size())
		see("header", a.GetHeader().Size())
		see("search attributes", a.GetSearchAttributes().Size())
		see("failure", a.GetFailure().Size())
		see("last completion result", a.GetLastCompletionResult().Size())
	}
	if a := ev.GetWorkflowExecutionCompletedEventAttributes(); a != nil {
		see("result", a.GetResult().Size())
	}
	if a := ev.GetWorkflowExecutionFailedEventAttributes(); a != nil {
		see("failure", a.GetFailure().Size())
	}
	if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
		see("input", a.GetInput().Size())
		see("header", a.GetHeader().Size())
	}
	if a := ev.GetActivityTaskCompletedEventAttributes(); a != nil {
		see("result", a.GetResult().Size())
	}
	if a := ev.GetActivityTaskFailedEventAttributes(); a != nil {
		see("failure", a.GetFailure().Size())
	}
	if a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil {
		see("input", a.GetInput().Size())
		see("memo", a.GetMemo().Size())
		see("header", a.GetHeader().Size())
		see("search attributes", a.GetSearchAttributes().Size())
	}
	if a := ev.GetChildWorkflowExecutionCompletedEventAttributes(); a != nil {
		see("result", a.GetResult().Size())
	}
	if a := ev.GetChildWorkflowExecutionFailedEventAttributes(); a != nil {
		see("failure", a.GetFailure().Size())
	}
	if a := ev.GetMarkerRecordedEventAttributes(); a != nil {
		for key, p := range a.GetDetails() {
			see("details "+key, p.Size())
		}
		see("failure", a.GetFailure().Size())
	}
	if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
		see("input", a.GetInput().Size())
	}
	if a := ev.GetSignalExternalWorkflowExecutionInitiatedEventAttributes(); a != nil {
		see("input", a.GetInput().Size())
	}
	if a := ev.GetWorkflowPropertiesModifiedEventAttributes(); a != nil {
		see("memo", a.GetUpsertedMemo().Size())
	}
	if a := ev.GetUpsertWorkflowSearchAttributesEventAttributes(); a != nil {
		see("search attributes", a.GetSearchAttributes().Size())
	}
}
