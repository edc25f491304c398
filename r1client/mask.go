package r1client

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

type secretsKey struct{}

// WithSecrets returns a context whose R1 calls mask secrets (for example the
// passphrase of the row a call is about) in every error and activity failure
// text, the same way the client secret and the access token always are. Use
// it for calls whose request does not itself carry the secret R1 might quote.
func WithSecrets(ctx context.Context, secrets ...string) context.Context {
	prev, _ := ctx.Value(secretsKey{}).([]string)
	all := make([]string, 0, len(prev)+len(secrets))
	all = append(append(all, prev...), secrets...)
	return context.WithValue(ctx, secretsKey{}, all)
}

func contextSecrets(ctx context.Context) []string {
	s, _ := ctx.Value(secretsKey{}).([]string)
	return s
}

// carriesSecrets is a request body holding secrets R1 may quote back
// (PassphraseCreate); a call masks them in its errors.
type carriesSecrets interface{ secrets() []string }

// gramLen is the length of the pieces masked. R1 (or our own read limit)
// may cut its text anywhere, so a quoted secret can arrive as any fragment
// of itself, not only whole. Masking every run of text made of 6-byte
// pieces of a secret leaves at most 5 bytes of it anywhere, while masking
// shorter pieces would start to blank ordinary words. A secret (in a given
// form) shorter than gramLen is too short to mask without the same damage.
const gramLen = 6

// gram is gramLen bytes packed into an integer: a map keyed by it hashes
// far faster than one keyed by a byte array, which matters when an import
// file's 10,000 passphrases are masked.
type gram uint64

// masker replaces secrets in text from R1, in their raw form and in the
// forms JSON encoding gives them: R1 quotes a value inside JSON strings, an
// activity's error holds JSON strings nested in JSON strings, so each secret
// is also masked escaped once, twice and three times, each time with or
// without Go's HTML escaping (\u003c \u003e \u0026) and with or without \/.
// It must run over R1's raw text before anything parses or shortens it.
type masker struct {
	secrets []string
	grams   map[gram]struct{} // built on first use: only errors pay for it
}

func newMasker(secrets ...string) *masker {
	return &masker{secrets: secrets}
}

func (m *masker) build() {
	if m.grams != nil {
		return
	}
	m.grams = map[gram]struct{}{}
	for _, s := range m.secrets {
		for k, f := range jsonForms(s) {
			if k == 0 { // s itself
				for i := 0; i+gramLen <= len(f); i++ {
					m.grams[gramAt(f, i)] = struct{}{}
				}
				continue
			}
			// An escaped form copies the form it escapes but for the escapes,
			// each a backslash and at most 5 more bytes (\u003c). A piece with
			// no backslash in it or in the 5 bytes before it holds no escape:
			// it is a piece of the form escaped (one of these forms), added
			// with that one. Adding only the other pieces keeps a file of
			// 10,000 passphrases quick to mask.
			last, seen := -gramLen, 0 // the last backslash among f[:seen]
			for i := 0; i+gramLen <= len(f); i++ {
				for ; seen < i+gramLen; seen++ {
					if f[seen] == '\\' {
						last = seen
					}
				}
				if last >= i-(gramLen-1) {
					m.grams[gramAt(f, i)] = struct{}{}
				}
			}
		}
	}
}

func gramAt(s string, i int) gram {
	var g gram
	for _, b := range []byte(s[i : i+gramLen]) {
		g = g<<8 | gram(b)
	}
	return g
}

// mask replaces every run of text covered by pieces of a secret with one
// [REDACTED], widened to whole UTF-8 characters.
func (m *masker) mask(text string) string {
	if m == nil || len(m.secrets) == 0 || len(text) < gramLen {
		return text
	}
	m.build()
	var runs [][2]int
	for i := 0; i+gramLen <= len(text); i++ {
		if _, hit := m.grams[gramAt(text, i)]; !hit {
			continue
		}
		start, end := widen(text, i, i+gramLen)
		if n := len(runs); n > 0 && start <= runs[n-1][1] {
			runs[n-1][1] = max(runs[n-1][1], end)
		} else {
			runs = append(runs, [2]int{start, end})
		}
	}
	if len(runs) == 0 {
		return text
	}
	var b strings.Builder
	done := 0
	for _, r := range runs {
		b.WriteString(text[done:r[0]])
		b.WriteString(redacted)
		done = r[1]
	}
	b.WriteString(text[done:])
	return b.String()
}

// widen moves the ends of a masked run out of UTF-8 characters and JSON
// escapes: the pieces of a deeply escaped secret can take in part of the
// backslashes around it, and a run that ends between a backslash and the
// character it escapes would leave the JSON it sits in unreadable.
func widen(text string, start, end int) (int, int) {
	for start > 0 && (text[start-1] == '\\' || !utf8.RuneStart(text[start])) {
		start--
	}
	if text[end-1] == '\\' {
		for end < len(text) && text[end] == '\\' {
			end++
		}
		n := 0 // the backslashes ending the run pair up from their first
		for i := end - 1; i >= 0 && text[i] == '\\'; i-- {
			n++
		}
		if n%2 == 1 && end < len(text) {
			end++ // the escaped character
		}
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	return start, end
}

func (m *masker) maskBytes(body []byte) []byte {
	if m == nil || len(m.secrets) == 0 || len(body) < gramLen {
		return body
	}
	return []byte(m.mask(string(body)))
}

// jsonForms is s and every encoding of it as the content of a JSON string,
// up to three levels deep, deduplicated.
func jsonForms(s string) []string {
	seen := map[string]bool{s: true}
	forms, level := []string{s}, []string{s}
	for depth := 0; depth < 3; depth++ {
		var next []string
		for _, f := range level {
			for _, e := range jsonEscapes(f) {
				if !seen[e] {
					seen[e] = true
					next = append(next, e)
				}
			}
		}
		forms = append(forms, next...)
		level = next
	}
	return forms
}

// jsonEscapes is s escaped once, with and without HTML escaping and \/.
func jsonEscapes(s string) []string {
	html, _ := json.Marshal(s)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	plain := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	out := []string{string(html[1 : len(html)-1]), string(plain[1 : len(plain)-1])}
	for _, e := range out[:2] {
		out = append(out, strings.ReplaceAll(e, "/", `\/`))
	}
	return out
}
