package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/bulkimport"
)

// ImportInput names rows of a pool to send in one CSV import, by position in
// the pool's plan. The file is built in the activity from the export store:
// neither it nor a passphrase enters Temporal.
type ImportInput struct {
	ExportInput
	PoolKey string `json:"poolKey"`
	PoolID  string `json:"poolId"`
	Rows    []int  `json:"rows"` // at most MaxImportRows
}

// MaxImportRows is how many rows one ImportPassphrases call looks at: one
// file's worth (R1 takes at most 10,000 entries a file).
const MaxImportRows = bulkimport.MaxEntries

// ImportResult says what one import sent. Every row asked about is in
// exactly one of Carried, Rest and PerRow.
type ImportResult struct {
	// RequestID is R1's activity for the file; "" when no row could be
	// carried and nothing was sent.
	RequestID string `json:"requestId,omitempty"`
	// Carried are the rows the file held, in the order asked. Whether R1
	// made them is known only by reading them back (ReadRows) once the
	// activity is done: R1's handling of a file is not established.
	Carried []int `json:"carried,omitempty"`
	// Rest are rows the CSV can carry that did not fit in this file (5 MB):
	// send them in another call.
	Rest []int `json:"rest,omitempty"`
	// PerRow are rows the CSV cannot carry exactly (bulkimport.Reason): an
	// expiry date, for one. Create them one by one.
	PerRow []int `json:"perRow,omitempty"`
}

// ImportPassphrases sends the rows the CSV can carry, as many as one file
// holds, in one R1 request, and returns R1's request id. A refused file
// (a changed template header, an entry R1 will not take) is a non-retryable
// R1Validation error; the rows are then to be created one by one.
//
// A retried attempt sends the file again. If an earlier attempt reached R1
// and only its answer was lost, R1 refuses the entries it already holds (the
// simulator fails the whole file in its activity); reading the rows back
// after the import, whatever its outcome, finds them.
//
// R1's failure text may quote any passphrase of the file: read the activity
// with ReadR1Activities and Rows set to the carried rows, so they are masked.
func (a *Activities) ImportPassphrases(ctx context.Context, in ImportInput) (ImportResult, error) {
	if len(in.Rows) > MaxImportRows {
		return ImportResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("ImportPassphrases takes at most %d rows, got %d", MaxImportRows, len(in.Rows)), ErrExportInvalid, nil)
	}
	unit, err := a.unit(in.ExportInput, in.PoolKey)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	entries := make([]bulkimport.Entry, 0, len(in.Rows))
	carried := make([]int, 0, len(in.Rows))
	for _, pos := range in.Rows {
		row, err := rowAt(unit, pos)
		if err != nil {
			return ImportResult{}, err
		}
		e, ok := bulkimport.EntryOf(row)
		if !ok {
			res.PerRow = append(res.PerRow, pos)
			continue
		}
		entries = append(entries, e)
		carried = append(carried, pos)
	}
	n := bulkimport.Fit(entries)
	if n == 0 {
		return res, nil
	}
	res.Carried, res.Rest = carried[:n], carried[n:]
	if len(res.Rest) == 0 {
		res.Rest = nil
	}
	acc, err := a.R1.Passphrases.ImportCSV(ctx, in.PoolID, bulkimport.File(entries[:n]))
	if err != nil {
		return ImportResult{}, r1Error("import passphrases", err)
	}
	res.RequestID = acc.RequestID
	return res, nil
}
