package cloudpath

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to the parser and, when they parse, to the
// planner: nothing may panic, errors are always of the documented types, the
// streaming and in-memory paths agree, and every plan keeps its invariants.
// Seeds: testdata/fuzz/FuzzParse plus our sample exports.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := ParseOptions{MaxBytes: 1 << 20}
		exp, err := ParseBytes(data, opts)
		streamed, streamErr := Parse(iotest.OneByteReader(bytes.NewReader(data)), opts)
		if (err == nil) != (streamErr == nil) || (err != nil && err.Error() != streamErr.Error()) {
			t.Fatalf("ParseBytes says %v, a one-byte stream says %v", err, streamErr)
		}
		if err != nil {
			checkParseError(t, data, err)
			return
		}
		if len(exp.Pools) != len(streamed.Pools) || countDPSKs(exp) != countDPSKs(streamed) {
			t.Fatalf("ParseBytes and a one-byte stream disagree on the export")
		}
		checkLimits(t, exp)
		plan, err := NewPlan(exp, PlanOptions{Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Expired: ExpiredRenew})
		if err != nil {
			t.Fatalf("NewPlan of a parsed export: %v", err)
		}
		checkPlan(t, exp, plan)
	})
}

func checkParseError(t *testing.T, data []byte, err error) {
	var se *SyntaxError
	var sh *ShapeError
	var tl *TooLargeError
	var le *LimitError
	switch {
	case errors.As(err, &se):
		if se.Line < 1 || se.Column < 1 || se.Offset < 0 || se.Offset > int64(len(data)) {
			t.Fatalf("syntax error out of the input: %+v (input %d bytes)", se, len(data))
		}
	case errors.As(err, &sh):
		if sh.Path == "" || sh.Expected == "" || sh.Found == "" {
			t.Fatalf("incomplete shape error: %+v", sh)
		}
	case errors.As(err, &le):
		if le.Line < 1 || le.Column < 1 || le.Offset < 0 || le.Offset >= int64(len(data)) || le.Path == "" || le.Field == "" ||
			le.Length <= le.Limit || le.Fix == "" {
			t.Fatalf("limit error out of the input or incomplete: %+v (input %d bytes)", le, len(data))
		}
	case errors.As(err, &tl):
	default:
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
}

// checkLimits asserts that a parsed export keeps every parse limit.
func checkLimits(t *testing.T, exp *Export) {
	within := func(what, s string, limit int) {
		if n := utf8.RuneCountInString(s); n > limit {
			t.Fatalf("%s has %d characters, over its limit of %d", what, n, limit)
		}
	}
	for _, p := range exp.Pools {
		within("pool guid", p.GUID, MaxGUIDLength)
		within("pool name", p.DisplayName, MaxPoolNameLength)
		within("pool description", p.Description, MaxDescriptionLength)
		within("phraseRandomCharactersType", p.PhraseRandomCharactersType, MaxSettingTextLength)
		within("expirationDateType", p.ExpirationDateType, MaxSettingTextLength)
		within("expirationDateValue", p.ExpirationDateValue, MaxSettingTextLength)
		if len(p.SSIDList) > MaxSSIDsPerPool {
			t.Fatalf("pool has %d SSIDs", len(p.SSIDList))
		}
		for _, s := range p.SSIDList {
			within("pool SSID", s, MaxSSIDTextLength)
		}
		for _, d := range p.DPSKs {
			within("DPSK guid", d.GUID, MaxGUIDLength)
			within("DPSK name", d.Name, MaxUsernameLength)
			within("passphrase", d.Passphrase, MaxPassphraseTextLength)
			within("status", d.Status, MaxStatusLength)
			within("expirationDateTime", d.ExpirationDateTime, MaxDateTimeTextLength)
			within("vlanid", d.VLAN, MaxVLANTextLength)
			if len(d.SSIDList) > MaxSSIDsPerDPSK {
				t.Fatalf("DPSK has %d SSIDs", len(d.SSIDList))
			}
			for _, s := range d.SSIDList {
				within("DPSK SSID", s, MaxSSIDTextLength)
			}
		}
	}
}

func checkPlan(t *testing.T, exp *Export, plan *Plan) {
	if len(plan.Units) != len(exp.Pools) {
		t.Fatalf("%d units for %d pools", len(plan.Units), len(exp.Pools))
	}
	keys, groups := map[string]bool{}, map[string]bool{}
	for i, u := range plan.Units {
		if !keyPattern.MatchString(u.Key) || keys[u.Key] {
			t.Fatalf("bad or repeated key %q", u.Key)
		}
		keys[u.Key] = true
		g := strings.ToLower(u.IdentityGroupName)
		if groups[g] || u.IdentityGroupName == "" || len([]rune(u.IdentityGroupName)) > MaxNameLength || len([]rune(u.PoolDescription)) > MaxNameLength {
			t.Fatalf("bad or repeated group name %q", u.IdentityGroupName)
		}
		groups[g] = true
		if n := len(u.Rows) + len(u.Skipped) + len(u.Refused); n != len(exp.Pools[i].DPSKs) {
			t.Fatalf("pool %d: %d outcomes for %d DPSKs", i, n, len(exp.Pools[i].DPSKs))
		}
		s := u.Settings
		if s.PassphraseLength < MinPassphraseLength || s.PassphraseLength > MaxPassphraseLength || s.DeviceCountLimit < 0 || s.DeviceCountLimit > MaxDevicesPerDPSK {
			t.Fatalf("bad settings %+v", s)
		}
		for _, r := range u.Rows {
			n := passphraseLength(r.Passphrase)
			if n < s.PassphraseLength || n > MaxPassphraseLength || r.Username == "" || r.VLANID < 0 || r.VLANID > MaxVLAN ||
				r.NumberOfDevices < 0 || r.NumberOfDevices > MaxDevicesPerDPSK {
				t.Fatalf("row breaks R1's limits: %+v", r)
			}
			if r.ExpirationDate != "" {
				if _, err := time.Parse(time.RFC3339, r.ExpirationDate); err != nil {
					t.Fatalf("row expiry %q: %v", r.ExpirationDate, err)
				}
			}
		}
	}
	if err := plan.Summarize(2000).WriteText(&strings.Builder{}); err != nil {
		t.Fatal(err)
	}
}

// FuzzPlanRow plans one DPSK built from arbitrary fields: nothing panics,
// the row keeps R1's limits, and no output shows the passphrase.
func FuzzPlanRow(f *testing.F) {
	f.Add("alice", "correct-horse", "ACTIVE", "44", "2026-06-15T00:00-07:00[America/Denver]", true, 5, "a,b")
	f.Add("", "short", "REVOKED", "abc", "garbage", false, 0, "")
	f.Add("bob", "bob-is-the-pass", "", "4095", "2020-01-01T00:00Z", true, 500, "x")
	f.Fuzz(func(t *testing.T, name, passphrase, status, vlan, expiry string, use bool, limit int, ssids string) {
		plan := func(secret string) (*Plan, string) {
			d := DPSK{GUID: "g", Name: name, Passphrase: secret, Status: status, VLAN: vlan, ExpirationDateTime: expiry,
				UseDeviceCountLimit: use, DeviceCountLimit: limit, SSIDList: splitList(ssids)}
			exp := exportOf(Pool{DisplayName: name, DPSKs: []DPSK{d, d}})
			p, err := NewPlan(exp, PlanOptions{Now: testNow, Expired: ExpiredSkip})
			if err != nil {
				t.Fatal(err)
			}
			checkPlan(t, exp, p)
			var out strings.Builder
			_ = p.Summarize(100).WriteText(&out)
			for _, r := range p.Units[0].Rows {
				out.WriteString(strings.Join(r.Warnings, "\n"))
			}
			out.WriteString(strings.Join(p.Warnings, "\n"))
			return p, out.String()
		}
		_, out := plan(passphrase)
		if passphrase == "" || !strings.Contains(out, passphrase) {
			return
		}
		// The passphrase shows only if it also shows with another passphrase
		// of the same length: then it is a coincidence (a name, a reason word).
		filler := "~"
		if strings.Contains(passphrase, filler) {
			filler = "}"
		}
		_, other := plan(strings.Repeat(filler, len([]rune(passphrase))))
		if !strings.Contains(other, passphrase) {
			t.Fatalf("the plan's text shows the passphrase")
		}
	})
}
