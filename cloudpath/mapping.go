package cloudpath

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// R1 limits the mapping enforces.
const (
	MinPassphraseLength = 8 // R1 (and WPA2) passphrase length range, in characters
	MaxPassphraseLength = 63
	MinVLAN             = 1
	MaxVLAN             = 4094
	MaxDevicesPerDPSK   = 50  // R1 numberOfDevices range is 1..50
	MaxNameLength       = 255 // identity group, pool and description names
	MinSSIDLength       = 2   // R1 Wi-Fi network names and SSIDs
	MaxSSIDLength       = 32
	// DefaultPassphraseLength is the pool length when Cloudpath gives none.
	DefaultPassphraseLength = 12
)

// R1 pool passphrase formats.
const (
	FormatMostSecured      = "MOST_SECURED"
	FormatKeyboardFriendly = "KEYBOARD_FRIENDLY"
	FormatNumbersOnly      = "NUMBERS_ONLY"
)

// R1 numberOfDevicesType values.
const (
	DevicesUnlimited = "UNLIMITED"
	DevicesLimited   = "LIMITED"
)

// passphraseFormat maps Cloudpath's phraseRandomCharactersType; ok is false
// when the type is unknown and the format must be inferred.
func passphraseFormat(cloudpathType string) (string, bool) {
	switch strings.ToUpper(strings.TrimSpace(cloudpathType)) {
	case "NUMERIC":
		return FormatNumbersOnly, true
	case "ALPHANUMERIC_MIXED", "ALPHANUMERIC_LOWER", "ALPHANUMERIC_UPPER",
		"ALPHANUMERIC_LOWERCASE", "ALPHANUMERIC_UPPERCASE":
		return FormatKeyboardFriendly, true
	case "COMPLEX":
		return FormatMostSecured, true
	}
	return "", false
}

// inferFormat guesses the format from the passphrases themselves: all digits
// is NUMBERS_ONLY, any non-alphanumeric character MOST_SECURED, else
// KEYBOARD_FRIENDLY.
func inferFormat(rows []Row) string {
	if len(rows) == 0 {
		return FormatKeyboardFriendly
	}
	digitsOnly := true
	for i := range rows {
		for _, c := range rows[i].Passphrase {
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
				digitsOnly = false
			default:
				return FormatMostSecured
			}
		}
	}
	if digitsOnly {
		return FormatNumbersOnly
	}
	return FormatKeyboardFriendly
}

// r1ExpirationTypes are the relative expirations R1 pools support natively.
var r1ExpirationTypes = map[string]bool{
	"HOURS_AFTER_TIME": true, "DAYS_AFTER_TIME": true, "WEEKS_AFTER_TIME": true,
	"MONTHS_AFTER_TIME": true, "YEARS_AFTER_TIME": true,
}

// parseVLAN maps a raw vlanid. "" and "0" mean no VLAN; anything else that is
// not an integer in 1..4094 is no VLAN and a warning.
func parseVLAN(raw string) (vlan int, warning string) {
	s := strings.TrimSpace(raw)
	if s == "" || s == "0" {
		return 0, ""
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if (ferr != nil && !isRangeErr(ferr)) || f != math.Trunc(f) || (ferr == nil && math.IsInf(f, 0)) {
			return 0, "vlanid " + strconv.Quote(clip(raw, 20)) + " is not a number; imported without a VLAN"
		}
		v = int(max(min(f, math.MaxInt32), math.MinInt32))
	}
	if v < MinVLAN || v > MaxVLAN {
		return 0, "vlanid " + strconv.Quote(clip(raw, 20)) + " is outside 1..4094; imported without a VLAN"
	}
	return v, ""
}

// deviceLimit maps a DPSK's device limit: LIMITED only when the flag is set
// and the limit positive, clamped to what R1 accepts.
func deviceLimit(use bool, limit int) (kind string, n int, warning string) {
	if !use || limit <= 0 {
		return DevicesUnlimited, 0, ""
	}
	if limit > MaxDevicesPerDPSK {
		return DevicesLimited, MaxDevicesPerDPSK, "device limit " + strconv.Itoa(limit) + " is above R1's maximum; lowered to " + strconv.Itoa(MaxDevicesPerDPSK)
	}
	return DevicesLimited, limit, ""
}

// expiryLayouts are the forms of Cloudpath's expirationDateTime once a
// trailing [Region/City] is removed. Z07:00 also accepts "Z".
var expiryLayouts = []string{
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05Z07:00", // parsing also accepts fractional seconds here
}

// parseExpiry parses Cloudpath's Java ZonedDateTime text, e.g.
// "2026-06-15T00:00-07:00[America/Denver]". ok is false for text it cannot
// read; empty text is (zero, true): no expiry.
func parseExpiry(raw string) (t time.Time, ok bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return time.Time{}, true
	}
	if i := strings.IndexByte(s, '['); i >= 0 && strings.HasSuffix(s, "]") {
		s = strings.TrimSpace(s[:i])
	}
	for _, layout := range expiryLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// formatTime is R1's date-time form: RFC 3339 in UTC, whole seconds.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// passphraseLength counts characters the way R1 limits them.
func passphraseLength(s string) int { return utf8.RuneCountInString(s) }

// ssidWarning names the SSIDs of a pool (its own list and its DPSKs') that
// R1 could not give a network, or "". They do not stop the migration, which
// creates no network, but whoever creates the networks in R1 must rename them.
func ssidWarning(src *Pool) string {
	var odd []string
	seen := map[string]bool{}
	note := func(list []string) {
		for _, s := range list {
			if n := len(s); n >= MinSSIDLength*utf8.UTFMax && n <= MaxSSIDLength || seen[s] {
				continue // fast path: surely 2..32 characters, or already noted
			}
			if n := utf8.RuneCountInString(s); n >= MinSSIDLength && n <= MaxSSIDLength {
				continue
			}
			seen[s] = true
			odd = append(odd, s)
		}
	}
	note(src.SSIDList)
	for i := range src.DPSKs {
		note(src.DPSKs[i].SSIDList)
	}
	if len(odd) == 0 {
		return ""
	}
	quoted := make([]string, 0, 3)
	for _, s := range odd[:min(len(odd), 3)] {
		quoted = append(quoted, strconv.Quote(clip(s, 40)))
	}
	if len(odd) > 3 {
		quoted = append(quoted, fmt.Sprintf("and %d more", len(odd)-3))
	}
	return fmt.Sprintf("ssidList has %s R1 does not accept (not %d to %d characters long): %s; the passphrases are migrated all the same, but their Wi-Fi networks need other SSIDs in R1",
		plural(len(odd), "SSID"), MinSSIDLength, MaxSSIDLength, strings.Join(quoted, ", "))
}
