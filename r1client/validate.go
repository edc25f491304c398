package r1client

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// InvalidInputError is a request the client refuses before sending it,
// because R1 would refuse it: the field, the value (never a secret: names
// and SSIDs only) and what to change. It is not retryable.
type InvalidInputError struct {
	Field   string // as R1 names it, e.g. "name", "wlan.ssid"
	Value   string
	Problem string
}

func (e *InvalidInputError) Error() string {
	return fmt.Sprintf("r1client: invalid Wi-Fi network %s %q: %s", e.Field, capText(e.Value, 80), e.Problem)
}

// Validate checks n against R1's rules for a DPSK network (the Wi-Fi spec's
// name and SSID patterns, 2–32 characters each; VLAN 1..4094; description up
// to 256 characters) and an SSID's 32-byte limit on the air (IEEE 802.11).
func (n DPSKNetwork) Validate() error {
	if p := checkNetworkName(n.Name); p != "" {
		return &InvalidInputError{Field: "name", Value: n.Name, Problem: p}
	}
	if p := checkSSID(n.SSID); p != "" {
		return &InvalidInputError{Field: "wlan.ssid", Value: n.SSID, Problem: p}
	}
	if n.VLAN < 0 || n.VLAN > 4094 {
		return &InvalidInputError{Field: "wlan.vlanId", Value: fmt.Sprint(n.VLAN), Problem: "must be between 1 and 4094 (0 means 1)"}
	}
	if utf8.RuneCountInString(n.Description) > 256 {
		return &InvalidInputError{Field: "description", Value: n.Description, Problem: "must be at most 256 characters; shorten it"}
	}
	return nil
}

// isSpace is the \s of R1's (Java) patterns.
func isSpace(r rune) bool { return strings.ContainsRune(" \t\n\v\f\r", r) }

// checkNetworkName applies the spec's name pattern
// (?=^((?!(`|\$\()).){2,32}$)^(\S.*\S)$ and says what breaks it, "" if nothing.
func checkNetworkName(s string) string {
	rs := []rune(s)
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8 text"
	case len(rs) < 2 || len(rs) > 32:
		return fmt.Sprintf("must be 2 to 32 characters, not %d", len(rs))
	case strings.ContainsAny(s, "\n\r"):
		return "must be one line"
	case strings.Contains(s, "`"):
		return "must not contain a backtick (`)"
	case strings.Contains(s, "$("):
		return `must not contain "$("`
	case isSpace(rs[0]) || isSpace(rs[len(rs)-1]):
		return "must not begin or end with a space"
	}
	return ""
}

// checkSSID applies the spec's SSID pattern [^`\s]([^`\t\r\n]){0,30}[^`\s]
// to the whole SSID, and the 32-byte limit of an SSID on the air.
func checkSSID(s string) string {
	rs := []rune(s)
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8 text"
	case len(rs) < 2 || len(rs) > 32:
		return fmt.Sprintf("must be 2 to 32 characters, not %d", len(rs))
	case len(s) > 32:
		return fmt.Sprintf("is %d bytes in UTF-8; an SSID is at most 32 bytes on the air: use fewer non-ASCII characters", len(s))
	case strings.Contains(s, "`"):
		return "must not contain a backtick (`)"
	case strings.ContainsAny(s, "\t\r\n"):
		return "must not contain a tab or a line break"
	case isSpace(rs[0]) || isSpace(rs[len(rs)-1]):
		return "must not begin or end with a space"
	}
	return ""
}
