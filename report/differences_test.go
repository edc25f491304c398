package report_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/report"
)

// A verification's differences as CSV: the report's columns with the
// difference and its words, no index for an extra passphrase, and a cell a
// spreadsheet would run defused as in the report.
func TestDifferencesCSVNamesEachRowAndDefusesFormulas(t *testing.T) {
	seven := 7
	var buf bytes.Buffer
	require.NoError(t, report.WriteDifferencesCSV(&buf, []report.Difference{
		{R1Pool: "Lobby", CloudpathPool: "Lobby", Index: &seven, Username: "=HYPERLINK(\"x\")", GUID: "g-7", Kind: report.Changed,
			Fields: []string{"vlan", "expiry"}, PassphraseID: "p-1", IdentityID: "i-1"},
		{R1Pool: "Lobby", Username: "+stranger", Kind: report.Extra, PassphraseID: "p-2"},
	}))
	recs, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Equal(t, [][]string{report.DifferenceColumns,
		{"Lobby", "Lobby", "7", "'=HYPERLINK(\"x\")", "g-7", "changed", "R1 holds it with another vlan, expiry", "p-1", "i-1"},
		{"Lobby", "", "", "'+stranger", "", "extra", "R1 holds this passphrase in the pool; the export does not migrate it", "p-2", ""},
	}, recs)
	require.Equal(t, "differences-verify-campus-1a2b3c.csv", report.DifferencesFileName("verify-campus-1a2b3c"))
	require.Equal(t, "differences-a_b.csv", report.DifferencesFileName("a/b"))
}
