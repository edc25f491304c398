package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// VerifyPageInput reads one page of what a pool holds in R1, to compare with
// the plan.
type VerifyPageInput struct {
	ExportInput
	PoolKey string `json:"poolKey"`
	PoolID  string `json:"poolId"`
	Page    int    `json:"page"` // from 1
}

// VerifyPageSize is how many passphrases one verification read asks for.
const VerifyPageSize = 500

// VerifyPageResult compares one page of R1's passphrases with the plan's rows.
type VerifyPageResult struct {
	Matched runrecord.RowSet `json:"matched,omitzero"` // present exactly as the export has them
	Changed []ChangedRow     `json:"changed,omitempty"`
	Extra   []ExtraRow       `json:"extra,omitempty"` // passphrases the export does not have (to migrate)
	Total   int              `json:"total"`           // passphrases in the pool, as R1 counts them
	Last    bool             `json:"last"`
}

// ChangedRow is a planned row R1 holds differently.
type ChangedRow struct {
	Row          int      `json:"row"`
	Fields       []string `json:"fields"` // passphrase, vlan, expiry, devices
	PassphraseID string   `json:"passphraseId,omitempty"`
	IdentityID   string   `json:"identityId,omitempty"`
}

// ExtraRow is a passphrase in the pool that the export does not migrate.
type ExtraRow struct {
	Username     string `json:"username"`
	PassphraseID string `json:"passphraseId,omitempty"`
	IdentityID   string `json:"identityId,omitempty"`
}

// VerifyPage is one POST /dpskServices/{poolId}/passphrases/query page,
// compared row by row with the plan: passphrase, VLAN, expiry, device limit.
func (a *Activities) VerifyPage(ctx context.Context, in VerifyPageInput) (VerifyPageResult, error) {
	unit, err := a.unit(in.ExportInput, in.PoolKey)
	if err != nil {
		return VerifyPageResult{}, err
	}
	byUser := make(map[string]int, len(unit.Rows))
	secrets := make([]string, 0, len(unit.Rows))
	for i := range unit.Rows {
		byUser[unit.Rows[i].Username] = i
		secrets = append(secrets, unit.Rows[i].Passphrase)
	}
	ctx = r1client.WithSecrets(ctx, secrets...)
	page, err := a.R1.Passphrases.Query(ctx, in.PoolID, r1client.PassphraseQuery{Page: max(in.Page, 1), PageSize: VerifyPageSize, SortField: "createdDate", SortOrder: "ASC"})
	if err != nil {
		return VerifyPageResult{}, r1Error("read the pool's passphrases", err)
	}
	if len(page.Items) > VerifyPageSize {
		return VerifyPageResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("R1 answered a page of %d with %d rows", VerifyPageSize, len(page.Items)), ErrValidation, nil)
	}
	res := VerifyPageResult{Total: page.TotalCount, Last: page.Last}
	for i := range page.Items {
		p := &page.Items[i]
		pos, planned := byUser[p.Username]
		if !planned {
			res.Extra = append(res.Extra, ExtraRow{Username: p.Username, PassphraseID: p.ID, IdentityID: p.IdentityID})
			continue
		}
		if fields := differences(&unit.Rows[pos], p); len(fields) > 0 {
			res.Changed = append(res.Changed, ChangedRow{Row: pos, Fields: fields, PassphraseID: p.ID, IdentityID: p.IdentityID})
			continue
		}
		res.Matched.Add(pos)
	}
	return res, nil
}

// differences names what R1 holds differently from the row. A row without a
// VLAN accepts R1's, as the migration does (it never clears a VLAN).
func differences(row *cloudpath.Row, p *r1client.Passphrase) []string {
	var out []string
	if p.Passphrase != row.Passphrase {
		out = append(out, "passphrase")
	}
	if row.VLANID != 0 && p.VLANID != row.VLANID {
		out = append(out, "vlan")
	}
	if !sameInstant(row.ExpirationDate, p.ExpirationDate) {
		out = append(out, "expiry")
	}
	if p.NumberOfDevicesType != "" && (p.NumberOfDevicesType != row.NumberOfDevicesType ||
		(row.NumberOfDevicesType == "LIMITED" && p.NumberOfDevices != row.NumberOfDevices)) {
		out = append(out, "devices")
	}
	return out
}

func sameInstant(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	x, err1 := time.Parse(time.RFC3339Nano, a)
	y, err2 := time.Parse(time.RFC3339Nano, b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return x.Equal(y)
}
