package cloudpath

import (
	"fmt"
	"strings"
)

// SyntaxError is malformed JSON, located in the input so a person can open
// the file at the right place. Line and Column are 1-based; Column counts
// characters, Offset counts bytes from the start of the input (a BOM included).
type SyntaxError struct {
	Line, Column int
	Offset       int64
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// ShapeError is well-formed JSON that is not a Cloudpath export: the value
// at Path is not what the export format puts there.
type ShapeError struct {
	Path     string // JSONPath-like location, "$" is the document
	Expected string
	Found    string
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("at %s: expected %s, found %s", e.Path, e.Expected, e.Found)
}

// TooLargeError is input longer than the byte limit of ParseOptions.MaxBytes.
type TooLargeError struct {
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("export is larger than the limit of %d bytes (%s)", e.Limit, byteSize(e.Limit))
}

func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// describeJSON names the kind of JSON value that starts with b, for "found ..." texts.
func describeJSON(b []byte) string {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// describeGoKind translates encoding/json's UnmarshalTypeError.Value.
func describeGoKind(v string) string {
	switch {
	case v == "object":
		return "an object"
	case v == "array":
		return "an array"
	case v == "string":
		return "a string"
	case v == "bool":
		return "a boolean"
	case v == "null":
		return "null"
	case strings.HasPrefix(v, "number"):
		return "a number"
	}
	return v
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}
