package cloudpath

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEstimateCalls(t *testing.T) {
	tests := []struct {
		rows, want int
	}{
		{0, 9},     // group 4 + pool 4 + one read page
		{1, 11},    // + 1 create + 1 reconcile page
		{500, 510}, // 8 + 1 + 500 + 1
		{501, 513}, // 8 + 2 + 501 + 2
		{10000, 10048},
		{-5, 9},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, EstimateCalls(tt.rows), "EstimateCalls(%d)", tt.rows)
	}
}

func TestSummarizeCountsRowsCallsAndTime(t *testing.T) {
	plan := planTestdata(t, "multi_pool.json", PlanOptions{})
	plan.Units[0].Refused = append(plan.Units[0].Refused, RowOutcome{Index: 9, Username: "x", Reason: "passphrase is empty"})

	s := plan.Summarize(60)
	require.Len(t, s.Pools, 4)
	assert.Equal(t, PoolSummary{Key: plan.Units[0].Key, DisplayName: "North Hall", IdentityGroupName: "North Hall", PoolName: "North Hall",
		Create: 2, Refuse: 1, Refused: plan.Units[0].Refused, EstimatedCalls: EstimateCalls(2)}, s.Pools[0])
	assert.Equal(t, 4, s.TotalCreate)
	assert.Equal(t, 0, s.TotalSkip)
	assert.Equal(t, 1, s.TotalRefuse)
	wantCalls := EstimateCalls(2) + EstimateCalls(1) + EstimateCalls(0) + EstimateCalls(1)
	assert.Equal(t, wantCalls, s.EstimatedCalls)
	assert.Equal(t, time.Duration(wantCalls)*time.Second, s.MinDuration, "60 calls a minute is one a second")
	assert.Equal(t, plan.Warnings, s.Warnings)

	assert.Zero(t, plan.Summarize(0).MinDuration, "no budget, no duration")
	assert.Zero(t, plan.Summarize(-1).MinDuration)
	assert.Equal(t, 1500*time.Millisecond, (&Plan{Units: []PoolUnit{{Rows: make([]Row, 40)}}}).Summarize(2000).MinDuration, "50 calls at 2000/min")
}

func TestWriteTextListsEveryPoolAndEverySkippedOrRefusedRow(t *testing.T) {
	plan := planTestdata(t, "single_pool.json", PlanOptions{NamePrefix: "LS "})
	var out strings.Builder
	require.NoError(t, plan.Summarize(2000).WriteText(&out))
	text := out.String()
	t.Log("\n" + text)

	for _, want := range []string{
		"Plan: 1 pool, 4 to create, 3 skipped, 2 refused",
		"R1 calls: about 14, at least 420ms at 2000 calls/minute",
		"LS Lakeside Residents",
		plan.Units[0].Key,
		"status REVOKED",
		`duplicate username of row 0 (guid "AccountDpsk-0001")`,
		`duplicate passphrase of row 0 (username "apt101_anna")`,
		"passphrase has 6 characters; R1 accepts 8 to 63",
		"username is empty; passphrase is empty",
		`"apt103_chen"`,
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "Warnings:")
}

func TestWriteTextKeepsTheTableIntactWithAwkwardNames(t *testing.T) {
	s := Summary{Pools: []PoolSummary{{Key: "k", IdentityGroupName: "tab\there", PoolName: "new\nline",
		Refused: []RowOutcome{{Index: 1, Username: "a\tb", Reason: "two\nlines"}}, Refuse: 1}},
		TotalRefuse: 1, Warnings: []string{"first\nsecond"}}
	var out strings.Builder
	require.NoError(t, s.WriteText(&out))
	text := out.String()
	assert.Contains(t, text, "tab here")
	assert.Contains(t, text, "new line")
	assert.Contains(t, text, `"a\tb"`)
	assert.Contains(t, text, "two lines")
	assert.Contains(t, text, "  - first second\n")
	assert.NotContains(t, text, "calls/minute")
}

type brokenWriter struct{ after int }

var errBroken = errors.New("pipe closed")

func (w *brokenWriter) Write(b []byte) (int, error) {
	if w.after <= 0 {
		return 0, errBroken
	}
	w.after--
	return len(b), nil
}

func TestWriteTextReportsAWriteFailure(t *testing.T) {
	s := planTestdata(t, "single_pool.json", PlanOptions{}).Summarize(100)
	for after := range 6 {
		assert.ErrorIs(t, s.WriteText(&brokenWriter{after: after}), errBroken, "failing after %d writes", after)
	}
}
