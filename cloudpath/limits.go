package cloudpath

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on the values of an export, checked while it is parsed. Every text
// of an export becomes an R1 name, a field of an R1 request or of a Temporal
// payload, a workflow-ID key or a line of a summary, so every one is bounded.
// The limits sit far above anything Cloudpath writes (GUIDs have about 50
// characters, statuses and VLANs a few) and at R1's own limit where R1 has
// one, so a real export never meets them. A value over its limit refuses the
// export with a *LimitError that locates it, with two exceptions: the
// description is cut (see MaxDescriptionLength), and a passphrase within its
// bound but outside R1's 8..63 printable ASCII refuses only its row (plan).
// Lengths count characters (Unicode code points), as R1 does.
const (
	// MaxPoolNameLength bounds a pool's displayName and name. R1 names are
	// cut to 255 when the prefix and suffix are added (plan), but the display
	// name is also shown as is in summaries and results.
	MaxPoolNameLength = MaxNameLength
	// MaxGUIDLength bounds pool and DPSK guids ("AccountDpsk-<uuid>", about
	// 50 characters); a DPSK's guid is what R1 identities are described with.
	MaxGUIDLength = 255
	// MaxUsernameLength bounds a DPSK's name: the R1 username and identity
	// name, both at most 255 characters.
	MaxUsernameLength = MaxNameLength
	// MaxPassphraseTextLength bounds a passphrase far above R1's 63, so that
	// a long one (a 64-digit hex PSK, say) refuses its row while a value no
	// passphrase can be refuses the export. Neither error shows it.
	MaxPassphraseTextLength = 255
	// MaxDescriptionLength is R1's description limit. A longer pool
	// description is cut to it, with a plan warning, instead of refusing the
	// export: a description names nothing and nobody should have to edit an
	// export because of one.
	MaxDescriptionLength = MaxNameLength
	// MaxStatusLength bounds a DPSK's status (ACTIVE, REVOKED, EXPIRED).
	MaxStatusLength = 64
	// MaxVLANTextLength bounds a vlanid's text ("44", 44, "").
	MaxVLANTextLength = 64
	// MaxDateTimeTextLength bounds an expirationDateTime: a Java
	// ZonedDateTime with nanoseconds and the longest zone name has about 70.
	MaxDateTimeTextLength = 128
	// MaxSettingTextLength bounds a pool's phraseRandomCharactersType,
	// expirationDateType and expirationDateValue (a word or a number).
	MaxSettingTextLength = 64
	// MaxSSIDTextLength bounds one SSID. R1's own range (MinSSIDLength to
	// MaxSSIDLength) is a plan warning, not a refusal: this migration moves
	// passphrases and creates no network.
	MaxSSIDTextLength = 255
	// MaxSSIDsPerDPSK bounds a DPSK's ssidList: R1 binds a DPSK pool to at
	// most 64 networks, so no DPSK can be valid on more.
	MaxSSIDsPerDPSK = 64
	// MaxSSIDsPerPool bounds a pool's ssidList, higher than a DPSK's because
	// a per-unit property may list every unit's SSID on its pool.
	MaxSSIDsPerPool = 1024
)

// LimitError is a value longer than its limit (or a list with more entries),
// located like a SyntaxError. It never shows the value: it may be a passphrase.
type LimitError struct {
	Line, Column  int    // 1-based, of the value's first character
	Offset        int64  // bytes from the start of the input (a BOM included)
	Path          string // JSONPath-like, with the keys as the export spells them
	Field         string // the field's documented name, e.g. "displayName"
	Length, Limit int
	Unit          string // "characters" or "SSIDs"
	Fix           string // what the value is for and what to do
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s has %d %s, more than the %d allowed: %s",
		e.Line, e.Column, e.Path, e.Length, e.Unit, e.Limit, e.Fix)
}

// fieldLimit is one limit with the advice a LimitError gives.
type fieldLimit struct {
	field string
	max   int
	unit  string
	fix   string
}

var (
	limitPoolDisplayName = fieldLimit{"displayName", MaxPoolNameLength, "characters",
		"it names the R1 identity group and DPSK pool and is shown in every summary; shorten the pool's name in the export"}
	limitPoolName = fieldLimit{"name", MaxPoolNameLength, "characters",
		"it names the R1 identity group and DPSK pool and is shown in every summary; shorten the pool's name in the export"}
	limitPoolGUID = fieldLimit{"guid", MaxGUIDLength, "characters",
		"Cloudpath pool GUIDs have about 50 characters, so this one is damaged; correct it in the export or export the pool again"}
	limitPhraseType = fieldLimit{"phraseRandomCharactersType", MaxSettingTextLength, "characters",
		"Cloudpath writes a word such as ALPHANUMERIC_MIXED; correct it in the export"}
	limitExpiryType = fieldLimit{"expirationDateType", MaxSettingTextLength, "characters",
		"Cloudpath writes a word such as MONTHS_AFTER_TIME; correct it in the export"}
	limitExpiryValue = fieldLimit{"expirationDateValue", MaxSettingTextLength, "characters",
		"Cloudpath writes a number such as 12; correct it in the export"}
	limitPoolSSIDs = fieldLimit{"ssidList", MaxSSIDsPerPool, "SSIDs",
		"no Cloudpath pool lists that many; remove SSIDs from the list in the export"}
	limitSSID = fieldLimit{"ssidList", MaxSSIDTextLength, "characters",
		"R1 SSIDs have 2 to 32 characters, so this one is damaged; correct it in the export"}

	limitDPSKGUID = fieldLimit{"guid", MaxGUIDLength, "characters",
		"Cloudpath DPSK GUIDs have about 50 characters, so this one is damaged; correct it in the export or export the pool again"}
	limitUsername = fieldLimit{"name", MaxUsernameLength, "characters",
		"it becomes the R1 username and identity name, at most 255 characters; shorten it in the export or remove the DPSK"}
	limitPassphrase = fieldLimit{"passphrase", MaxPassphraseTextLength, "characters",
		"R1 accepts passphrases of 8 to 63 characters, so this one is damaged; correct it in the export or remove the DPSK"}
	limitStatus = fieldLimit{"status", MaxStatusLength, "characters",
		"Cloudpath writes a word such as ACTIVE or REVOKED; correct it in the export"}
	limitExpiry = fieldLimit{"expirationDateTime", MaxDateTimeTextLength, "characters",
		"Cloudpath writes a date such as 2026-06-15T00:00-07:00[America/Denver]; correct it in the export or remove it"}
	limitVLAN = fieldLimit{"vlanid", MaxVLANTextLength, "characters",
		"a VLAN is a number from 1 to 4094; correct it in the export"}
	limitDPSKSSIDs = fieldLimit{"ssidList", MaxSSIDsPerDPSK, "SSIDs",
		"R1 binds a DPSK pool to at most 64 networks; remove SSIDs from the list in the export"}
)

// overLength is the length of s in characters when it is over max, else 0.
func overLength(s string, max int) int {
	if len(s) <= max { // a character takes at least a byte
		return 0
	}
	if n := utf8.RuneCountInString(s); n > max {
		return n
	}
	return 0
}

// cutDescription keeps the first MaxDescriptionLength characters of a pool
// description and says how many more there were.
func cutDescription(s string) (string, int) {
	if n := overLength(s, MaxDescriptionLength); n > 0 {
		return truncate(s, MaxDescriptionLength), n - MaxDescriptionLength
	}
	return s, 0
}

// checkPoolText refuses a pool value just decoded (at the parser's mark)
// when it is over lim.
func (p *parser) checkPoolText(path, s string, lim *fieldLimit) error {
	if n := overLength(s, lim.max); n > 0 {
		return p.limitError(p.valueOffset(), path, n, lim)
	}
	return nil
}

// checkPoolSSIDs refuses a pool ssidList just decoded (at the parser's mark)
// with too many entries or too long an entry.
func (p *parser) checkPoolSSIDs(path string, list []string) error {
	if len(list) > MaxSSIDsPerPool {
		return p.limitError(p.valueOffset(), path, len(list), &limitPoolSSIDs)
	}
	for i, s := range list {
		if n := overLength(s, MaxSSIDTextLength); n > 0 {
			off, entry := p.listEntryOffset(p.valueOffset(), i)
			return p.limitError(off, path+entry, n, &limitSSID)
		}
	}
	return nil
}

// checkDPSK refuses DPSK i of the array at path array with a value over its limit.
// The DPSK was decoded whole at the parser's mark, so the value is found
// again in its text to locate it.
func (p *parser) checkDPSK(array string, i int, d *dpskJSON) error {
	path := func() string { return array + "[" + strconv.Itoa(i) + "]" } // only for an error
	texts := [...]struct {
		value string
		lim   *fieldLimit
	}{
		{string(d.GUID), &limitDPSKGUID},
		{string(d.Name), &limitUsername},
		{d.Passphrase, &limitPassphrase},
		{string(d.Status), &limitStatus},
		{string(d.ExpirationDateTime), &limitExpiry},
		{string(d.VLAN), &limitVLAN},
	}
	for _, t := range texts {
		if n := overLength(t.value, t.lim.max); n > 0 {
			off, key := p.memberOffset(p.valueOffset(), t.lim.field)
			return p.limitError(off, path()+"."+key, n, t.lim)
		}
	}
	if len(d.SSIDList) > MaxSSIDsPerDPSK {
		off, key := p.memberOffset(p.valueOffset(), "ssidList")
		return p.limitError(off, path()+"."+key, len(d.SSIDList), &limitDPSKSSIDs)
	}
	for k, s := range d.SSIDList {
		if n := overLength(s, MaxSSIDTextLength); n > 0 {
			off, key := p.memberOffset(p.valueOffset(), "ssidList")
			off, entry := p.listEntryOffset(off, k)
			return p.limitError(off, path()+"."+key+entry, n, &limitSSID)
		}
	}
	return nil
}

func (p *parser) limitError(off int64, path string, n int, lim *fieldLimit) *LimitError {
	line, col, raw := p.src.position(off)
	return &LimitError{Line: line, Column: col, Offset: raw, Path: path, Field: lim.field,
		Length: n, Limit: lim.max, Unit: lim.unit, Fix: lim.fix}
}

// valueOffset is the decoder offset of the value the last step read: past
// the separator due at the mark and the spaces around it.
func (p *parser) valueOffset() int64 {
	start := p.skipSpace(p.mark)
	if p.sep != 0 {
		if win := p.src.from(start); len(win) > 0 && win[0] == p.sep {
			start = p.skipSpace(start + 1)
		}
	}
	return start
}

// memberOffset finds the value of the last member named key (matched
// case-insensitively, as encoding/json matches it, and the last one is the
// one decoded) in the object at decoder offset obj. It returns the offset and
// the key as the export spells it; the object's own offset and key when the
// member cannot be found.
func (p *parser) memberOffset(obj int64, key string) (int64, string) {
	win := p.src.from(obj)
	dec := json.NewDecoder(bytes.NewReader(win))
	found, spelled := obj, key
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return found, spelled
	}
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if err != nil || !ok {
			break
		}
		value := skipSpaceColon(win, dec.InputOffset())
		var skip skipValue
		if err := dec.Decode(&skip); err != nil {
			break
		}
		if strings.EqualFold(name, key) {
			found, spelled = obj+value, name
		}
	}
	return found, spelled
}

// listEntryOffset finds entry i of a list value at decoder offset list, as
// listValue counts entries (blank ones dropped). It returns the offset of the
// entry and its index in the array as a path suffix ("[3]"); for a
// comma-separated string, the string's offset and which SSID of it is meant.
func (p *parser) listEntryOffset(list int64, i int) (int64, string) {
	win := p.src.from(list)
	dec := json.NewDecoder(bytes.NewReader(win))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return list, fmt.Sprintf(" (SSID %d of the comma-separated list)", i+1)
	}
	for raw, kept := 0, 0; dec.More(); raw++ {
		start := skipSpaceComma(win, dec.InputOffset())
		var t textValue
		if err := dec.Decode(&t); err != nil {
			break
		}
		if strings.TrimSpace(string(t)) == "" {
			continue
		}
		if kept == i {
			return list + start, "[" + strconv.Itoa(raw) + "]"
		}
		kept++
	}
	return list, ""
}

// skipSpaceColon returns the index of the first byte of win at or after i
// that is neither space nor ':'.
func skipSpaceColon(win []byte, i int64) int64 {
	for i < int64(len(win)) && (isSpace(win[i]) || win[i] == ':') {
		i++
	}
	return i
}

func skipSpaceComma(win []byte, i int64) int64 {
	for i < int64(len(win)) && (isSpace(win[i]) || win[i] == ',') {
		i++
	}
	return i
}
