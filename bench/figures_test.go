package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
)

func TestTheFloorIsOneCreatePerPassphraseGroupAndPool(t *testing.T) {
	for _, tc := range []struct {
		passphrases, pools, budget int
		want                       time.Duration
	}{
		{10000, 100, 1800, 340 * time.Second},
		{12000, 1, 1800, 400*time.Second + 66666666*time.Nanosecond}, // 12,002 calls at 30 a second
		{10000, 1000, 1800, 400 * time.Second},
		{1800, 0, 1800, time.Minute},
	} {
		require.Equal(t, tc.want, floorTime(tc.passphrases, tc.pools, tc.budget), "%+v", tc)
	}
}

func TestQuickShapesKeepTheirPoolSize(t *testing.T) {
	require.Equal(t, shape{pools: 10, rowsPerPool: 100}, shape{pools: 100, rowsPerPool: 100}.scaled(10))
	require.Equal(t, shape{pools: 100, rowsPerPool: 10}, shape{pools: 1000, rowsPerPool: 10}.scaled(10))
	require.Equal(t, shape{pools: 1, rowsPerPool: 1000}, shape{pools: 10, rowsPerPool: 1000}.scaled(10))
	require.Equal(t, shape{pools: 1, rowsPerPool: 1200}, shape{pools: 1, rowsPerPool: 12000}.scaled(10))
	require.Equal(t, shape{pools: 1, rowsPerPool: 12000}, shape{pools: 1, rowsPerPool: 12000}.scaled(1))
}

func TestThePeakRateIsTheBusiestWindow(t *testing.T) {
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s := &callSamples{}
	// 10 calls a second for 2 minutes, with a burst of 600 calls in one
	// second at 60 s: the busiest minute holds 600 calls more than the others.
	calls := 0
	for i := 0; i <= 120; i++ {
		calls += 10
		if i == 60 {
			calls += 600
		}
		s.times = append(s.times, start.Add(time.Duration(i)*time.Second))
		s.calls = append(s.calls, calls)
	}
	perMinute, window := s.peakRate(3 * time.Minute)
	require.Equal(t, time.Minute, window)
	require.InDelta(t, 600+600, perMinute, 10)

	// A short run is judged over a third of it, at least 10 s.
	_, window = s.peakRate(45 * time.Second)
	require.Equal(t, 15*time.Second, window)
	_, window = s.peakRate(12 * time.Second)
	require.Equal(t, 10*time.Second, window)
}

func TestPayloadsAreFoundWhereverTheEventCarriesThem(t *testing.T) {
	payloads := func(n int) *commonpb.Payloads {
		return &commonpb.Payloads{Payloads: []*commonpb.Payload{{Data: make([]byte, n)}}}
	}
	for _, tc := range []struct {
		name  string
		event *historypb.HistoryEvent
		field string
	}{
		{"continue-as-new input", &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes{
			WorkflowExecutionContinuedAsNewEventAttributes: &historypb.WorkflowExecutionContinuedAsNewEventAttributes{Input: payloads(70000)}}}, "input"},
		{"workflow result", &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{
			WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{Result: payloads(70000)}}}, "result"},
		{"child input", &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_StartChildWorkflowExecutionInitiatedEventAttributes{
			StartChildWorkflowExecutionInitiatedEventAttributes: &historypb.StartChildWorkflowExecutionInitiatedEventAttributes{Input: payloads(70000)}}}, "input"},
		{"activity result", &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{
			ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{Result: payloads(70000)}}}, "result"},
		{"signal input", &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{
			WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{Input: payloads(70000)}}}, "input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got largest
			eventPayloads(tc.event, func(field string, size int) { got.see(size, func() string { return field }) })
			require.Equal(t, tc.field, got.where)
			require.GreaterOrEqual(t, got.size, 70000)
			require.Less(t, got.size, 70100)
		})
	}
}
