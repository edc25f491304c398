package cli

import (
	"strings"
	"unicode"
)

// Terminal text: what the CLI prints of names, usernames and reasons that
// come from an export or from R1, measured in terminal columns.

// clean makes untrusted text safe and single-line on a terminal: control and
// format characters (escape sequences, bidi overrides, newlines) become '?'
// or a space, so a name can neither move the cursor nor forge a line.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsGraphic(r):
			return r
		}
		return '?'
	}, s)
}

// textWidth is the number of terminal columns s takes once cleaned.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// runeWidth: combining marks take no column, East Asian wide and fullwidth
// characters (and emoji) take two, everything else one.
func runeWidth(r rune) int {
	switch {
	case unicode.In(r, unicode.Mn, unicode.Me):
		return 0
	case r >= 0x1100 && (r <= 0x115f || // Hangul Jamo
		(r >= 0x2e80 && r <= 0xa4cf && r != 0x303f) || // CJK … Yi
		(r >= 0xac00 && r <= 0xd7a3) || // Hangul syllables
		(r >= 0xf900 && r <= 0xfaff) || // CJK compatibility ideographs
		(r >= 0xfe30 && r <= 0xfe4f) || // CJK compatibility forms
		(r >= 0xff00 && r <= 0xff60) || // fullwidth forms
		(r >= 0xffe0 && r <= 0xffe6) ||
		(r >= 0x1f300 && r <= 0x1f64f) || // symbols, emoticons
		(r >= 0x1f900 && r <= 0x1f9ff) ||
		(r >= 0x20000 && r <= 0x3fffd)): // CJK extensions
		return 2
	}
	return 1
}

const ellipsis = "…"

// fit shortens s to at most width columns, ending it with an ellipsis when cut.
func fit(s string, width int) string {
	if textWidth(s) <= width {
		return s
	}
	if width < 1 {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		w := runeWidth(r)
		if n+w > width-1 {
			break
		}
		b.WriteRune(r)
		n += w
	}
	return strings.TrimRight(b.String(), " ") + ellipsis
}

// padRight fills s with spaces to width columns; padLeft right-aligns it.
func padRight(s string, width int) string {
	return s + strings.Repeat(" ", max(width-textWidth(s), 0))
}

func padLeft(s string, width int) string {
	return strings.Repeat(" ", max(width-textWidth(s), 0)) + s
}

// wrap breaks text into lines of at most width columns at spaces: the first
// line starts with first, the others with indent. A word longer than a line
// (a workflow ID, a username) is cut into pieces rather than overflow, except
// that a URL is never cut: a broken link cannot be clicked.
func wrap(text, first, indent string, width int) []string {
	var lines []string
	line, lineW := first, textWidth(first)
	empty := true // nothing but the prefix on the line yet
	flush := func() {
		lines = append(lines, strings.TrimRight(line, " "))
		line, lineW, empty = indent, textWidth(indent), true
	}
	for _, word := range strings.Fields(text) {
		ww := textWidth(word)
		if !empty && lineW+1+ww > width {
			flush()
		}
		if !empty {
			line += " "
			lineW++
		}
		for ww > width-lineW && !strings.Contains(word, "://") && width-lineW > 8 {
			head, rest := splitAtWidth(word, width-lineW)
			line += head
			flush()
			word, ww = rest, textWidth(rest)
		}
		line += word
		lineW += ww
		empty = false
	}
	if !empty || len(lines) == 0 {
		flush()
	}
	return lines
}

// splitAtWidth cuts s after at most width columns (at least one rune).
func splitAtWidth(s string, width int) (string, string) {
	n := 0
	for i, r := range s {
		w := runeWidth(r)
		if n+w > width && i > 0 {
			return s[:i], s[i:]
		}
		n += w
	}
	return s, ""
}

// naturalLess orders names as people count: "Tower 9" before "Tower 10",
// letters case-insensitively.
func naturalLess(a, b string) bool {
	ar, br := []rune(a), []rune(b)
	i, j := 0, 0
	for i < len(ar) && j < len(br) {
		if isDigit(ar[i]) && isDigit(br[j]) {
			ei, ej := i, j
			for ei < len(ar) && isDigit(ar[ei]) {
				ei++
			}
			for ej < len(br) && isDigit(br[ej]) {
				ej++
			}
			na, nb := trimZeros(ar[i:ei]), trimZeros(br[j:ej])
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if sa, sb := string(na), string(nb); sa != sb {
				return sa < sb
			}
			i, j = ei, ej
			continue
		}
		ca, cb := unicode.ToLower(ar[i]), unicode.ToLower(br[j])
		if ca != cb {
			return ca < cb
		}
		i++
		j++
	}
	if len(ar)-i != len(br)-j {
		return len(ar)-i < len(br)-j
	}
	return a < b // equal but for case or leading zeros: still a stable order
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func trimZeros(d []rune) []rune {
	for len(d) > 1 && d[0] == '0' {
		d = d[1:]
	}
	return d
}
