package cloudpath

// Where in the input a problem is: the tracker between the input and the
// decoder, and the located syntax errors built from it.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fail turns a decoder error into a located *SyntaxError, or passes the
// reader's own failure (*TooLargeError, an I/O error) through.
func (p *parser) fail(err error) error {
	if p.src.err != nil { // the reader failed (too large, I/O): that is the story
		return p.src.err
	}
	var se *json.SyntaxError
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return p.src.syntaxError(p.src.n-p.src.base, "unexpected end of input; the export is cut short")
	case errors.As(err, &se):
		return p.src.syntaxError(p.locate(se), se.Error())
	}
	// Reader failures were handled above; anything else is the decoder
	// refusing the text at this point.
	return p.src.syntaxError(p.skipSpace(p.mark), err.Error())
}

// locate finds the decoder offset of a syntax error. encoding/json reports
// Token's own errors (a wrong delimiter or separator) at the exact offset,
// but errors found while scanning a value relative to what Decode alone has
// scanned. So the failed step is replayed from mark: the separator it
// needed, then, if the value was scanned, the value on its own.
func (p *parser) locate(se *json.SyntaxError) int64 {
	start := p.skipSpace(p.mark)
	if p.sep != 0 {
		if win := p.src.from(start); len(win) == 0 || win[0] != p.sep {
			return start // the separator itself is missing
		}
		start = p.skipSpace(start + 1)
	}
	win := p.src.from(start)
	if len(win) == 0 {
		return se.Offset
	}
	switch c := win[0]; {
	case p.step == stepKey && c != '"', p.step == stepToken && strings.IndexByte("{}[],:", c) >= 0:
		return se.Offset // Token refused the byte itself
	}
	var v skipValue
	err := json.NewDecoder(bytes.NewReader(win)).Decode(&v)
	if again, ok := errors.AsType[*json.SyntaxError](err); ok && again.Offset > 0 && again.Error() == se.Error() {
		return start + again.Offset - 1
	}
	return se.Offset
}

// skipSpace returns the decoder offset of the first non-space byte at or after off.
func (p *parser) skipSpace(off int64) int64 {
	win := p.src.from(off)
	i := 0
	for i < len(win) && isSpace(win[i]) {
		i++
	}
	return max(off, p.src.winStart-p.src.base) + int64(i)
}

// describeFound names an unexpected value for a ShapeError. An {"error": ...}
// object, which the extractor writes when an endpoint failed, is quoted.
func (p *parser) describeFound(tok json.Token) string {
	if tok != json.Delim('{') {
		return describeToken(tok)
	}
	if !p.more() {
		return "an empty object"
	}
	key, err := p.key(true)
	if err != nil || key != "error" {
		return "an object"
	}
	var msg textValue
	if err := p.decode(':', "", &msg); err != nil || msg == "" {
		return "an object"
	}
	return fmt.Sprintf("an error object (%q)", clip(string(msg), 200))
}

func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return strconv.Quote(t.String())
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// --- the reader under the decoder ---

var bom = []byte{0xEF, 0xBB, 0xBF}

// tracker sits between the input and the decoder. It enforces the size
// limit, hides a leading BOM, and keeps the bytes the decoder has not yet
// consumed (plus line and column counts up to them) so an error can be given
// a line and column without holding the whole input.
type tracker struct {
	r     io.Reader
	limit int64
	keep  *int64 // the decoder offset from which bytes must be kept (the parser's mark)
	err   error  // sticky: *TooLargeError or the input's own failure

	n    int64 // raw bytes read, BOM included
	base int64 // BOM length: raw offset = decoder offset + base

	win      []byte // raw bytes [winStart, n)
	winStart int64
	line     int // 1-based line at winStart
	col      int // characters between the start of that line and winStart
}

func newTracker(r io.Reader, limit int64) (*tracker, error) {
	lr := io.LimitReader(r, limit+1)
	head := make([]byte, len(bom))
	n, err := io.ReadFull(lr, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("reading the export: %w", err)
	}
	head = head[:n]
	t := &tracker{r: io.MultiReader(bytes.NewReader(head), lr), limit: limit, line: 1}
	if bytes.Equal(head, bom) {
		t.r = lr
		t.base, t.n, t.winStart = int64(len(bom)), int64(len(bom)), int64(len(bom))
	}
	return t, nil
}

func (t *tracker) Read(b []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	if t.keep != nil {
		// Errors are located from the parser's mark onwards: forget what lies before.
		t.advance(*t.keep + t.base)
	}
	n, err := t.r.Read(b)
	t.n += int64(n)
	if t.n > t.limit {
		t.err = &TooLargeError{Limit: t.limit}
		return 0, t.err
	}
	t.win = append(t.win, b[:n]...)
	if err != nil && err != io.EOF {
		t.err = fmt.Errorf("reading the export: %w", err)
	}
	return n, err
}

// advance drops window bytes before raw offset to, counting their lines.
func (t *tracker) advance(to int64) {
	k := min(to-t.winStart, int64(len(t.win)))
	if k <= 0 {
		return
	}
	t.line, t.col = countPosition(t.win[:k], t.line, t.col)
	t.winStart += k
	t.win = t.win[:copy(t.win, t.win[k:])]
}

// countPosition moves a (line, column) position over b.
func countPosition(b []byte, line, col int) (int, int) {
	if nl := bytes.Count(b, []byte{'\n'}); nl > 0 {
		line += nl
		b = b[bytes.LastIndexByte(b, '\n')+1:]
		col = 0
	}
	return line, col + utf8.RuneCount(b)
}

// from returns the retained bytes from decoder offset off onwards.
func (t *tracker) from(off int64) []byte {
	k := off + t.base - t.winStart
	if k < 0 {
		k = 0
	}
	if k > int64(len(t.win)) {
		return nil
	}
	return t.win[k:]
}

// syntaxError builds a *SyntaxError at decoder offset off.
func (t *tracker) syntaxError(off int64, msg string) *SyntaxError {
	line, col, raw := t.position(off)
	return &SyntaxError{Line: line, Column: col, Offset: raw, Msg: strings.TrimPrefix(msg, "json: ")}
}

// position is the 1-based line and column, and the raw offset, of decoder
// offset off (or of the first retained byte when off was forgotten).
func (t *tracker) position(off int64) (line, col int, raw int64) {
	raw = max(off+t.base, t.winStart)
	k := min(raw-t.winStart, int64(len(t.win)))
	line, col = countPosition(t.win[:k], t.line, t.col)
	return line, col + 1, t.winStart + k
}
