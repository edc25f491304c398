// Package r1budget reads the R1 call budget in force on an R1 task queue from
// the Temporal server: the queue's rate limit while an operator has set one
// (`temporal task-queue config set --queue-rps-limit`), the rate the workers
// poll with (R1_CALLS_PER_MINUTE) otherwise.
package r1budget

import (
	"context"
	"fmt"
	"math"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// Source says where the budget in force comes from.
type Source string

const (
	// SourceQueue: a rate limit set on the queue; it overrides the workers'.
	SourceQueue Source = "queue"
	// SourceWorker: the workers' R1_CALLS_PER_MINUTE (the latest poll's wins).
	SourceWorker Source = "worker"
	// SourceSystem: the server's own cap per queue, lower than either.
	SourceSystem Source = "system"
	// SourceNone: no limit set on the queue and no worker polling it.
	SourceNone Source = "none"
)

// Budget is the R1 call budget in force on one R1 task queue.
type Budget struct {
	TaskQueue string `json:"taskQueue"`
	Source    Source `json:"source"`
	// CallsPerMinute is what the server dispatches to all the queue's workers
	// together; 0 with SourceNone (unknown until a worker polls).
	CallsPerMinute float64 `json:"callsPerMinute"`
	// WorkerCallsPerMinute is the rate the polling workers were started with
	// (R1_CALLS_PER_MINUTE); 0 = no worker polls the queue. Each worker also
	// holds itself to it, so a queue limit above it does not speed a worker up.
	WorkerCallsPerMinute float64 `json:"workerCallsPerMinute,omitempty"`
	Workers              int     `json:"workers"` // processes polling the queue
	// The queue limit's metadata, as given to `temporal task-queue config set`.
	Reason string    `json:"reason,omitempty"`
	SetBy  string    `json:"setBy,omitempty"`
	SetAt  time.Time `json:"setAt,omitzero"`
}

// Read asks the server for the budget in force on the activity task queue
// queue of namespace.
func Read(ctx context.Context, svc workflowservice.WorkflowServiceClient, namespace, queue string) (Budget, error) {
	if namespace == "" {
		namespace = "default"
	}
	resp, err := svc.DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     namespace,
		TaskQueue:     &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: enumspb.TASK_QUEUE_TYPE_ACTIVITY,
		ReportConfig:  true,
	})
	if err != nil {
		return Budget{TaskQueue: queue, Source: SourceNone}, fmt.Errorf("reading the rate limits of task queue %s in namespace %s: %w", queue, namespace, err)
	}
	return FromDescription(queue, resp), nil
}

// FromDescription derives the budget from a DescribeTaskQueue answer made
// with ReportConfig.
func FromDescription(queue string, resp *workflowservice.DescribeTaskQueueResponse) Budget {
	b := Budget{TaskQueue: queue, Source: SourceNone, Workers: len(resp.GetPollers())}
	// Every poll carries the worker's queue-wide rate; the server applies the
	// latest, so with equal settings any poller's value is the one in force.
	var pollerRate float64
	for _, p := range resp.GetPollers() {
		pollerRate = max(pollerRate, p.GetRatePerSecond())
	}
	b.WorkerCallsPerMinute = perMinute(pollerRate)

	eff := resp.GetEffectiveRateLimit()
	limit := resp.GetConfig().GetQueueRateLimit()
	switch {
	case limit.GetRateLimit() != nil:
		// The configuration rather than the effective rate: a partition not
		// yet loaded reports the system's default until a worker polls it.
		b.Source = SourceQueue
		b.CallsPerMinute = perMinute(float64(limit.GetRateLimit().GetRequestsPerSecond()))
		b.Reason = limit.GetMetadata().GetReason()
		b.SetBy = limit.GetMetadata().GetUpdateIdentity()
		if t := limit.GetMetadata().GetUpdateTime(); t != nil {
			b.SetAt = t.AsTime()
		}
	case eff.GetRateLimitSource() == enumspb.RATE_LIMIT_SOURCE_WORKER:
		b.Source = SourceWorker
		b.CallsPerMinute = perMinute(float64(eff.GetRequestsPerSecond()))
	case pollerRate > 0:
		b.Source = SourceWorker
		b.CallsPerMinute = b.WorkerCallsPerMinute
	}
	// The server's own cap wins when it is lower, but only once a worker polls:
	// before that the server reports its default whatever is configured.
	if sys := perMinute(float64(eff.GetRequestsPerSecond())); eff.GetRateLimitSource() == enumspb.RATE_LIMIT_SOURCE_SYSTEM &&
		b.Workers > 0 && b.Source != SourceNone && sys < b.CallsPerMinute {
		b.Source, b.CallsPerMinute = SourceSystem, sys
	}
	return b
}

// perMinute converts the server's requests per second (a float32 on the
// wire) to calls per minute, to a hundredth: 905.35/s is 54321/min.
func perMinute(perSecond float64) float64 {
	return math.Round(perSecond*60*100) / 100
}
