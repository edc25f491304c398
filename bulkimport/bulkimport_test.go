package bulkimport

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
)

func row(username, passphrase string) cloudpath.Row {
	return cloudpath.Row{Username: username, Passphrase: passphrase, NumberOfDevicesType: cloudpath.DevicesUnlimited}
}

func TestReasonDecidesWhatTheCSVCarries(t *testing.T) {
	with := func(f func(*cloudpath.Row)) cloudpath.Row { r := row("alice", "passphrase-1"); f(&r); return r }
	tests := []struct {
		name string
		row  cloudpath.Row
		want string // "" = carried
	}{
		{"a plain row", row("alice", "passphrase-1"), ""},
		{"a username with commas and quotes", row(`Smith, "JJ" Jane`, `pa"ss,word`), ""},
		{"a username starting with #", row("#42", "passphrase-1"), ""},
		{"a non-ASCII username", row("Zoë Ångström 李", "passphrase-1"), ""},
		{"a VLAN", with(func(r *cloudpath.Row) { r.VLANID = 4094 }), ""},
		{"50 devices", with(func(r *cloudpath.Row) { r.NumberOfDevicesType, r.NumberOfDevices = cloudpath.DevicesLimited, 50 }), ""},
		{"an expiry date", with(func(r *cloudpath.Row) { r.ExpirationDate = "2027-01-01T00:00:00Z" }), "expiry date"},
		{"51 devices", with(func(r *cloudpath.Row) { r.NumberOfDevicesType, r.NumberOfDevices = cloudpath.DevicesLimited, 51 }), "device limit 51"},
		{"0 devices, limited", with(func(r *cloudpath.Row) { r.NumberOfDevicesType = cloudpath.DevicesLimited }), "device limit 0"},
		{"no device limit type", with(func(r *cloudpath.Row) { r.NumberOfDevicesType = "" }), "neither LIMITED nor UNLIMITED"},
		{"VLAN 4095", with(func(r *cloudpath.Row) { r.VLANID = 4095 }), "VLAN 4095"},
		{"an empty username", row("", "passphrase-1"), "username is empty"},
		{"a username with a space at its end", row("alice ", "passphrase-1"), "username has spaces"},
		{"a username with a line break", row("ali\nce", "passphrase-1"), "username has a control character"},
		{"a username with a tab", row("ali\tce", "passphrase-1"), "control character"},
		{"a username not UTF-8", row("ali\xffce", "passphrase-1"), "not valid UTF-8"},
		{"a username over 255 bytes", row(strings.Repeat("é", 128), "passphrase-1"), "longer than 255 bytes"},
		{"a passphrase with a space at its start", row("alice", " passphrase"), "passphrase has spaces"},
		{"a passphrase too short", row("alice", "short77"), "passphrase has 7 characters"},
		{"an empty passphrase", row("alice", ""), "passphrase is empty"},
	}
	for _, tc := range tests {
		got := Reason(&tc.row)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: reason %q, want %q", tc.name, got, tc.want)
		}
		if strings.Contains(got, tc.row.Passphrase) && tc.row.Passphrase != "" {
			t.Errorf("%s: the reason quotes the passphrase: %q", tc.name, got)
		}
		if _, ok := EntryOf(&tc.row); ok != (got == "") {
			t.Errorf("%s: EntryOf ok=%v with reason %q", tc.name, ok, got)
		}
	}
}

func TestEntryOfCarriesTheRow(t *testing.T) {
	r := cloudpath.Row{Username: "bob", Passphrase: "passphrase-1", VLANID: 12, NumberOfDevicesType: cloudpath.DevicesLimited, NumberOfDevices: 3}
	if e, ok := EntryOf(&r); !ok || e != (Entry{Username: "bob", Passphrase: "passphrase-1", Devices: 3, VLANID: 12}) {
		t.Fatalf("limited: %+v %v", e, ok)
	}
	r.NumberOfDevicesType, r.NumberOfDevices = cloudpath.DevicesUnlimited, 0
	if e, _ := EntryOf(&r); e.Devices != -1 {
		t.Fatalf("unlimited: devices %d, want -1 (the template's no limit)", e.Devices)
	}
}

// readBack parses a file the way R1's reader is documented to: RFC 4180,
// lines starting with # skipped, the header first.
func readBack(t *testing.T, file []byte) [][]string {
	t.Helper()
	cr := csv.NewReader(bytes.NewReader(file))
	cr.Comment = '#'
	cr.FieldsPerRecord = len(Columns)
	var recs [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the file does not parse: %v", err)
		}
		recs = append(recs, rec)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], Columns) {
		t.Fatalf("header %q, want %q", recs, Columns)
	}
	return recs[1:]
}

func TestFileRoundTripsAwkwardValues(t *testing.T) {
	entries := []Entry{
		{Username: "plain", Passphrase: "passphrase-1", Devices: -1},
		{Username: "Smith, Jane", Passphrase: `pa"ss,wo"rd`, Devices: 1, VLANID: 10},
		{Username: `"quoted"`, Passphrase: `""""""""`, Devices: 50, VLANID: 4094},
		{Username: `say ""hi""`, Passphrase: `#not-a-comment`, Devices: 2},
		{Username: "#hash first", Passphrase: "p,a,s,s,p,h,r", Devices: -1},
		{Username: "Zoë, 李, ✓", Passphrase: `back\slash'"`, Devices: 7, Expiration: "ONE_WEEK"},
		{Username: "trailing,", Passphrase: ",leading-comma", Devices: -1},
	}
	got := readBack(t, File(entries))
	if len(got) != len(entries) {
		t.Fatalf("%d entries read back, wrote %d", len(got), len(entries))
	}
	for i, e := range entries {
		vlan := ""
		if e.VLANID != 0 {
			vlan = strconv.Itoa(e.VLANID)
		}
		want := []string{e.Username, strconv.Itoa(e.Devices), "", e.Passphrase, vlan, e.Expiration}
		if !slices.Equal(got[i], want) {
			t.Errorf("entry %d read back as %q, want %q", i, got[i], want)
		}
	}
	if !bytes.HasPrefix(File(entries), []byte(strings.Join(Columns, ",")+"\r\n")) {
		t.Fatal("the file does not start with the template's header")
	}
}

func TestFitsStayWithinR1Limits(t *testing.T) {
	short := make([]Entry, MaxEntries+1)
	for i := range short {
		short[i] = Entry{Username: fmt.Sprintf("user-%05d", i), Passphrase: fmt.Sprintf("passphrase-%05d", i), Devices: -1}
	}
	if n := Fit(short); n != MaxEntries {
		t.Fatalf("Fit of %d short entries = %d, want %d", len(short), n, MaxEntries)
	}
	files := Files(short)
	if len(files) != 2 || len(readBack(t, files[0])) != MaxEntries || len(readBack(t, files[1])) != 1 {
		t.Fatalf("%d files", len(files))
	}

	// Long usernames full of quotes: the byte limit binds first.
	long := make([]Entry, MaxEntries)
	for i := range long {
		u := fmt.Sprintf("%05d", i) + strings.Repeat(`"`, 250)
		long[i] = Entry{Username: u, Passphrase: strings.Repeat("p", 58) + fmt.Sprintf("%05d", i), Devices: 50, VLANID: 4094}
	}
	files = Files(long)
	first := readBack(t, files[0])
	n := len(first)
	if len(files) != 2 || n >= len(long) || len(files[0]) > MaxBytes {
		t.Fatalf("%d long entries: %d files, the first of %d entries and %d bytes", len(long), len(files), n, len(files[0]))
	}
	if next := len(appendEntry(nil, long[n])); len(files[0])+next <= MaxBytes {
		t.Fatalf("the first file (%d bytes) had room for the next entry (%d bytes)", len(files[0]), next)
	}
	if rest := readBack(t, files[1]); len(files[1]) > MaxBytes || n+len(rest) != len(long) || rest[0][0] != long[n].Username {
		t.Fatalf("the second file: %d bytes, %d entries", len(files[1]), len(rest))
	}
	if Fit(nil) != 0 || Files(nil) != nil {
		t.Fatal("no entries, no file")
	}
}

func TestEntryRedactsItsPassphrase(t *testing.T) {
	e := Entry{Username: "bob", Passphrase: "very-secret-value", Devices: -1}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("entry", "e", e)
	for _, text := range []string{fmt.Sprint(e), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e), fmt.Sprintf("%v", []Entry{e}), logged.String()} {
		if strings.Contains(text, "very-secret") || !strings.Contains(text, "bob") {
			t.Errorf("printed as %s", text)
		}
	}
}
