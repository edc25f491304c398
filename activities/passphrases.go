package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// ReadRows asks R1, in one query, which of the given rows the pool holds.
func (a *Activities) ReadRows(ctx context.Context, in RowsInput) (RowsResult, error) {
	unit, err := a.unit(in.ExportInput, in.PoolKey)
	if err != nil {
		return RowsResult{}, err
	}
	if len(in.Rows) > MaxRowsPerRead {
		return RowsResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("ReadRows takes at most %d rows, got %d", MaxRowsPerRead, len(in.Rows)), ErrExportInvalid, nil)
	}
	usernames := make([]string, 0, len(in.Rows))
	passphrases := make([]string, 0, len(in.Rows))
	for _, pos := range in.Rows {
		row, err := rowAt(unit, pos)
		if err != nil {
			return RowsResult{}, err
		}
		usernames = append(usernames, row.Username)
		passphrases = append(passphrases, row.Passphrase)
	}
	ctx = r1client.WithSecrets(ctx, passphrases...)
	page, err := a.R1.Passphrases.Query(ctx, in.PoolID, r1client.PassphraseQuery{Page: 1, PageSize: len(usernames) + 50, Usernames: usernames})
	if err != nil {
		return RowsResult{}, r1Error("query passphrases", err)
	}
	if !page.Last {
		// More matches than rows asked about: R1 ignored the filter or holds
		// duplicates. Guessing would create rows R1 already has.
		return RowsResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("R1 answered a query for %d usernames with more than %d rows; not guessing which exist", len(usernames), len(page.Items)), ErrValidation, nil)
	}
	held := make(map[string][]*r1client.Passphrase, len(page.Items))
	for i := range page.Items {
		p := &page.Items[i]
		held[p.Username] = append(held[p.Username], p)
	}
	var res RowsResult
	for _, pos := range in.Rows {
		row := &unit.Rows[pos]
		ref := RowRef{Row: pos, Index: row.Index, Username: row.Username, SourcePool: row.SourcePool, SourcePoolName: unit.SourceName(row)}
		p, state := compare(row, held[row.Username])
		if p != nil {
			ref.PassphraseID, ref.VLANID = p.ID, p.VLANID
		}
		switch state {
		case rowSame:
			res.Same = append(res.Same, pos)
		case rowVLANDiffers:
			res.VLANFix = append(res.VLANFix, ref)
		case rowConflict:
			res.Conflicts = append(res.Conflicts, ref)
		default:
			res.Absent = append(res.Absent, ref)
		}
	}
	return res, nil
}

// ConflictReason explains a row whose username R1 holds with another passphrase.
const ConflictReason = "R1 already holds this username in the pool with a different passphrase; delete it in R1 or rename the row"

type rowState int

const (
	rowAbsent rowState = iota
	rowSame
	rowVLANDiffers
	rowConflict
)

func compare(row *cloudpath.Row, held []*r1client.Passphrase) (*r1client.Passphrase, rowState) {
	if len(held) == 0 {
		return nil, rowAbsent
	}
	for _, p := range held {
		if p.Passphrase == row.Passphrase {
			// A row without a VLAN adopts whatever R1 has: we never clear a VLAN.
			if row.VLANID != 0 && p.VLANID != row.VLANID {
				return p, rowVLANDiffers
			}
			return p, rowSame
		}
	}
	return held[0], rowConflict
}

// CreatePassphrase creates one row's passphrase. A retried attempt first
// checks whether the earlier attempt landed, so a lost answer never makes a
// duplicate.
func (a *Activities) CreatePassphrase(ctx context.Context, in RowInput) (Accepted, error) {
	unit, err := a.unit(in.ExportInput, in.PoolKey)
	if err != nil {
		return Accepted{}, err
	}
	row, err := rowAt(unit, in.Row)
	if err != nil {
		return Accepted{}, err
	}
	ctx = r1client.WithSecrets(ctx, row.Passphrase)
	if activity.GetInfo(ctx).Attempt > 1 {
		if acc, landed, err := a.earlierCreate(ctx, in.PoolID, row); err != nil || landed {
			return acc, err
		}
	}
	acc, err := a.R1.Passphrases.Create(ctx, in.PoolID, r1client.PassphraseCreate{
		Passphrase:          row.Passphrase,
		Username:            row.Username,
		VLANID:              row.VLANID,
		NumberOfDevicesType: row.NumberOfDevicesType,
		NumberOfDevices:     row.NumberOfDevices,
		ExpirationDate:      row.ExpirationDate,
	})
	if err != nil {
		return Accepted{}, r1Error("create passphrase", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// earlierCreate reads whether an earlier attempt to create row landed:
// landed with R1's passphrase when R1 holds it as the export has it, an error
// when R1 holds the username otherwise or the read cannot be trusted.
func (a *Activities) earlierCreate(ctx context.Context, poolID string, row *cloudpath.Row) (Accepted, bool, error) {
	page, err := a.R1.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{Page: 1, PageSize: 10, Usernames: []string{row.Username}})
	if err != nil {
		return Accepted{}, false, r1Error("check passphrase", err)
	}
	if !page.Last {
		// More than ten rows for one username: R1 ignored the filter. Deciding
		// from an incomplete read could create a duplicate.
		return Accepted{}, false, temporal.NewNonRetryableApplicationError(fmt.Sprintf("R1 answered a query for one username with more than %d rows; not guessing whether the earlier attempt landed", len(page.Items)), ErrValidation, nil)
	}
	held := make([]*r1client.Passphrase, 0, len(page.Items))
	for i := range page.Items {
		if page.Items[i].Username == row.Username {
			held = append(held, &page.Items[i])
		}
	}
	switch p, state := compare(row, held); state {
	case rowSame:
		return Accepted{ID: p.ID, Existing: true}, true, nil
	case rowVLANDiffers:
		return Accepted{}, false, temporal.NewNonRetryableApplicationError(fmt.Sprintf("R1 holds this passphrase with VLAN %d, the export says %d; run the migration again to patch it", p.VLANID, row.VLANID), ErrConflict, nil)
	case rowConflict:
		return Accepted{}, false, temporal.NewNonRetryableApplicationError(ConflictReason, ErrConflict, nil)
	}
	return Accepted{}, false, nil
}

// PatchPassphraseVLAN sets the row's VLAN on the passphrase R1 already holds.
func (a *Activities) PatchPassphraseVLAN(ctx context.Context, in PatchVLANInput) (Accepted, error) {
	unit, err := a.unit(in.ExportInput, in.PoolKey)
	if err != nil {
		return Accepted{}, err
	}
	row, err := rowAt(unit, in.Row)
	if err != nil {
		return Accepted{}, err
	}
	vlan := row.VLANID
	ctx = r1client.WithSecrets(ctx, row.Passphrase)
	acc, err := a.R1.Passphrases.Patch(ctx, in.PoolID, in.PassphraseID, r1client.PassphrasePatch{VLANID: &vlan})
	if err != nil {
		return Accepted{}, r1Error("patch passphrase VLAN", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}
