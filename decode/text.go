package decode

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// isDisplayableText reports whether b is valid UTF-8 made only of printable
// characters, tabs and line breaks. Anything else (NUL, ESC, DEL, the C1
// controls) is not shown as text: the console writes Text straight to a
// terminal, so a value with an escape sequence is shown as a hex dump.
func isDisplayableText(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if unicode.IsControl(r) {
			return false
		}
		i += size
	}
	return true
}

// trimIncompleteRune drops a UTF-8 sequence cut off at the end of b, which
// is what a value cut at an arbitrary byte (GETRANGE, an output cap) has.
func trimIncompleteRune(b []byte) []byte {
	for k := 1; k <= utf8.UTFMax-1 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < utf8.RuneSelf {
			return b // ASCII: nothing cut
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-k:]) {
				return b[:len(b)-k]
			}
			return b
		}
	}
	return b
}

// safeText makes text that may hold control characters safe to print: tabs
// and line breaks stay, other controls and invalid bytes become \x.. / \u....
// escapes. Used for partial recoveries, which are not validated as text.
// owned says b is ours to keep, so it need not be copied.
func safeText(b []byte, owned bool) string {
	if isDisplayableText(b) {
		if owned {
			return bytesToString(b)
		}
		return string(b)
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\x`...)
			out = append(out, hexDigitsLower[b[i]>>4], hexDigitsLower[b[i]&0xf])
		case r == '\t' || r == '\n' || r == '\r':
			out = append(out, byte(r))
		case unicode.IsControl(r):
			q := strconv.QuoteRuneToASCII(r) // e.g. '\x1b'
			out = append(out, q[1:len(q)-1]...)
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return bytesToString(out)
}
