package decode

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SafeLine makes untrusted text (a server's error string, a client name, a
// slowlog argument) safe to print on one terminal line: printable runes
// stay, everything a terminal would act on is escaped — ESC and the other
// C0 controls (\x1b[2J, OSC 52 and OSC 8 sequences start with one), DEL,
// the C1 controls (U+0080–U+009F, which some terminals take for ESC [),
// line breaks, tabs, and bytes that are not UTF-8. Escapes read like Go's:
// \n, \t, \x1b, \u009b.
func SafeLine(s string) string { return safe(s, false) }

// SafeText is SafeLine for multi-line text: line breaks (\n) and tabs stay,
// every other control is escaped, \r included (it would let a line
// overwrite what came before it).
func SafeText(s string) string { return safe(s, true) }

func safe(s string, keepLines bool) string {
	if isSafe(s, keepLines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteByte(hexDigitsLower[s[i]>>4])
			b.WriteByte(hexDigitsLower[s[i]&0xf])
		case keepLines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case unicode.IsControl(r) || isBidiOverride(r):
			q := strconv.QuoteRuneToASCII(r) // '\x1b', '\u009b'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isSafe(s string, keepLines bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				if !keepLines || (c != '\n' && c != '\t') {
					return false
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unicode.IsControl(r) || isBidiOverride(r) {
			return false
		}
		i += size
	}
	return true
}

// isBidiOverride: the explicit bidirectional controls can make text read
// in another order than it is ("Trojan Source"); shown escaped.
func isBidiOverride(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
