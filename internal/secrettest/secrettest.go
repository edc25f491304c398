// Package secrettest finds pieces of secrets in text, for tests that prove a
// passphrase or a client secret leaks nowhere, not even cut short or escaped.
package secrettest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
)

// PieceLen is the length of the pieces looked for: r1client masks every run
// of text made of such pieces, so at most PieceLen-1 bytes of a secret may
// survive anywhere.
const PieceLen = 6

// Pieces maps every PieceLen-byte piece of each secret, raw and JSON-escaped
// once, twice and three times (with and without HTML escaping, with and
// without \/), to the secret it belongs to.
func Pieces(secrets ...string) map[string]string {
	pieces := map[string]string{}
	for _, s := range secrets {
		for _, f := range forms(s) {
			for i := 0; i+PieceLen <= len(f); i++ {
				pieces[f[i:i+PieceLen]] = s
			}
		}
	}
	return pieces
}

// Find returns the first piece in text, with some context around it.
func Find(text string, pieces map[string]string) (piece, context string, found bool) {
	for i := 0; i+PieceLen <= len(text); i++ {
		if _, ok := pieces[text[i:i+PieceLen]]; ok {
			from, to := max(i-60, 0), min(i+PieceLen+60, len(text))
			return text[i : i+PieceLen], text[from:to], true
		}
	}
	return "", "", false
}

func forms(s string) []string {
	seen := map[string]bool{s: true}
	all, level := []string{s}, []string{s}
	for depth := 0; depth < 3; depth++ {
		var next []string
		for _, f := range level {
			for _, e := range escapeOnce(f) {
				if !seen[e] {
					seen[e] = true
					next = append(next, e)
				}
			}
		}
		all, level = append(all, next...), next
	}
	return all
}

func escapeOnce(s string) []string {
	var out []string
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(s)
		q := strings.TrimSpace(b.String())
		e := q[1 : len(q)-1]
		out = append(out, e, strings.ReplaceAll(e, "/", `\/`))
	}
	return out
}

// Random is n printable ASCII characters, space excluded (so a piece of it
// never matches filler text that has spaces), with at least one of the
// characters JSON or HTML escaping changes when special is set.
func Random(rng *rand.Rand, n int, special bool) string {
	const escaped = `"\<>&/`
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(0x21 + rng.IntN(0x7e-0x21+1))
	}
	if special {
		for k := 0; k < 1+rng.IntN(3); k++ {
			b[rng.IntN(n)] = escaped[rng.IntN(len(escaped))]
		}
	}
	return string(b)
}

// Pad is n bytes of filler whose every piece holds a space.
func Pad(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("pad ", n/4+1)[:n]
}
