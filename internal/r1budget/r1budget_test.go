package r1budget

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The answers below have the shapes server 1.29.1 gives (seen on the dev
// server); the end-to-end test reads a live one.

func poller(perSecond float64) *taskqueuepb.PollerInfo {
	return &taskqueuepb.PollerInfo{Identity: "1@host@", RatePerSecond: perSecond}
}

func effective(perSecond float32, src enumspb.RateLimitSource) *workflowservice.DescribeTaskQueueResponse_EffectiveRateLimit {
	return &workflowservice.DescribeTaskQueueResponse_EffectiveRateLimit{RequestsPerSecond: perSecond, RateLimitSource: src}
}

func queueLimit(perSecond *float32, reason string, at time.Time) *taskqueuepb.TaskQueueConfig {
	c := &taskqueuepb.RateLimitConfig{Metadata: &taskqueuepb.ConfigMetadata{Reason: reason, UpdateIdentity: "temporal-cli:ops@jump", UpdateTime: timestamppb.New(at)}}
	if perSecond != nil {
		c.RateLimit = &taskqueuepb.RateLimit{RequestsPerSecond: *perSecond}
	}
	return &taskqueuepb.TaskQueueConfig{QueueRateLimit: c}
}

func ptr[T any](v T) *T { return &v }

func TestFromDescription(t *testing.T) {
	at := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		resp *workflowservice.DescribeTaskQueueResponse
		want Budget
	}{{
		name: "the workers' rate, no queue limit",
		resp: &workflowservice.DescribeTaskQueueResponse{Pollers: []*taskqueuepb.PollerInfo{poller(30)},
			EffectiveRateLimit: effective(30, enumspb.RATE_LIMIT_SOURCE_WORKER)},
		want: Budget{Source: SourceWorker, CallsPerMinute: 1800, WorkerCallsPerMinute: 1800, Workers: 1},
	}, {
		name: "a float32 rate reads back as the whole number it was",
		resp: &workflowservice.DescribeTaskQueueResponse{Pollers: []*taskqueuepb.PollerInfo{poller(54321.0 / 60)},
			EffectiveRateLimit: effective(float32(54321.0/60), enumspb.RATE_LIMIT_SOURCE_WORKER)},
		want: Budget{Source: SourceWorker, CallsPerMinute: 54321, WorkerCallsPerMinute: 54321, Workers: 1},
	}, {
		name: "a lowered queue limit",
		resp: &workflowservice.DescribeTaskQueueResponse{Pollers: []*taskqueuepb.PollerInfo{poller(20), poller(20)},
			Config: queueLimit(ptr[float32](4), "R1 UI busy", at), EffectiveRateLimit: effective(4, enumspb.RATE_LIMIT_SOURCE_API)},
		want: Budget{Source: SourceQueue, CallsPerMinute: 240, WorkerCallsPerMinute: 1200, Workers: 2,
			Reason: "R1 UI busy", SetBy: "temporal-cli:ops@jump", SetAt: at},
	}, {
		name: "a queue limit no worker polls yet: the effective rate is the system's default",
		resp: &workflowservice.DescribeTaskQueueResponse{Config: queueLimit(ptr[float32](2.5), "night", at),
			EffectiveRateLimit: effective(4000, enumspb.RATE_LIMIT_SOURCE_SYSTEM)},
		want: Budget{Source: SourceQueue, CallsPerMinute: 150, Reason: "night", SetBy: "temporal-cli:ops@jump", SetAt: at},
	}, {
		name: "a zero queue limit",
		resp: &workflowservice.DescribeTaskQueueResponse{Pollers: []*taskqueuepb.PollerInfo{poller(20)},
			Config: queueLimit(ptr[float32](0), "stop", at), EffectiveRateLimit: effective(0, enumspb.RATE_LIMIT_SOURCE_API)},
		want: Budget{Source: SourceQueue, CallsPerMinute: 0, WorkerCallsPerMinute: 1200, Workers: 1, Reason: "stop", SetBy: "temporal-cli:ops@jump", SetAt: at},
	}, {
		name: "a removed queue limit keeps its metadata, not its rate",
		resp: &workflowservice.DescribeTaskQueueResponse{Pollers: []*taskqueuepb.PollerInfo{poller(20)},
			Config: queueLimit(nil, "restore", at), EffectiveRateLimit: effective(20, enumspb.RATE_LIMIT_SOURCE_WORKER)},
		want: Budget{Source: SourceWorker, CallsPerMinute: 1200, WorkerCallsPerMinute: 1200, Workers: 1},
	}, {
		name: "the server's cap below the workers'",
		resp: &workflowservice.DescribeTaskQueueResponse{Pollers: []*taskqueuepb.PollerInfo{poller(100)},
			EffectiveRateLimit: effective(50, enumspb.RATE_LIMIT_SOURCE_SYSTEM)},
		want: Budget{Source: SourceSystem, CallsPerMinute: 3000, WorkerCallsPerMinute: 6000, Workers: 1},
	}, {
		name: "nobody polls and nothing is set",
		resp: &workflowservice.DescribeTaskQueueResponse{EffectiveRateLimit: effective(4000, enumspb.RATE_LIMIT_SOURCE_SYSTEM)},
		want: Budget{Source: SourceNone},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.TaskQueue = "q-r1"
			require.Equal(t, tc.want, FromDescription("q-r1", tc.resp))
		})
	}
}
