package cli

import (
	"encoding/json"
	"io"

	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// A verification's differences are named as the trigger names them
// (migrations.Differences) and written as CSV by report.WriteDifferencesCSV:
// the report's columns with the difference in place of the outcome. Never a
// passphrase.

// verifyOutput is verify's JSON document.
type verifyOutput struct {
	MigrationID string                       `json:"migrationId"`
	VerifyID    string                       `json:"verifyId"`
	Status      workflows.Status             `json:"status"` // MATCH, DIFFERENT, CANCELED
	TotalPools  int                          `json:"totalPools"`
	Totals      workflows.VerifyCounts       `json:"totals"`
	Pools       []workflows.VerifyPoolResult `json:"pools"` // the pools that did not match
	Differences []differenceJSON             `json:"differences"`
}

// differenceJSON is a difference with its words, as the CSV's detail column.
type differenceJSON struct {
	report.Difference
	Detail string `json:"detail"`
}

func withDetails(diffs []report.Difference) []differenceJSON {
	out := make([]differenceJSON, len(diffs))
	for i, d := range diffs {
		out[i] = differenceJSON{d, d.Detail()}
	}
	return out
}

func writeDiffJSON(w io.Writer, out verifyOutput) error {
	if out.Pools == nil {
		out.Pools = []workflows.VerifyPoolResult{}
	}
	if out.Differences == nil {
		out.Differences = []differenceJSON{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
