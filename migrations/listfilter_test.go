package migrations

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const digest = "3f2a9c107b1e04aa3f2a9c107b1e04aa3f2a9c107b1e04aa3f2a9c107b1e04aa"

func TestListQueriesAreBuiltFromFixedTextAndQuotedValues(t *testing.T) {
	base := "WorkflowType = 'MigrationWorkflow' AND TaskQueue = 'dpskmigrate'"
	for _, tc := range []struct {
		f                ListFilter
		running, ended   string
		runningOnly, end bool
	}{
		{f: ListFilter{}, running: base + " AND " + qRunning, ended: base + " AND " + qEnded},
		{f: ListFilter{Status: "paused"}, running: base + " AND " + qRunning + " AND DpskPaused = true"},
		{f: ListFilter{Status: "RUNNING"}, running: base + " AND " + qRunning + " AND (DpskPaused IS NULL OR DpskPaused = false)"},
		{f: ListFilter{Status: "partial"}, ended: base + " AND " + qEnded + " AND DpskStatus = 'PARTIAL'"},
		{f: ListFilter{Status: "failed"}, ended: base + " AND " + qEnded + " AND (DpskStatus = 'FAILED' OR ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut'))"},
		{f: ListFilter{Status: "cancelled"}, ended: base + " AND " + qEnded + " AND (DpskStatus = 'CANCELED' OR ExecutionStatus = 'Canceled')"},
		{f: ListFilter{Export: strings.ToUpper(digest)}, running: base + " AND DpskExport = '" + digest + "' AND " + qRunning,
			ended: base + " AND DpskExport = '" + digest + "' AND " + qEnded},
		{f: ListFilter{Export: digest[:8], Status: "completed"}, ended: base + " AND DpskExport STARTS_WITH '3f2a9c10' AND " + qEnded + " AND DpskStatus = 'COMPLETED'"},
	} {
		q, err := tc.f.queries("dpskmigrate")
		require.NoError(t, err, "%+v", tc.f)
		require.Equal(t, listQueries{tc.running, tc.ended}, q, "%+v", tc.f)
	}
}

func TestListFilterRefusesWhatWouldChangeTheQuery(t *testing.T) {
	for _, tc := range []struct {
		f    ListFilter
		want string
	}{
		{ListFilter{Export: digest[:20] + "' OR DpskPaused = true OR 'a' = 'a"}, "is not an export digest"},
		{ListFilter{Export: "'" + digest[1:]}, "is not an export digest"},
		{ListFilter{Export: digest + "0"}, "is not an export digest"},
		{ListFilter{Export: digest[:7]}, "its first 8 or more digits"},
		{ListFilter{Export: "export.json"}, "is not an export digest"},
		{ListFilter{Status: "paused' OR 'a'='a"}, `use running, paused, completed, partial, failed, canceled`},
		{ListFilter{Status: "terminated"}, `status "terminated" is not one List knows`},
		{ListFilter{Limit: -1}, "limit -1 is out of range: use 1 to 200"},
		{ListFilter{Limit: MaxListLimit + 1}, "limit 201 is out of range"},
	} {
		require.ErrorContains(t, tc.f.Validate(), tc.want, "%+v", tc.f)
	}
	require.NoError(t, ListFilter{Limit: MaxListLimit, Status: "Paused", Export: digest}.Validate())
}

func TestQuoteEscapesQuotesAndRefusesWhatStoresReadDifferently(t *testing.T) {
	for in, want := range map[string]string{
		"dpskmigrate":       "'dpskmigrate'",
		"it's":              `'it\'s'`,
		`x' OR 'a'='a`:      `'x\' OR \'a\'=\'a'`,
		`"double" "quotes"`: `'"double" "quotes"'`,
		"":                  "''",
	} {
		got, err := quote(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	for _, in := range []string{`a\`, `a\' OR 1=1`, "a\nb", "a\x00b", "a\x7fb"} {
		_, err := quote(in)
		require.Error(t, err, "%q", in)
	}
	_, err := ListFilter{}.queries(`queue\`)
	require.ErrorContains(t, err, "cannot be named in a visibility query")
}
