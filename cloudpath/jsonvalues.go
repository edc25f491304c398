package cloudpath

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// The types below accept the loose typing seen in real exports (a VLAN as
// "44" or 44, an SSID list as a list or "a,b") without reflection-heavy
// fallbacks: each gets the raw bytes of its value from encoding/json.
//
// They report a wrong type as *json.UnmarshalTypeError because encoding/json
// then adds the field path; the parser turns it into a ShapeError.

func typeErr(target any, found string) error {
	return &json.UnmarshalTypeError{Value: found, Type: reflect.TypeOf(target)}
}

// expectedFor names what a decode target accepts, for ShapeError texts.
func expectedFor(t reflect.Type) string {
	if t == nil {
		return "a different value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[textValue]():
		return "a string or a number"
	case reflect.TypeFor[intValue]():
		return "an integer"
	case reflect.TypeFor[boolValue]():
		return "a boolean"
	case reflect.TypeFor[listValue]():
		return "a list of strings or a comma-separated string"
	case reflect.TypeFor[dpskJSON]():
		return "a DPSK object"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a " + t.Kind().String()
}

// unquote decodes a JSON string literal; the fast path avoids the reflective
// decoder for the common string without escapes.
func unquote(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", false
	}
	return s, true
}

// textValue is a string that also accepts a number or a boolean (kept as
// its literal text) and null (""). Objects and arrays are an error.
type textValue string

func (t *textValue) UnmarshalJSON(b []byte) error {
	switch describeJSON(b) {
	case "a string":
		s, ok := unquote(b)
		if !ok {
			return typeErr(t, "a malformed string")
		}
		*t = textValue(s)
	case "a number", "a boolean":
		*t = textValue(bytes.TrimSpace(b))
	case "null":
		*t = ""
	default:
		return typeErr(t, describeJSON(b))
	}
	return nil
}

// intValue is an integer that also accepts a numeric string, and null or ""
// as 0. Fractions are truncated and values beyond the int32 range clamped,
// which keeps later arithmetic safe whatever the input.
type intValue int

func (n *intValue) UnmarshalJSON(b []byte) error {
	var text string
	switch describeJSON(b) {
	case "a number":
		text = string(bytes.TrimSpace(b))
	case "a string":
		s, ok := unquote(b)
		if !ok {
			return typeErr(n, "a malformed string")
		}
		text = strings.TrimSpace(s)
	case "null":
	default:
		return typeErr(n, describeJSON(b))
	}
	if text == "" {
		*n = 0
		return nil
	}
	v, ok := parseLooseInt(text)
	if !ok {
		return typeErr(n, "the string "+strconv.Quote(clip(text, 20)))
	}
	*n = intValue(v)
	return nil
}

// parseLooseInt parses an integer or an integral-looking number ("5", "5.0",
// "1e2"), truncating fractions and clamping to the int32 range.
func parseLooseInt(s string) (int, bool) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return int(max(min(v, math.MaxInt32), math.MinInt32)), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if (err != nil && !isRangeErr(err)) || math.IsNaN(f) {
		return 0, false
	}
	return int(max(min(f, math.MaxInt32), math.MinInt32)), true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// boolValue is a boolean that also accepts "true"/"false" strings and null.
type boolValue bool

func (v *boolValue) UnmarshalJSON(b []byte) error {
	switch describeJSON(b) {
	case "a boolean":
		*v = boolValue(bytes.HasPrefix(bytes.TrimSpace(b), []byte("true")))
		return nil
	case "null":
		*v = false
		return nil
	case "a string":
		s, _ := unquote(b)
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "yes", "1":
			*v = true
			return nil
		case "false", "no", "0", "":
			*v = false
			return nil
		}
		return typeErr(v, "the string "+strconv.Quote(clip(s, 20)))
	}
	return typeErr(v, describeJSON(b))
}

// listValue is a list of strings, one comma-separated string, or null.
// Entries are trimmed and blank ones dropped.
type listValue []string

func (l *listValue) UnmarshalJSON(b []byte) error {
	switch describeJSON(b) {
	case "null":
		*l = nil
		return nil
	case "a string":
		s, ok := unquote(b)
		if !ok {
			return typeErr(l, "a malformed string")
		}
		*l = splitList(s)
		return nil
	case "an array":
		inner := bytes.TrimSpace(bytes.TrimSpace(b)[1:])
		if len(inner) == 1 && inner[0] == ']' { // the usual empty list, without the reflective decoder
			*l = nil
			return nil
		}
		var raw []textValue
		if err := json.Unmarshal(b, &raw); err != nil {
			return typeErr(l, "a list holding objects or lists")
		}
		out := make([]string, 0, len(raw))
		for _, r := range raw {
			if s := strings.TrimSpace(string(r)); s != "" {
				out = append(out, s)
			}
		}
		*l = out
		return nil
	}
	return typeErr(l, describeJSON(b))
}

func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// clip shortens s to at most n runes for quoting in error texts.
func clip(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}

// skipValue consumes any JSON value without keeping it.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }
