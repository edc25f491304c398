package report

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// Kind is how R1 differs from the plan for one row, as a verification found it.
type Kind string

// The differences a verification finds.
const (
	Missing Kind = "missing" // a planned row R1 does not hold
	Changed Kind = "changed" // a planned row R1 holds differently (Fields say what)
	Extra   Kind = "extra"   // a passphrase R1 holds in the pool that the plan does not migrate
)

// Difference is one row a verification found different in R1: a row of the
// export (missing or changed), or a passphrase of the pool that the export
// does not have (extra: no index, no GUID). Never the passphrase itself.
type Difference struct {
	R1Pool        string `json:"r1Pool"`
	CloudpathPool string `json:"cloudpathPool,omitempty"`
	// Index is the row's position among its Cloudpath pool's DPSKs, from 0;
	// nil for an extra passphrase.
	Index        *int     `json:"index,omitempty"`
	Username     string   `json:"username"`
	GUID         string   `json:"cloudpathGuid,omitempty"`
	Kind         Kind     `json:"difference"`
	Fields       []string `json:"fields,omitempty"` // changed: passphrase, vlan, expiry, devices
	PassphraseID string   `json:"passphraseId,omitempty"`
	IdentityID   string   `json:"identityId,omitempty"`
	// NoR1Pool says a missing row is missing because R1 has no DPSK pool of
	// its pool's name at all.
	NoR1Pool bool `json:"noR1Pool,omitempty"`
}

// Detail says the difference in words, for the CSV and for people.
func (d Difference) Detail() string {
	switch d.Kind {
	case Missing:
		if d.NoR1Pool {
			return "R1 has no DPSK pool of this name"
		}
		return "R1 does not hold this row"
	case Changed:
		return "R1 holds it with another " + strings.Join(d.Fields, ", ")
	case Extra:
		return "R1 holds this passphrase in the pool; the export does not migrate it"
	}
	return ""
}

// DifferenceColumns is the CSV header of a verification's differences: the
// report's columns, with the difference in place of the outcome.
var DifferenceColumns = []string{"r1_pool", "cloudpath_pool", "index", "username", "cloudpath_guid", "difference", "detail", "passphrase_id", "identity_id"}

// WriteDifferencesCSV writes the header and one line per difference, with the
// report's quoting and formula defusing.
func WriteDifferencesCSV(w io.Writer, diffs []Difference) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(DifferenceColumns); err != nil {
		return err
	}
	rec := make([]string, len(DifferenceColumns))
	for _, d := range diffs {
		rec[0] = cell(d.R1Pool)
		rec[1] = cell(d.CloudpathPool)
		rec[2] = ""
		if d.Index != nil {
			rec[2] = strconv.Itoa(*d.Index)
		}
		rec[3] = cell(d.Username)
		rec[4] = cell(d.GUID)
		rec[5] = string(d.Kind)
		rec[6] = cell(d.Detail())
		rec[7] = cell(d.PassphraseID)
		rec[8] = cell(d.IdentityID)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// DifferencesFileName is a safe file name for the differences a
// verification found, e.g. differences-verify-campus-1a2b3c.csv.
func DifferencesFileName(verifyID string) string {
	return "differences-" + strings.TrimPrefix(FileName(verifyID, "csv"), "report-")
}
