// Package bulkimport prepares planned passphrase rows for R1's CSV import
// (POST /dpskServices/{poolId}/passphrases/csvFiles): it decides which rows
// the import template can carry exactly as a per-row create would make them,
// and writes those rows as CSV files R1 accepts (its template's header,
// RFC 4180 quoting, at most MaxEntries entries and MaxBytes bytes a file).
//
// The template is DPSK_import_template_expiration.csv, the one R1's UI
// links. That a live tenant takes this header, and how it reports bad entries,
// is not established (see r1client/r1sim/csvimport.go): callers must read
// the rows back after an import and create what is missing one by one.
//
// It is pure data transformation: no I/O beyond the writer it is handed, and
// never a passphrase in a reason or an error.
package bulkimport

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
)

// Columns is the header row of R1's import template, spelled exactly.
var Columns = []string{"Username", "Number of devices", "MAC Address", "Passphrase", "VLAN ID", "Passphrase Expiration"}

const (
	// MaxEntries is the most entries R1 takes in one file.
	MaxEntries = 10000
	// MaxBytes is the largest file written. R1's UI says 5 MB; this is the
	// smaller reading of it (10^6 bytes a megabyte).
	MaxBytes = 5_000_000
	// unlimitedDevices is the template's "Number of devices" for no limit.
	unlimitedDevices = -1
	maxUsernameBytes = 255
)

// Entry is one row of an import file. Passphrase is a secret: an Entry
// prints and logs itself with it redacted.
type Entry struct {
	Username   string
	Passphrase string
	Devices    int    // 1..50, or -1 for no limit
	VLANID     int    // 0 = none (R1 applies the network's default)
	Expiration string // a template preset (ONE_WEEK, ...); "" = none given, the pool's setting applies
}

// Format prints the entry with its passphrase redacted, whatever the verb.
func (e Entry) Format(f fmt.State, verb rune) {
	type plain Entry // no methods: no recursion
	p := plain(e)
	if p.Passphrase != "" {
		p.Passphrase = "[REDACTED]"
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue keeps the passphrase out of slog output.
func (e Entry) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", e.Username), slog.String("passphrase", "[REDACTED]"),
		slog.Int("devices", e.Devices), slog.Int("vlanId", e.VLANID), slog.String("expiration", e.Expiration))
}

// Reason says why the CSV cannot carry row exactly, "" when it can. A
// row it cannot carry is created one by one instead. Rows the file carries:
//   - have no expiry date: the template takes only presets relative to the
//     import (ONE_WEEK, ...), not a date;
//   - have a device limit the template writes (none, or 1..50), and a VLAN
//     in 1..4094 or none;
//   - have a username and a passphrase a CSV reader cannot alter or drop:
//     not empty (R1 would generate one), no spaces at either end (readers
//     may trim them), no control characters or line breaks, valid UTF-8,
//     a username of at most 255 bytes and a passphrase of 8..63 characters.
//
// The template's MAC column stays empty: Cloudpath rows carry no MAC.
func Reason(row *cloudpath.Row) string {
	switch {
	case row.ExpirationDate != "":
		return "has an expiry date; the CSV import takes only relative presets"
	case row.NumberOfDevicesType == cloudpath.DevicesLimited && (row.NumberOfDevices < 1 || row.NumberOfDevices > cloudpath.MaxDevicesPerDPSK):
		return fmt.Sprintf("device limit %d is outside 1..%d", row.NumberOfDevices, cloudpath.MaxDevicesPerDPSK)
	case row.NumberOfDevicesType != cloudpath.DevicesLimited && row.NumberOfDevicesType != cloudpath.DevicesUnlimited:
		return "device limit type is neither LIMITED nor UNLIMITED"
	case row.VLANID != 0 && (row.VLANID < cloudpath.MinVLAN || row.VLANID > cloudpath.MaxVLAN):
		return fmt.Sprintf("VLAN %d is outside %d..%d", row.VLANID, cloudpath.MinVLAN, cloudpath.MaxVLAN)
	}
	if why := unsafeText(row.Username); why != "" {
		return "username " + why
	}
	if len(row.Username) > maxUsernameBytes {
		return fmt.Sprintf("username is longer than %d bytes", maxUsernameBytes)
	}
	if why := unsafeText(row.Passphrase); why != "" {
		return "passphrase " + why
	}
	if n := utf8.RuneCountInString(row.Passphrase); n < cloudpath.MinPassphraseLength || n > cloudpath.MaxPassphraseLength {
		return fmt.Sprintf("passphrase has %d characters, not %d..%d", n, cloudpath.MinPassphraseLength, cloudpath.MaxPassphraseLength)
	}
	return ""
}

// unsafeText says why a CSV reader might not give s back as written.
func unsafeText(s string) string {
	switch {
	case s == "":
		return "is empty"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.TrimSpace(s) != s:
		return "has spaces at an end"
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "has a control character or a line break"
		}
	}
	return ""
}

// EntryOf is the entry of row, ok false when the CSV cannot carry it (see Reason).
func EntryOf(row *cloudpath.Row) (Entry, bool) {
	if Reason(row) != "" {
		return Entry{}, false
	}
	e := Entry{Username: row.Username, Passphrase: row.Passphrase, Devices: unlimitedDevices, VLANID: row.VLANID}
	if row.NumberOfDevicesType == cloudpath.DevicesLimited {
		e.Devices = row.NumberOfDevices
	}
	return e, true
}

// header is the header line as written.
var header = strings.Join(Columns, ",") + "\r\n"

// appendEntry appends the entry's line (CRLF-terminated) to b.
func appendEntry(b []byte, e Entry) []byte {
	b = appendField(b, e.Username)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(e.Devices), 10)
	b = append(b, ",,"...) // MAC Address: none
	b = appendField(b, e.Passphrase)
	b = append(b, ',')
	if e.VLANID != 0 {
		b = strconv.AppendInt(b, int64(e.VLANID), 10)
	}
	b = append(b, ',')
	b = appendField(b, e.Expiration)
	return append(b, '\r', '\n')
}

// appendField writes s quoted (RFC 4180: inner quotes doubled) when a CSV
// reader could otherwise split, join or skip it: a comma, a quote, a line
// break, a space at an end, or a # first (a comment line to R1's reader).
func appendField(b []byte, s string) []byte {
	if s == "" || !(strings.ContainsAny(s, ",\"\r\n") || s[0] == '#' || strings.TrimSpace(s) != s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// Fit is how many of entries, from the first, one file holds: at most
// MaxEntries, and the header and their lines in at most MaxBytes. It is at
// least 1 when entries is not empty (an entry is always far below MaxBytes).
func Fit(entries []Entry) int {
	size := len(header)
	var line []byte
	for i, e := range entries {
		if i == MaxEntries {
			return i
		}
		line = appendEntry(line[:0], e)
		if size += len(line); size > MaxBytes {
			return i
		}
	}
	return len(entries)
}

// File is one import file holding entries: the header, then one line per
// entry. Give it entries[:Fit(entries)] to stay within R1's limits.
func File(entries []Entry) []byte {
	b := make([]byte, 0, len(header)+len(entries)*64)
	b = append(b, header...)
	for _, e := range entries {
		b = appendEntry(b, e)
	}
	return b
}

// Files splits entries, in order, into as many files as R1's limits need.
func Files(entries []Entry) [][]byte {
	var files [][]byte
	for len(entries) > 0 {
		n := Fit(entries)
		files = append(files, File(entries[:n]))
		entries = entries[n:]
	}
	return files
}
