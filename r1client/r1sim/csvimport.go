package r1sim

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The CSV import of passphrases: POST /dpskServices/{poolId}/passphrases/csvFiles,
// multipart/form-data with the file in the part "file" (importDpskPassphrasesFromCsv).
//
// R1's behaviour here is mostly not established (IDENTITIES_AND_POLICIES.md
// §3.3); the simulator picks the reading a per-row create suggests and says
// so: file-level problems (not multipart, no file, over 5 MB, not UTF-8,
// bad CSV, another header, no entries or more than 10,000) and content R1
// can judge without the pool's passphrases (a passphrase outside 8..63 or
// shorter than the pool's length, a bad VLAN, device count, MAC or expiry
// preset, a username or passphrase twice in the file) are refused at once
// with a 400 naming the lines; entries whose username or passphrase the pool
// already holds are accepted with a 202 and fail in the activity. Either way
// nothing of the file is imported: the file is one write. Otherwise every
// entry becomes a passphrase and an identity exactly as a per-row create
// makes them, the whole file committed at once (one visibility stamp) and
// its activity succeeding like any other write's. The UI's rules (5 MB,
// 10,000 entries, the header spelled exactly, devices empty → 1, -1 =
// unlimited, at most 50, a MAC only with 1 device) come from the user guide
// and the template's comment lines. No message quotes a value of the file.

// OpImportPassphrases is the CSV import, named as in Stats.Calls.
const OpImportPassphrases = "POST /dpskServices/{id}/passphrases/csvFiles"

// importColumns is the header of R1's DPSK_import_template_expiration.csv,
// the template the UI links; changedImportColumns that of a later template
// (Faults.ImportHeaderChanged).
var (
	importColumns        = []string{"Username", "Number of devices", "MAC Address", "Passphrase", "VLAN ID", "Passphrase Expiration"}
	changedImportColumns = []string{"Identity Name", "Number of devices", "MAC Address", "Passphrase", "VLAN ID", "Passphrase Expiration"}
)

// The column positions of importColumns.
const (
	colUsername = iota
	colDevices
	colMAC
	colPassphrase
	colVLAN
	colExpiration
)

const (
	maxImportFile = 5 << 20 // bytes of the file
	maxImportRows = 10000   // entries of the file
	// maxImportBody is the request body read: the file and its multipart framing.
	maxImportBody     = maxImportFile + 64<<10
	maxListedRefusals = 20 // sub-errors of a refusal; the message gives the count
	importUseCase     = "IMPORT_DPSK_PASSPHRASES"
)

// bodyLimit is the most of a request body the simulator reads for op.
func bodyLimit(op string) int {
	if op == OpImportPassphrases {
		return maxImportBody
	}
	return maxBody
}

// expirationPresets are the template's "Passphrase Expiration" values and
// the expiry date each gives, counted from the import's acceptance. Empty
// and UNLIMITED give none: the pool's setting applies, as for a per-row
// create without an expiration date.
var expirationPresets = map[string]func(time.Time) time.Time{
	"UNLIMITED":  nil,
	"ONE_DAY":    func(t time.Time) time.Time { return t.AddDate(0, 0, 1) },
	"TWO_DAYS":   func(t time.Time) time.Time { return t.AddDate(0, 0, 2) },
	"ONE_WEEK":   func(t time.Time) time.Time { return t.AddDate(0, 0, 7) },
	"TWO_WEEKS":  func(t time.Time) time.Time { return t.AddDate(0, 0, 14) },
	"ONE_MONTH":  func(t time.Time) time.Time { return t.AddDate(0, 1, 0) },
	"SIX_MONTHS": func(t time.Time) time.Time { return t.AddDate(0, 6, 0) },
	"ONE_YEAR":   func(t time.Time) time.Time { return t.AddDate(1, 0, 0) },
	"TWO_YEARS":  func(t time.Time) time.Time { return t.AddDate(2, 0, 0) },
}

// macFormats are the template's MAC forms: 12:34:56:78:90:ab, 12-34-56-78-90-ab,
// 123.456.789.0ab (as the template writes it; 1234.5678.90ab too) and 1234567890ab.
var macFormats = regexp.MustCompile(`^(?i:[0-9a-f]{2}(:[0-9a-f]{2}){5}|[0-9a-f]{2}(-[0-9a-f]{2}){5}|[0-9a-f]{3}(\.[0-9a-f]{3}){3}|[0-9a-f]{4}(\.[0-9a-f]{4}){2}|[0-9a-f]{12})$`)

// importRow is one entry of the file: its fields as read, then checked.
type importRow struct {
	line                 int // where the entry starts in the file
	fields               [6]string
	username, passphrase string
	vlan                 int
	devicesType          string
	devices              int
	expiration           string // a preset, "" = none
}

// importFile is a parsed upload.
type importFile struct {
	rows     []importRow
	prefix   string // usernamePrefix, for entries without a username
	refusals []subError
	refused  int // entries refused (refusals lists at most maxListedRefusals)
}

func importRefusal(msg string) reply { return errReply(http.StatusBadRequest, msg) }

// readImport reads the multipart upload and parses its file.
func (s *Sim) readImport(r *http.Request) (*importFile, reply, bool) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, importRefusal("Current request is not a multipart request; send the file as multipart/form-data in the part \"file\""), false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxImportBody+1))
	if err != nil {
		return nil, errReply(http.StatusBadRequest, "Could not read the request body"), false
	}
	tooLarge := importRefusal(fmt.Sprintf("The file is larger than %d MB; split it into smaller files", maxImportFile>>20))
	if len(body) > maxImportBody {
		return nil, tooLarge, false
	}
	f := &importFile{prefix: r.URL.Query().Get("usernamePrefix")}
	var file []byte
	haveFile := false
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, importRefusal("Malformed multipart request"), false
		}
		switch part.FormName() {
		case "file":
			if file, err = io.ReadAll(io.LimitReader(part, maxImportFile+1)); err != nil {
				return nil, importRefusal("Malformed multipart request"), false
			}
			haveFile = true
		case "usernamePrefix": // the UI sends it as a form field
			b, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				return nil, importRefusal("Malformed multipart request"), false
			}
			f.prefix = string(b)
		}
	}
	if !haveFile {
		return nil, importRefusal("Required part 'file' is not present"), false
	}
	if len(file) > maxImportFile {
		return nil, tooLarge, false
	}
	if rep, ok := f.parse(file, s.options().Faults.ImportHeaderChanged); !ok {
		return nil, rep, false
	}
	return f, reply{}, true
}

// parse reads the CSV: RFC 4180, UTF-8 (a byte-order mark is skipped),
// lines starting with # skipped, blank lines skipped, the header first.
func (f *importFile) parse(file []byte, headerChanged bool) (reply, bool) {
	file = bytes.TrimPrefix(file, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(file) {
		return importRefusal("The file is not UTF-8 text; save it as CSV UTF-8"), false
	}
	want := importColumns
	if headerChanged {
		want = changedImportColumns
	}
	cr := csv.NewReader(bytes.NewReader(file))
	cr.Comment = '#'
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return importRefusal("The file is empty; it needs the template's header and at least one entry"), false
	}
	if err != nil {
		return csvRefusal(err), false
	}
	// What came instead is not quoted back: a file without a header starts with an entry.
	if !slices.Equal(header, want) {
		return importRefusal("The file's header does not match the template; download the template and keep its header row exactly: " + strings.Join(want, ",")), false
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return csvRefusal(err), false
		}
		if len(f.rows) == maxImportRows {
			return importRefusal(fmt.Sprintf("The file has more than %d entries; split it into smaller files", maxImportRows)), false
		}
		row := importRow{}
		row.line, _ = cr.FieldPos(0)
		copy(row.fields[:], rec)
		f.rows = append(f.rows, row)
	}
	if len(f.rows) == 0 {
		return importRefusal("The file has no entries; add at least one row under the header"), false
	}
	return reply{}, true
}

// csvRefusal describes a CSV syntax error by its place and kind, never its text.
func csvRefusal(err error) reply {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return importRefusal(fmt.Sprintf("The file is not valid CSV: line %d, column %d: %v", pe.Line, pe.Column, pe.Err))
	}
	return importRefusal("The file is not valid CSV")
}

// check reads every entry's fields and records what is wrong with them for
// a pool whose passphrases have at least minLength characters.
func (f *importFile) check(minLength int) {
	seenUser, seenValue := map[string]int{}, map[string]int{}
	for i := range f.rows {
		f.checkRow(&f.rows[i], minLength, seenUser, seenValue)
	}
}

// checkRow checks one entry. seenUser and seenValue hold the lines of the
// usernames and passphrases met so far.
func (f *importFile) checkRow(row *importRow, minLength int, seenUser, seenValue map[string]int) {
	rec := &row.fields
	row.username, row.passphrase, row.expiration = rec[colUsername], rec[colPassphrase], rec[colExpiration]
	bad := false
	refuse := func(column int, msg string) {
		if !bad {
			f.refused++
			bad = true
		}
		if len(f.refusals) < maxListedRefusals {
			f.refusals = append(f.refusals, subError{Field: "line " + strconv.Itoa(row.line) + " " + importColumns[column], Message: msg})
		}
	}
	if len(row.username) > 255 {
		refuse(colUsername, "size must be between 0 and 255")
	} else if first, dup := seenUser[row.username]; dup && row.username != "" {
		refuse(colUsername, "duplicate of line "+strconv.Itoa(first)+"; usernames must be unique in the file")
	} else if row.username != "" {
		seenUser[row.username] = row.line
	}
	switch d := strings.TrimSpace(rec[colDevices]); d {
	case "":
		row.devicesType, row.devices = "LIMITED", 1
	case "-1":
		row.devicesType = "UNLIMITED"
	default:
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 50 {
			refuse(colDevices, "must be -1 (unlimited) or between 1 and 50")
		}
		row.devicesType, row.devices = "LIMITED", n
	}
	if mac := strings.TrimSpace(rec[colMAC]); mac != "" {
		switch {
		case !macFormats.MatchString(mac):
			refuse(colMAC, "one MAC address per row, like 12:34:56:78:90:ab")
		case row.devicesType != "LIMITED" || row.devices != 1:
			refuse(colMAC, "a row with a MAC address must allow exactly 1 device")
		}
	}
	if row.passphrase != "" {
		n := utf8.RuneCountInString(row.passphrase)
		first, dup := seenValue[row.passphrase]
		switch {
		case n < 8 || n > 63:
			refuse(colPassphrase, "size must be between 8 and 63")
		case n < minLength:
			refuse(colPassphrase, "Passphrase is shorter than the DPSK service's passphrase length "+strconv.Itoa(minLength))
		case dup:
			refuse(colPassphrase, "duplicate of line "+strconv.Itoa(first)+"; passphrases must be unique in the file")
		default:
			seenValue[row.passphrase] = row.line
		}
	}
	if v := strings.TrimSpace(rec[colVLAN]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 4094 {
			refuse(colVLAN, "must be between 1 and 4094")
		}
		row.vlan = n
	}
	if _, ok := expirationPresets[row.expiration]; !ok && row.expiration != "" {
		refuse(colExpiration, "must be empty or one of UNLIMITED, ONE_DAY, TWO_DAYS, ONE_WEEK, TWO_WEEKS, ONE_MONTH, SIX_MONTHS, ONE_YEAR, TWO_YEARS")
	}
}

// importPassphrases is POST /dpskServices/{poolId}/passphrases/csvFiles.
func (s *Sim) importPassphrases(r *http.Request, t *tenant) reply {
	f, rep, ok := s.readImport(r)
	if !ok {
		return rep
	}
	drop := s.options().Faults.ImportDropsRows
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pools[normID(r.PathValue("poolId"))]
	if p == nil {
		return notFound("DPSK pool")
	}
	f.check(p.length)
	if f.refused > 0 {
		return errReply(http.StatusBadRequest, fmt.Sprintf("Invalid CSV file: %d of %d entries refused; nothing was imported", f.refused, len(f.rows)), f.refusals...)
	}
	pps := make([]*passphrase, len(f.rows))
	var userLines, valueLines []int
	// The file's own usernames and values, generated ones included: a
	// generated one may meet one the file gives.
	users, values := make(map[string]bool, len(f.rows)), make(map[string]bool, len(f.rows))
	for i, row := range f.rows {
		t.seq++
		pp := &passphrase{username: row.username, value: row.passphrase, vlan: row.vlan, devicesType: row.devicesType, devices: row.devices}
		if pp.username == "" {
			pp.username = cmp.Or(f.prefix, "DPSK_User_") + itoa(t.seq)
		}
		if pp.value == "" {
			pp.value = s.generatePassphrase(p.length, p.format)
		}
		if p.byUser[pp.username] != nil || users[pp.username] {
			userLines = append(userLines, row.line)
		} else if p.byValue[pp.value] != nil || values[pp.value] {
			valueLines = append(valueLines, row.line)
		}
		users[pp.username], values[pp.value] = true, true
		pps[i] = pp
	}
	if len(userLines)+len(valueLines) > 0 {
		field, msg := "username", "Passphrase username already exists on lines "+lineList(userLines)
		if len(userLines) == 0 {
			field, msg = "passphrase", "Passphrase already exists on lines "+lineList(valueLines)
		} else if len(valueLines) > 0 {
			msg += "; passphrase already exists on lines " + lineList(valueLines)
		}
		return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, importUseCase,
			failure(passphraseObject, field, msg+"; nothing was imported"))}}
	}
	w := s.stamp()
	for i, pp := range pps {
		if drop && i%2 == 1 {
			continue // Faults.ImportDropsRows: lost without a word
		}
		if exp := expirationPresets[f.rows[i].expiration]; exp != nil {
			pp.expDate = exp(w.now).UTC().Format(time.RFC3339)
		}
		s.addPassphrase(t, p, w, pp)
	}
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, importUseCase, "")}}
}

// quoteImport refuses an import quoting the passphrase of one of its entries
// (Faults.QuotePassphraseRate); a file it cannot read is refused as usual.
func (s *Sim) quoteImport(r *http.Request, t *tenant) reply {
	f, rep, ok := s.readImport(r)
	if !ok {
		return rep
	}
	var values []string
	for _, row := range f.rows {
		if v := row.fields[colPassphrase]; v != "" {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return importRefusal("No passphrase to refuse")
	}
	return s.quoteRefusal(t, values[int(s.float()*float64(len(values)))], importUseCase)
}

// lineList names up to ten lines and counts the rest.
func lineList(lines []int) string {
	var b strings.Builder
	for i, l := range lines[:min(len(lines), 10)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(l))
	}
	if len(lines) > 10 {
		fmt.Fprintf(&b, " and %d more", len(lines)-10)
	}
	return b.String()
}
