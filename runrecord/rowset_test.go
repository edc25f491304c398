package runrecord

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRowSetKeepsRowsAsMergedRanges(t *testing.T) {
	var s RowSet
	for _, r := range []int{5, 3, 4, 10, 12, 11, 0, 1, 3, 20, 2} {
		s.Add(r)
	}
	require.Equal(t, "0-5,10-12,20", s.String())
	require.Equal(t, 10, s.Len())
	require.True(t, s.Contains(11))
	require.False(t, s.Contains(6))
	require.Equal(t, []int{0, 1, 2, 3, 4, 5, 10, 11, 12, 20}, slices.Collect(s.All()))
}

func TestRowSetMatchesAMapUnderRandomInserts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		var s RowSet
		want := map[int]bool{}
		for i := 0; i < 300; i++ {
			r := rng.IntN(150)
			s.Add(r)
			want[r] = true
		}
		got := slices.Collect(s.All())
		require.Len(t, got, len(want))
		require.True(t, slices.IsSorted(got))
		for _, r := range got {
			require.True(t, want[r])
		}
		for i := 1; i < len(s.ranges); i++ {
			require.Greater(t, s.ranges[i].lo, s.ranges[i-1].hi+1, "ranges stay apart: %s", s)
		}
		back, err := ParseRowSet(s.String())
		require.NoError(t, err)
		require.Equal(t, s.String(), back.String())
	}
}

func TestRowSetJSONIsACompactString(t *testing.T) {
	var s RowSet
	for r := 0; r < 12000; r++ {
		if r != 700 {
			s.Add(r)
		}
	}
	b, err := json.Marshal(struct {
		Rows  RowSet `json:"rows"`
		Empty RowSet `json:"empty,omitzero"`
	}{Rows: s})
	require.NoError(t, err)
	require.JSONEq(t, `{"rows":"0-699,701-11999"}`, string(b))

	var back struct{ Rows RowSet }
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, 11999, back.Rows.Len())
}

func TestParseRowSetRefusesMalformedSets(t *testing.T) {
	for _, bad := range []string{"a", "3-1", "-1", "1,1", "0-5,3", "1,,2"} {
		_, err := ParseRowSet(bad)
		require.Error(t, err, bad)
	}
}

func TestFailuresAreGroupedByReasonAndBounded(t *testing.T) {
	var r Rows
	r.Fail(1, "R1 refused: too short")
	r.Fail(2, "R1 refused: too short")
	for i := 0; i < MaxFailureReasons+50; i++ {
		r.Fail(100+i, "distinct "+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	require.LessOrEqual(t, len(r.Failed), MaxFailureReasons+1)
	require.Equal(t, 2+MaxFailureReasons+50, r.FailedCount())
	reason, ok := r.FailureOf(2)
	require.True(t, ok)
	require.Equal(t, "R1 refused: too short", reason)
	reason, _ = r.FailureOf(100 + MaxFailureReasons + 10)
	require.Equal(t, OtherReasons, reason)
}
