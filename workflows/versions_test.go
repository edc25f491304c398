package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestThePerPoolDefaultSharesSixtyInFlightAcrossThePoolsAtOnce(t *testing.T) {
	parallel := func(maxConcurrent, given int) MigrationInput {
		return MigrationInput{ParallelExecution: true, MaxConcurrent: maxConcurrent, PassphraseConcurrency: given}
	}
	for _, tc := range []struct {
		in    MigrationInput
		pools int
		want  int
	}{
		{parallel(20, 0), 1, 30},   // one pool of 12,000 rows
		{parallel(20, 0), 2, 30},   // 60/2
		{parallel(20, 0), 3, 20},   // 60/3
		{parallel(5, 0), 100, 12},  // 60/5
		{parallel(20, 0), 100, 10}, // never below the old default
		{parallel(20, 7), 1, 7},    // the user's choice stands
		{MigrationInput{MaxConcurrent: 5}, 10, 1},
	} {
		require.Equal(t, tc.want, tc.in.PerPool(tc.pools), "%+v with %d pools", tc.in, tc.pools)
	}
}
