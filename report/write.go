package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Columns is the CSV header, in order.
var Columns = []string{"r1_pool", "cloudpath_pool", "index", "username", "cloudpath_guid", "outcome", "detail", "passphrase_id", "identity_id"}

// WriteCSV writes the header and one line per row, row by row (RFC 4180
// quoting; lines end in \n). A text cell that a spreadsheet would run as
// a formula (it starts with =, +, -, @, a tab or a carriage return) gets a
// leading ' so that opening the report never runs what an export holds.
func (r *Report) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	rec := make([]string, len(Columns))
	for i := range r.Rows {
		row := &r.Rows[i]
		rec[0] = cell(row.R1Pool)
		rec[1] = cell(row.CloudpathPool)
		rec[2] = strconv.Itoa(row.Index)
		rec[3] = cell(row.Username)
		rec[4] = cell(row.GUID)
		rec[5] = string(row.Outcome)
		rec[6] = cell(row.Detail)
		rec[7] = cell(row.PassphraseID)
		rec[8] = cell(row.IdentityID)
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

// cell defuses a spreadsheet formula (OWASP's CSV injection advice).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteJSON writes the report as one JSON document, the rows one per line,
// without holding the whole document in memory.
func (r *Report) WriteJSON(w io.Writer) error {
	head := *r
	head.Rows = nil
	b, err := json.Marshal(struct {
		Report
		Rows *struct{} `json:"rows,omitempty"` // hides Report's: the rows follow, streamed
	}{Report: head})
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	// b is {...}; the rows go in before its closing brace.
	bw.Write(b[:len(b)-1])
	bw.WriteString(`,"rows":[`)
	for i := range r.Rows {
		line, err := json.Marshal(&r.Rows[i])
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		bw.Write(line)
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// FileName is a safe file name for the report of migration id: letters,
// digits, '.', '_' and '-' only, e.g. report-migration-campus-1.csv.
func FileName(id, ext string) string {
	var b strings.Builder
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 120 {
			break
		}
	}
	name := strings.Trim(b.String(), ".")
	if name == "" {
		name = "migration"
	}
	return fmt.Sprintf("report-%s.%s", name, ext)
}
