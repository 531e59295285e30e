package cli

import (
	"io"
	"os"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/term"
)

// safeWriter is the last line of defence between cachedeck's stdout and a
// terminal: whatever a command prints, a control character other than a
// line break or tab never reaches it raw. ESC (the start of \x1b[2J, OSC 52
// clipboard writes, OSC 8 links), the other C0 controls, DEL, the C1
// controls, the bidi overrides and bytes that are not UTF-8 are written as
// \u00XX (or \u202e) escapes, which are valid inside the JSON strings the
// --json output is made of. Commands escape what they print themselves
// (decode.DisplayKey, decode.SafeLine); this catches what one forgets.
type safeWriter struct {
	w       io.Writer
	partial []byte // a UTF-8 sequence cut by the end of the last Write
	buf     []byte
}

func newSafeWriter(w io.Writer) *safeWriter { return &safeWriter{w: w} }

func (s *safeWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(s.partial) > 0 {
		p = append(s.partial, p...)
		s.partial = nil
	}
	// Keep back a rune cut at the end; it is completed by the next Write.
	if cut := cutRune(p); cut > 0 {
		s.partial = append([]byte(nil), p[len(p)-cut:]...)
		p = p[:len(p)-cut]
	}
	if clean(p) {
		_, err := s.w.Write(p)
		return n, err
	}
	s.buf = s.buf[:0]
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			s.buf = appendEscape(s.buf, rune(p[i]))
		case r == '\n' || r == '\t':
			s.buf = append(s.buf, byte(r))
		case unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			s.buf = appendEscape(s.buf, r)
		default:
			s.buf = append(s.buf, p[i:i+size]...)
		}
		i += size
	}
	_, err := s.w.Write(s.buf)
	return n, err
}

// Flush writes a rune left incomplete at the very end, escaped.
func (s *safeWriter) Flush() error {
	if len(s.partial) == 0 {
		return nil
	}
	var out []byte
	for _, c := range s.partial {
		out = appendEscape(out, rune(c))
	}
	s.partial = nil
	_, err := s.w.Write(out)
	return err
}

func appendEscape(b []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

// clean reports whether p can go out unchanged (the common case: printable
// ASCII and UTF-8 text without controls).
func clean(p []byte) bool {
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if (r == utf8.RuneError && size == 1) || unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return false
		}
		i += size
	}
	return true
}

// cutRune is the length of an unfinished UTF-8 sequence at the end of p.
func cutRune(p []byte) int {
	for k := 1; k < utf8.UTFMax && k <= len(p); k++ {
		c := p[len(p)-k]
		if c < utf8.RuneSelf {
			return 0
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(p[len(p)-k:]) {
				return 0
			}
			return k
		}
	}
	return 0
}

// stderrIsTerminal: human progress (counts rewritten with \r) goes to
// stderr only when a person watches it; a runbook's log gets the result.
func (a *app) stderrIsTerminal() bool {
	f, ok := a.stderr.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}
