package cli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseAgeTakesDaysAndGoDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"30d":    30 * 24 * time.Hour,
		"1d":     24 * time.Hour,
		"12h":    12 * time.Hour,
		"36h30m": 36*time.Hour + 30*time.Minute,
		"90m":    90 * time.Minute,
	} {
		got, err := ParseAge(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "d", "1.5d", "-2d", "-1h", "30", "thirty days", "2w"} {
		_, err := ParseAge(in)
		require.Error(t, err, in)
	}
}

func TestStorePruneMistakesAreRefusedBeforeAnythingRuns(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"store"}, "store takes FILE (or --prune --older-than AGE)"},
		{[]string{"store", "--prune", "x.json", "--older-than", "30d"}, `store --prune takes no FILE, got "x.json"`},
		{[]string{"store", "--prune"}, "--prune needs --older-than AGE"},
		{[]string{"store", "--older-than", "30d"}, "apply only with --prune"},
		{[]string{"store", "--dry-run", "x.json"}, "apply only with --prune"},
		{[]string{"store", "--prune", "--older-than", "30m"}, "--older-than 30m is too short: use at least 1h"},
		{[]string{"store", "--prune", "--older-than", "a month"}, "use whole days such as 30d"},
		{[]string{"store", "a.json", "b.json"}, "store takes [FILE], got 2 argument(s)"},
	} {
		out, errOut, code := run(t, tc.args...)
		require.Equal(t, ExitFailed, code, "%v", tc.args)
		require.Contains(t, errOut, tc.want, "%v", tc.args)
		require.Contains(t, errOut, "Usage: dpskmigrate store", "%v", tc.args)
		require.Empty(t, out, "%v", tc.args)
	}
}
