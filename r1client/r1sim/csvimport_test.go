package r1sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const importHeader = "Username,Number of devices,MAC Address,Passphrase,VLAN ID,Passphrase Expiration"

// upload posts file as the multipart part "file" of an import into poolID.
func upload(t testing.TB, s *Sim, tok, poolID, file string) (int, map[string]any, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "passphrases.csv")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(file))
	mw.Close()
	return uploadRaw(t, s, tok, poolID, mw.FormDataContentType(), body.Bytes())
}

func uploadRaw(t testing.TB, s *Sim, tok, poolID, contentType string, body []byte) (int, map[string]any, string) {
	t.Helper()
	r := httptest.NewRequest("POST", "/dpskServices/"+poolID+"/passphrases/csvFiles", bytes.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m, w.Body.String()
}

// namedPool creates a group and a pool named name and returns the pool's id.
func namedPool(t *testing.T, s *Sim, tok, name string, length int) string {
	t.Helper()
	_, _, g := call(t, s, "POST", "/identityGroups", tok, `{"name":"`+name+`-group"}`)
	code, _, p := call(t, s, "POST", "/identityGroups/"+g["id"].(string)+"/dpskServices", tok,
		fmt.Sprintf(`{"name":%q,"passphraseFormat":"KEYBOARD_FRIENDLY","passphraseLength":%d}`, name, length))
	if code != 202 {
		t.Fatalf("pool create: %d %v", code, p)
	}
	return p["id"].(string)
}

// activityOf reads the activity of a 202 answer.
func activityOf(t *testing.T, s *Sim, tok string, acc map[string]any) map[string]any {
	t.Helper()
	id, _ := acc["requestId"].(string)
	if id == "" {
		t.Fatalf("no requestId in %v", acc)
	}
	code, _, a := call(t, s, "GET", "/activities/"+id, tok, "")
	if code != 200 {
		t.Fatalf("activity %s: %d %v", id, code, a)
	}
	return a
}

func inventoryPool(s *Sim, tenant, poolID string) InvPool {
	for _, p := range s.Inventory(tenant).Pools {
		if p.ID == poolID {
			return p
		}
	}
	return InvPool{}
}

func TestImportMakesWhatPerRowCreatesMake(t *testing.T) {
	clk := newClock()
	s := New(Options{Clock: clk.now})
	tok := token(t, s, "t1")
	imported := namedPool(t, s, tok, "imported", 8)
	created := namedPool(t, s, tok, "created", 8)
	weekLater := clk.now().AddDate(0, 0, 7).UTC().Format(time.RFC3339)

	// The same passphrases, once as CSV entries and once as per-row create bodies.
	rows := []struct{ csv, body string }{
		{`"Smith, Jane",-1,,pass-word-1,10,`, `{"username":"Smith, Jane","passphrase":"pass-word-1","vlanId":10,"numberOfDevicesType":"UNLIMITED"}`},
		{`"say ""hi""",5,,"pass,word""2",,`, `{"username":"say \"hi\"","passphrase":"pass,word\"2","numberOfDevicesType":"LIMITED","numberOfDevices":5}`},
		{`"#not a comment",,12:34:56:78:90:ab,passphrase-3,4094,UNLIMITED`, `{"username":"#not a comment","passphrase":"passphrase-3","vlanId":4094,"numberOfDevicesType":"LIMITED","numberOfDevices":1}`},
		{"\"line\nbreak\",50,,passphrase-4,1,ONE_WEEK", `{"username":"line\nbreak","passphrase":"passphrase-4","vlanId":1,"numberOfDevices":50,"expirationDate":"` + weekLater + `"}`},
	}
	var file strings.Builder
	file.WriteString("\xef\xbb\xbf# comment lines before the header are skipped\r\n#, even with commas\r\n" + importHeader + "\r\n")
	for _, r := range rows {
		file.WriteString(r.csv + "\r\n")
		if code, _, body := call(t, s, "POST", "/dpskServices/"+created+"/passphrases", tok, r.body); code != 202 {
			t.Fatalf("per-row create %s: %d %v", r.body, code, body)
		}
	}
	code, acc, raw := upload(t, s, tok, imported, file.String())
	if code != 202 {
		t.Fatalf("import: %d %s", code, raw)
	}
	if a := activityOf(t, s, tok, acc); a["status"] != "SUCCESS" || a["useCase"] != importUseCase {
		t.Fatalf("import activity: %v", a)
	}
	got, want := inventoryPool(s, "t1", imported).Passphrases, inventoryPool(s, "t1", created).Passphrases
	if len(got) != len(rows) || len(want) != len(rows) {
		t.Fatalf("imported %d, created %d, want %d each", len(got), len(want), len(rows))
	}
	for i := range got {
		g, w := got[i], want[i]
		g.ID, g.IdentityID, w.ID, w.IdentityID = "", "", "", ""
		if g != w {
			t.Errorf("entry %d imported as %+v, a per-row create made %+v", i, g, w)
		}
	}
	// Each imported passphrase has its identity, named after it, with its VLAN.
	for _, g := range s.Inventory("t1").IdentityGroups {
		if g.Name != "imported-group" {
			continue
		}
		if len(g.Identities) != len(rows) {
			t.Fatalf("identities: %+v", g.Identities)
		}
		for i, idn := range g.Identities {
			if pp := got[i]; idn.ID != pp.IdentityID || idn.Name != pp.Username || idn.VLAN != pp.VLANID {
				t.Errorf("identity %+v does not match passphrase %+v", idn, pp)
			}
		}
	}
	if n := s.Stats().Calls[OpImportPassphrases]; n != 1 {
		t.Errorf("stats count %d imports, want 1", n)
	}
}

func TestImportFillsEmptyUsernamesAndPassphrases(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	poolID := namedPool(t, s, tok, "p", 10)
	code, acc, raw := upload(t, s, tok, poolID, importHeader+"\n,,,,,\nbob,,,,,\n")
	if code != 202 || activityOf(t, s, tok, acc)["status"] != "SUCCESS" {
		t.Fatalf("import: %d %s", code, raw)
	}
	pps := inventoryPool(s, "t1", poolID).Passphrases
	if len(pps) != 2 || !strings.HasPrefix(pps[0].Username, "DPSK_User_") || pps[1].Username != "bob" ||
		len(pps[0].Passphrase) != 10 || len(pps[1].Passphrase) != 10 || pps[0].NumberOfDevices != 1 {
		t.Fatalf("passphrases: %+v", pps)
	}
}

func TestImportFollowsTheVisibilityDelay(t *testing.T) {
	clk := newClock()
	s := New(Options{Clock: clk.now, VisibilityDelay: 3 * time.Second})
	tok := token(t, s, "t1")
	poolID := namedPool(t, s, tok, "p", 8)
	clk.advance(5 * time.Second)
	code, acc, raw := upload(t, s, tok, poolID, importHeader+"\nu1,,,passphrase-1,,\nu2,,,passphrase-2,,\n")
	if code != 202 {
		t.Fatalf("import: %d %s", code, raw)
	}
	count := func() int {
		_, _, page := call(t, s, "POST", "/dpskServices/"+poolID+"/passphrases/query", tok, `{"page":1,"pageSize":10}`)
		return int(page["totalCount"].(float64))
	}
	if st := activityOf(t, s, tok, acc)["status"]; st == "SUCCESS" || count() != 0 {
		t.Fatalf("before the delay: activity %v, %d passphrases shown", st, count())
	}
	clk.advance(3 * time.Second)
	if st := activityOf(t, s, tok, acc)["status"]; st != "SUCCESS" || count() != 2 {
		t.Fatalf("after the delay: activity %v, %d passphrases shown", st, count())
	}
}

func TestImportRefusesAnotherHeader(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	poolID := namedPool(t, s, tok, "p", 8)
	for _, header := range []string{
		"Identity Name,Number of devices,MAC Address,Passphrase,VLAN ID,Passphrase Expiration",
		"Username,Number of devices,MAC Address,Passphrase,VLAN ID",
		"Username,Number of devices,MAC Address,Passphrase,VLAN ID,Passphrase Expiration,Email,PhoneNumber",
		"username,number of devices,mac address,passphrase,vlan id,passphrase expiration",
		"secret-row,1,,header-less-file,,",
	} {
		fields := strings.Count(header, ",") + 1
		code, _, raw := upload(t, s, tok, poolID, header+"\nu1"+strings.Repeat(",", fields-1)+"\n")
		if code != 400 || !strings.Contains(raw, "does not match the template") || !strings.Contains(raw, importHeader) {
			t.Errorf("header %q: %d %s", header, code, raw)
		}
		if strings.Contains(raw, "header-less-file") {
			t.Errorf("the refusal quotes the file: %s", raw)
		}
	}

	// R1 changed its template: the header we write is refused, the newer one taken.
	if err := s.Configure(Settings{ImportHeaderChanged: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	code, _, raw := upload(t, s, tok, poolID, importHeader+"\nu1,,,passphrase-1,,\n")
	if code != 400 || !strings.Contains(raw, "Identity Name,Number of devices") {
		t.Fatalf("changed template: %d %s", code, raw)
	}
	code, _, raw = upload(t, s, tok, poolID, strings.Join(changedImportColumns, ",")+"\nu1,,,passphrase-1,,\n")
	if code != 202 {
		t.Fatalf("the changed template's own header: %d %s", code, raw)
	}
	if n := len(inventoryPool(s, "t1", poolID).Passphrases); n != 1 {
		t.Fatalf("%d passphrases, want only the one of the accepted file", n)
	}
}

func TestImportLimits(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	poolID := namedPool(t, s, tok, "p", 8)
	entries := func(n int) string {
		var b strings.Builder
		b.WriteString(importHeader + "\n")
		for i := range n {
			fmt.Fprintf(&b, "user-%05d,,,passphrase-%05d,,\n", i, i)
		}
		return b.String()
	}
	refusals := []struct {
		name, file, want string
	}{
		{"10,001 entries", entries(10001), "more than 10000 entries"},
		{"over 5 MB", "#" + strings.Repeat("x", 5<<20) + "\n" + entries(1), "larger than 5 MB"},
		{"no entries", importHeader + "\n# only a comment\n\n", "no entries"},
		{"empty", "", "The file is empty"},
		{"not UTF-8", importHeader + "\nu\xff,,,passphrase-1,,\n", "not UTF-8"},
		{"a bare quote", importHeader + "\nu1,,,pass\"word-1,,\n", "line 2, column"},
		{"an unclosed quote", importHeader + "\nu1,,,\"password-1,,\n", "not valid CSV"},
		{"a short entry", importHeader + "\nu1,,,password-1\n", "wrong number of fields"},
	}
	for _, r := range refusals {
		code, _, raw := upload(t, s, tok, poolID, r.file)
		if code != 400 || !strings.Contains(raw, r.want) {
			t.Errorf("%s: %d %.300s, want 400 saying %q", r.name, code, raw, r.want)
		}
		if strings.Contains(raw, "word-1") {
			t.Errorf("%s: the refusal quotes the file: %s", r.name, raw)
		}
	}
	if code, _, raw := uploadRaw(t, s, tok, poolID, "application/json", []byte(`{"file":"x"}`)); code != 400 || !strings.Contains(raw, "multipart") {
		t.Errorf("JSON body: %d %s", code, raw)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("csv", "passphrases.csv")
	fw.Write([]byte(entries(1)))
	mw.Close()
	if code, _, raw := uploadRaw(t, s, tok, poolID, mw.FormDataContentType(), body.Bytes()); code != 400 || !strings.Contains(raw, "'file'") {
		t.Errorf("no part named file: %d %s", code, raw)
	}
	if n := len(inventoryPool(s, "t1", poolID).Passphrases); n != 0 {
		t.Fatalf("refused files created %d passphrases", n)
	}

	code, acc, raw := upload(t, s, tok, poolID, entries(10000))
	if code != 202 || activityOf(t, s, tok, acc)["status"] != "SUCCESS" {
		t.Fatalf("10,000 entries: %d %.300s", code, raw)
	}
	if n := len(inventoryPool(s, "t1", poolID).Passphrases); n != 10000 {
		t.Fatalf("10,000 entries made %d passphrases", n)
	}
}

func TestImportRefusesBadEntriesAndImportsNothing(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	poolID := namedPool(t, s, tok, "p", 12)
	good := "good,,,good-passphrase-0,,\n"
	for _, tc := range []struct {
		name, entry, want string
	}{
		{"passphrase under 8", "u1,,,short77,,", "line 3 Passphrase: size must be between 8 and 63"},
		{"passphrase over 63", "u1,,," + strings.Repeat("p", 64) + ",,", "line 3 Passphrase: size must be between 8 and 63"},
		{"passphrase under the pool's length", "u1,,,elevenchars,,", "shorter than the DPSK service's passphrase length 12"},
		{"VLAN 0", "u1,,,passphrase-001,0,", "line 3 VLAN ID: must be between 1 and 4094"},
		{"VLAN 4095", "u1,,,passphrase-001,4095,", "VLAN ID: must be between 1 and 4094"},
		{"VLAN not a number", "u1,,,passphrase-001,ten,", "VLAN ID: must be between 1 and 4094"},
		{"devices 0", "u1,0,,passphrase-001,,", "Number of devices: must be -1 (unlimited) or between 1 and 50"},
		{"devices 51", "u1,51,,passphrase-001,,", "Number of devices: must be -1"},
		{"devices not a number", "u1,many,,passphrase-001,,", "Number of devices: must be -1"},
		{"a bad MAC", "u1,1,12:34:56,passphrase-001,,", "MAC Address: one MAC address per row"},
		{"two MACs", "u1,1,\"12:34:56:78:90:ab,12:34:56:78:90:ac\",passphrase-001,,", "MAC Address: one MAC address per row"},
		{"a MAC with 2 devices", "u1,2,1234567890ab,passphrase-001,,", "must allow exactly 1 device"},
		{"an unknown expiry preset", "u1,,,passphrase-001,,THREE_DAYS", "Passphrase Expiration: must be empty or one of"},
		{"a username twice", "good,,,passphrase-001,,", "line 3 Username: duplicate of line 2"},
		{"a passphrase twice", "u1,,,good-passphrase-0,,", "line 3 Passphrase: duplicate of line 2"},
		{"a username over 255", strings.Repeat("u", 256) + ",,,passphrase-001,,", "Username: size must be between 0 and 255"},
	} {
		code, m, raw := upload(t, s, tok, poolID, importHeader+"\n"+good+tc.entry+"\n")
		if code != 400 || !strings.Contains(refusalText(m), tc.want) || m["message"] != "Invalid CSV file: 1 of 2 entries refused; nothing was imported" {
			t.Errorf("%s: %d %s, want 400 saying %q", tc.name, code, raw, tc.want)
		}
		for _, secret := range []string{"good-passphrase-0", "short77", "elevenchars", "passphrase-001"} {
			if strings.Contains(raw, secret) {
				t.Errorf("%s: the refusal quotes a passphrase: %s", tc.name, raw)
			}
		}
	}
	if n := len(inventoryPool(s, "t1", poolID).Passphrases); n != 0 {
		t.Fatalf("refused files created %d passphrases", n)
	}

	// Many refusals: all counted, the first twenty listed.
	var file strings.Builder
	file.WriteString(importHeader + "\n")
	for i := range 30 {
		fmt.Fprintf(&file, "u%d,,,short%02d,,\n", i, i)
	}
	code, m, _ := upload(t, s, tok, poolID, file.String())
	if subs, _ := m["subErrors"].([]any); code != 400 || len(subs) != 20 || m["message"] != "Invalid CSV file: 30 of 30 entries refused; nothing was imported" {
		t.Fatalf("30 refusals: %d %v", code, m)
	}
}

// refusalText is a refusal's message and sub-errors as "field: message" lines.
func refusalText(m map[string]any) string {
	text, _ := m["message"].(string)
	subs, _ := m["subErrors"].([]any)
	for _, sub := range subs {
		sm, _ := sub.(map[string]any)
		text += fmt.Sprintf("\n%v: %v", sm["field"], sm["message"])
	}
	return text
}

func TestImportOfWhatThePoolHoldsFailsInItsActivity(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	poolID := namedPool(t, s, tok, "p", 8)
	call(t, s, "POST", "/dpskServices/"+poolID+"/passphrases", tok, `{"username":"held","passphrase":"held-passphrase"}`)
	for _, tc := range []struct{ name, entry, want string }{
		{"a username the pool holds", "held,,,another-passphrase,,", "Passphrase username already exists on lines 3"},
		{"a passphrase the pool holds", "another,,,held-passphrase,,", "Passphrase already exists on lines 3"},
	} {
		code, acc, raw := upload(t, s, tok, poolID, importHeader+"\nfresh,,,fresh-passphrase,,\n"+tc.entry+"\n")
		if code != 202 {
			t.Fatalf("%s: %d %s", tc.name, code, raw)
		}
		a := activityOf(t, s, tok, acc)
		text, _ := a["error"].(string)
		if a["status"] != "FAIL" || !strings.Contains(text, tc.want) || !strings.Contains(text, "nothing was imported") {
			t.Errorf("%s: activity %v", tc.name, a)
		}
		if strings.Contains(text, "fresh-passphrase") || strings.Contains(text, "held-passphrase") || strings.Contains(text, "another-passphrase") {
			t.Errorf("%s: the failure quotes a passphrase: %s", tc.name, text)
		}
	}
	if pps := inventoryPool(s, "t1", poolID).Passphrases; len(pps) != 1 {
		t.Fatalf("a failed import left %d passphrases, want the 1 held before", len(pps))
	}
}

func TestImportDropsRowsFault(t *testing.T) {
	s := New(Options{Faults: Faults{ImportDropsRows: true}})
	tok := token(t, s, "t1")
	poolID := namedPool(t, s, tok, "p", 8)
	var file strings.Builder
	file.WriteString(importHeader + "\n")
	for i := range 6 {
		fmt.Fprintf(&file, "user-%d,,,passphrase-%d,,\n", i, i)
	}
	code, acc, raw := upload(t, s, tok, poolID, file.String())
	if code != 202 || activityOf(t, s, tok, acc)["status"] != "SUCCESS" {
		t.Fatalf("import: %d %s", code, raw)
	}
	var got []string
	for _, pp := range inventoryPool(s, "t1", poolID).Passphrases {
		got = append(got, pp.Username)
	}
	if strings.Join(got, " ") != "user-0 user-2 user-4" {
		t.Fatalf("imported %v, want every other entry", got)
	}
}

func TestImportQuotePassphraseFault(t *testing.T) {
	s := New(Options{Faults: Faults{QuotePassphraseRate: 1}, Seed: 3})
	tok := token(t, s, "t1")
	poolID := namedPool(t, s, tok, "p", 8)
	values := []string{"first-passphrase", "second-passphrase", "third-passphrase"}
	file := importHeader + "\na,,," + values[0] + ",,\nb,,," + values[1] + ",,\nc,,," + values[2] + ",,\n"
	sync, async := 0, 0
	for range 30 {
		code, acc, raw := upload(t, s, tok, poolID, file)
		text := raw
		if code == 202 {
			async++
			text, _ = activityOf(t, s, tok, acc)["error"].(string)
		} else {
			sync++
		}
		quoted := false
		for _, v := range values {
			quoted = quoted || strings.Contains(text, v) || strings.Contains(text, v[:8])
		}
		if !quoted {
			t.Fatalf("%d: no passphrase quoted: %.300s", code, text)
		}
	}
	if sync == 0 || async == 0 {
		t.Fatalf("%d refusals at once, %d in the activity: want both ways", sync, async)
	}
	if n := len(inventoryPool(s, "t1", poolID).Passphrases); n != 0 {
		t.Fatalf("refused imports created %d passphrases", n)
	}
}

func TestImportFaultsAreSettings(t *testing.T) {
	s := New(Options{})
	if err := s.Configure(Settings{ImportHeaderChanged: ptr(true), ImportDropsRows: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	st := SettingsOf(s.Options())
	if !*st.ImportHeaderChanged || !*st.ImportDropsRows {
		t.Fatalf("settings: %+v", st)
	}
	if err := s.Configure(Settings{CommitThenFailOps: ptr([]string{OpImportPassphrases})}); err != nil {
		t.Fatalf("the import is a write: %v", err)
	}
}

func TestImportOfAGeneratedUsernameTheFileGivesFails(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	poolID := namedPool(t, s, tok, "p", 8)
	// Only passphrase creates count in the tenant's sequence: the second
	// entry's username is generated as DPSK_User_2.
	code, acc, raw := upload(t, s, tok, poolID, importHeader+"\nDPSK_User_2,,,passphrase-1,,\n,,,passphrase-2,,\n")
	if code != 202 {
		t.Fatalf("import: %d %s", code, raw)
	}
	if a := activityOf(t, s, tok, acc); a["status"] != "FAIL" || !strings.Contains(a["error"].(string), "already exists on lines 3") {
		t.Fatalf("activity: %v", a)
	}
	if n := len(inventoryPool(s, "t1", poolID).Passphrases); n != 0 {
		t.Fatalf("%d passphrases, want none", n)
	}
}
