package cli

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// A verification's differences, one row each, in the report's row format
// (`dpskmigrate report`): the same columns, with the difference in place of
// the outcome. Never a passphrase.

// Differences a verification finds.
const (
	diffMissing = "missing" // a planned row R1 does not hold
	diffChanged = "changed" // a planned row R1 holds differently
	diffExtra   = "extra"   // a passphrase R1 holds in the pool that the plan does not migrate
)

// diffRow is one row R1 holds differently from the plan.
type diffRow struct {
	R1Pool        string `json:"r1Pool"`
	CloudpathPool string `json:"cloudpathPool,omitempty"`
	// Index is the row's position among its Cloudpath pool's DPSKs, from 0;
	// nil for an extra passphrase, which the export does not have.
	Index        *int     `json:"index,omitempty"`
	Username     string   `json:"username"`
	GUID         string   `json:"cloudpathGuid,omitempty"`
	Difference   string   `json:"difference"`
	Detail       string   `json:"detail"`
	Fields       []string `json:"fields,omitempty"` // changed: passphrase, vlan, expiry, devices
	PassphraseID string   `json:"passphraseId,omitempty"`
	IdentityID   string   `json:"identityId,omitempty"`
	poolKey      string
}

// diffColumns is the CSV header: the report's columns, with the difference
// in place of the outcome.
var diffColumns = []string{"r1_pool", "cloudpath_pool", "index", "username", "cloudpath_guid", "difference", "detail", "passphrase_id", "identity_id"}

// differences names every row the verification found different, pool by pool
// in the order of its result, each pool's planned rows in export order
// (missing and changed), then its extra passphrases. pools holds the
// differing pools' own results (their row lists); plan is the migration's
// plan as the verification made it, whose rows the lists are positions in.
func differences(plan *cloudpath.Plan, res workflows.VerifyResult, pools map[string]workflows.VerifyPoolResult) []diffRow {
	units := make(map[string]*cloudpath.PoolUnit, len(plan.Units))
	for i := range plan.Units {
		units[plan.Units[i].Key] = &plan.Units[i]
	}
	var out []diffRow
	for _, p := range res.Pools {
		pr, ok := pools[p.Key]
		u := units[p.Key]
		if !ok || u == nil || p.Status != workflows.VerifyDifferent {
			continue
		}
		type planned struct {
			pos int
			row diffRow
		}
		var rows []planned
		add := func(pos int, kind string, c *activities.ChangedRow) {
			if pos < 0 || pos >= len(u.Rows) {
				return
			}
			r := &u.Rows[pos]
			index := r.Index
			d := diffRow{R1Pool: u.PoolName, Index: &index, Username: r.Username, GUID: r.GUID, Difference: kind, poolKey: u.Key,
				Detail: "R1 does not hold this row"}
			if pr.PoolID == "" {
				d.Detail = "R1 has no DPSK pool of this name"
			}
			if j := slices.IndexFunc(u.Sources, func(s cloudpath.PoolSource) bool { return s.Index == r.SourcePool }); j >= 0 {
				d.CloudpathPool = u.Sources[j].DisplayName
			}
			if c != nil {
				d.Fields, d.PassphraseID, d.IdentityID = c.Fields, c.PassphraseID, c.IdentityID
				d.Detail = "R1 holds it with another " + strings.Join(c.Fields, ", ")
			}
			rows = append(rows, planned{pos, d})
		}
		for pos := range pr.Missing.All() {
			add(pos, diffMissing, nil)
		}
		for i := range pr.Changed {
			add(pr.Changed[i].Row, diffChanged, &pr.Changed[i])
		}
		slices.SortStableFunc(rows, func(a, b planned) int { return cmp.Compare(a.pos, b.pos) })
		for _, r := range rows {
			out = append(out, r.row)
		}
		for _, x := range pr.Extra {
			out = append(out, diffRow{R1Pool: u.PoolName, Username: x.Username, Difference: diffExtra, poolKey: u.Key,
				Detail: "R1 holds this passphrase in the pool; the export does not migrate it", PassphraseID: x.PassphraseID, IdentityID: x.IdentityID})
		}
	}
	return out
}

// writeDiffCSV writes the header and a line per difference, quoted as the
// report is (a cell a spreadsheet would run as a formula gets a leading ').
func writeDiffCSV(w io.Writer, rows []diffRow) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(diffColumns); err != nil {
		return err
	}
	for _, d := range rows {
		index := ""
		if d.Index != nil {
			index = strconv.Itoa(*d.Index)
		}
		if err := cw.Write([]string{defuse(d.R1Pool), defuse(d.CloudpathPool), index, defuse(d.Username), defuse(d.GUID),
			d.Difference, defuse(d.Detail), defuse(d.PassphraseID), defuse(d.IdentityID)}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// defuse is the report's CSV cell rule (OWASP's CSV injection advice).
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// verifyOutput is verify's JSON document.
type verifyOutput struct {
	MigrationID string                       `json:"migrationId"`
	VerifyID    string                       `json:"verifyId"`
	Status      workflows.Status             `json:"status"` // MATCH, DIFFERENT, CANCELED
	TotalPools  int                          `json:"totalPools"`
	Totals      workflows.VerifyCounts       `json:"totals"`
	Pools       []workflows.VerifyPoolResult `json:"pools"` // the pools that did not match
	Differences []diffRow                    `json:"differences"`
}

func writeDiffJSON(w io.Writer, out verifyOutput) error {
	if out.Pools == nil {
		out.Pools = []workflows.VerifyPoolResult{}
	}
	if out.Differences == nil {
		out.Differences = []diffRow{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
