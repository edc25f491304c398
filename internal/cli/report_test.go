package cli

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReportRefusesAnUnknownFormatBeforeDialling(t *testing.T) {
	for _, args := range [][]string{
		{"report", "migration-1", "--format", "xml"},
		{"report", "--format=CSV", "migration-1"},
	} {
		_, errOut, code := run(t, args...)
		require.Equal(t, ExitFailed, code)
		require.Contains(t, errOut, "use csv or json")
		require.Contains(t, errOut, "Usage: dpskmigrate report")
	}
	_, errOut, code := run(t, "report")
	require.Equal(t, ExitFailed, code)
	require.Contains(t, errOut, "report takes ID")

	out, _, code := run(t, "help", "report")
	require.Equal(t, ExitOK, code)
	for _, s := range []string{"--format FORMAT", "--output FILE", "not recorded", "never R1"} {
		require.Contains(t, out, s)
	}
}
