package decode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// A one-pass validating pretty-printer. json.Valid followed by json.Indent
// walks a multi-megabyte value twice through encoding/json's byte-at-a-time
// scanner (about 70 ms for a 1 MiB COMPRESSED: value here), which alone
// blows the budget for showing it. This does both in one pass, copies
// strings and numbers in runs, skips through strings 8 bytes at a time, and
// can read its input while a decompressor is still producing it (see
// pipeline.go).
//
// Its output is exactly json.Indent(src, "", "  ") without trailing
// whitespace, with one deliberate difference for terminal safety: inside
// strings, DEL and the C1 controls (U+0080–U+009F; U+009B is a CSI
// introducer on some terminals) are written as \u escapes, and bytes that
// are not valid UTF-8 as \ufffd. Numbers are copied verbatim, so big
// integers stay exact. FuzzPrettyJSON checks the equivalence.

// maxJSONDepth matches encoding/json's scanner limit, so we accept exactly
// what json.Valid accepts.
const maxJSONDepth = 10000

var (
	// errJSONIncomplete: the input is a valid JSON prefix that ends too
	// early — a cut value rather than a broken one.
	errJSONIncomplete = errors.New("json: unexpected end of input")
	errJSONTooDeep    = errors.New("json: exceeded max depth")
)

// jsonSyntaxError says where the input stops being JSON.
type jsonSyntaxError struct {
	offset int
	msg    string
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("json: %s at offset %d", e.msg, e.offset)
}

// prettyJSON is the result of formatting one value.
type prettyJSON struct {
	text      []byte
	capped    bool // output hit the limit; the input was still fully validated
	sanitized int  // DEL/C1/invalid-UTF-8 characters rewritten as escapes
}

// formatJSON validates src and pretty-prints it into at most limit bytes.
// The error is errJSONIncomplete, errJSONTooDeep or a *jsonSyntaxError.
func formatJSON(src []byte, limit int) (prettyJSON, error) {
	f := jsonFormatter{src: src, limit: limit}
	// Pretty output is usually 1.2–1.6x the compact input; start there to
	// avoid most re-growing, without ever exceeding the limit.
	f.buf = make([]byte, min(limit, len(src)+len(src)/2+64))
	return f.run()
}

// jsonFormatter holds one formatting run.
type jsonFormatter struct {
	src  []byte    // the input available so far
	feed *byteFeed // more input on the way; nil when src is all of it

	buf       []byte // output: buf[:n] is written, the rest is room
	n         int
	limit     int
	capped    bool // past the limit: keep validating, stop writing
	sanitized int

	stack  []byte // '{' or '[' per open container
	indent []byte // "\n" and two spaces per level, grown on demand
}

func (f *jsonFormatter) run() (prettyJSON, error) {
	err := f.format()
	return prettyJSON{text: f.buf[:f.n], capped: f.capped, sanitized: f.sanitized}, err
}

// have reports whether src[i] exists, waiting for the feed if there is one.
func (f *jsonFormatter) have(i int) bool {
	return i < len(f.src) || f.waitFor(i)
}

//go:noinline
func (f *jsonFormatter) waitFor(i int) bool {
	for f.feed != nil {
		b, ok := f.feed.wait(len(f.src))
		f.src = b
		if i < len(f.src) {
			return true
		}
		if !ok {
			return false
		}
	}
	return false
}

// emit appends to the output. The output buffer is written by index
// (f.n) rather than by append: storing a slice header into f on every token
// costs a GC write barrier, which was a tenth of the formatting time.
func (f *jsonFormatter) emit(b []byte) {
	if f.n+len(b) <= len(f.buf) {
		f.n += copy(f.buf[f.n:], b)
		return
	}
	f.emitSlow(b)
}

func (f *jsonFormatter) emitString(s string) {
	if f.n+len(s) <= len(f.buf) {
		f.n += copy(f.buf[f.n:], s)
		return
	}
	f.emitSlow([]byte(s))
}

func (f *jsonFormatter) emitByte(c byte) {
	if f.n < len(f.buf) {
		f.buf[f.n] = c
		f.n++
		return
	}
	f.emitSlow([]byte{c})
}

// emitSlow grows the buffer, or stops writing at the limit.
//
//go:noinline
func (f *jsonFormatter) emitSlow(b []byte) {
	if f.capped {
		return
	}
	if f.n+len(b) > f.limit {
		b = b[:f.limit-f.n]
		f.capped = true
	}
	if f.n+len(b) > len(f.buf) {
		grown := make([]byte, min(max(2*len(f.buf), f.n+len(b), 4096), f.limit))
		copy(grown, f.buf[:f.n])
		f.buf = grown
	}
	f.n += copy(f.buf[f.n:], b)
	if f.capped {
		f.buf = f.buf[:f.n] // nothing more fits: make every later emit take this path
	}
}

func (f *jsonFormatter) newline() {
	n := 1 + 2*len(f.stack)
	for len(f.indent) < n {
		if len(f.indent) == 0 {
			f.indent = append(f.indent, '\n')
		}
		f.indent = append(f.indent, ' ', ' ')
	}
	f.emit(f.indent[:n])
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (f *jsonFormatter) skipSpace(i int) int {
	for f.have(i) && isJSONSpace(f.src[i]) {
		i++
	}
	return i
}

func (f *jsonFormatter) syntax(i int, msg string) error {
	if !f.have(i) {
		return errJSONIncomplete
	}
	return &jsonSyntaxError{offset: i, msg: msg}
}

func (f *jsonFormatter) format() error {
	i := f.skipSpace(0)
	for {
		// A value is expected at src[i].
		if !f.have(i) {
			return errJSONIncomplete
		}
		switch c := f.src[i]; {
		case c == '{' || c == '[':
			if len(f.stack) >= maxJSONDepth {
				return errJSONTooDeep
			}
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			i = f.skipSpace(i + 1)
			if f.have(i) && f.src[i] == closer {
				f.emitByte(c)
				f.emitByte(closer)
				i++
				break // an empty container is a complete value
			}
			f.emitByte(c)
			f.stack = append(f.stack, c)
			f.newline()
			if c == '{' {
				var err error
				if i, err = f.key(i); err != nil {
					return err
				}
			}
			continue // the first element
		case c == '"':
			var err error
			if i, err = f.str(i); err != nil {
				return err
			}
		case c == '-' || (c >= '0' && c <= '9'):
			end, err := f.number(i)
			if err != nil {
				return err
			}
			f.emit(f.src[i:end])
			i = end
		case c == 't':
			if err := f.literal(i, "true"); err != nil {
				return err
			}
			i += 4
		case c == 'f':
			if err := f.literal(i, "false"); err != nil {
				return err
			}
			i += 5
		case c == 'n':
			if err := f.literal(i, "null"); err != nil {
				return err
			}
			i += 4
		default:
			return f.syntax(i, fmt.Sprintf("invalid character %q looking for beginning of value", c))
		}

		// A value is complete: close containers or move to the next element.
	after:
		for {
			i = f.skipSpace(i)
			if len(f.stack) == 0 {
				if f.have(i) {
					return f.syntax(i, fmt.Sprintf("invalid character %q after top-level value", f.src[i]))
				}
				return nil
			}
			if !f.have(i) {
				return errJSONIncomplete
			}
			top, c := f.stack[len(f.stack)-1], f.src[i]
			switch {
			case c == ',':
				f.emitByte(',')
				f.newline()
				i = f.skipSpace(i + 1)
				if top == '{' {
					var err error
					if i, err = f.key(i); err != nil {
						return err
					}
				}
				break after // the next element
			case (top == '{' && c == '}') || (top == '[' && c == ']'):
				f.stack = f.stack[:len(f.stack)-1]
				f.newline()
				f.emitByte(c)
				i++
			default:
				what := "array element"
				if top == '{' {
					what = "object key:value pair"
				}
				return f.syntax(i, fmt.Sprintf("invalid character %q after %s", c, what))
			}
		}
	}
}

// key writes `"key": ` and returns the offset of the value.
func (f *jsonFormatter) key(i int) (int, error) {
	if !f.have(i) {
		return i, errJSONIncomplete
	}
	if f.src[i] != '"' {
		return i, f.syntax(i, fmt.Sprintf("invalid character %q looking for beginning of object key string", f.src[i]))
	}
	i, err := f.str(i)
	if err != nil {
		return i, err
	}
	i = f.skipSpace(i)
	if !f.have(i) {
		return i, errJSONIncomplete
	}
	if f.src[i] != ':' {
		return i, f.syntax(i, fmt.Sprintf("invalid character %q after object key", f.src[i]))
	}
	f.emitString(": ")
	return f.skipSpace(i + 1), nil
}

// jsonStrPlain marks the bytes a string can hold that need no attention:
// everything but the quote, the backslash, control bytes, DEL and non-ASCII.
var jsonStrPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	swarOnes  = 0x0101010101010101
	swarHighs = 0x8080808080808080
)

// swarSpecial is non-zero when any of the 8 bytes in w needs attention
// inside a string: < 0x20, '"', '\\', DEL or non-ASCII.
func swarSpecial(w uint64) uint64 {
	hasZero := func(v uint64) uint64 { return (v - swarOnes) &^ v & swarHighs }
	return (w & swarHighs) | // non-ASCII
		((w - 0x20*swarOnes) &^ w & swarHighs) | // < 0x20
		hasZero(w^('"'*swarOnes)) |
		hasZero(w^('\\'*swarOnes)) |
		hasZero(w^(0x7f*swarOnes))
}

// str copies the string whose opening quote is src[i] and returns the
// offset after its closing quote.
func (f *jsonFormatter) str(i int) (int, error) {
	start := i
	i++
	for {
		src := f.src
		for i+8 <= len(src) {
			if m := swarSpecial(binary.LittleEndian.Uint64(src[i:])); m != 0 {
				// The lowest flagged byte is exact (false positives only
				// ever sit above a true one), so jump straight to it.
				i += bits.TrailingZeros64(m) >> 3
				goto special
			}
			i += 8
		}
		for i < len(src) && jsonStrPlain[src[i]] {
			i++
		}
	special:
		if i >= len(src) {
			if f.have(i) {
				continue // more input arrived
			}
			return i, errJSONIncomplete
		}
		switch c := src[i]; {
		case c == '"':
			f.emit(src[start : i+1])
			return i + 1, nil
		case c == '\\':
			if !f.have(i + 1) {
				return i, errJSONIncomplete
			}
			switch f.src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := 2; k < 6; k++ {
					if !f.have(i + k) {
						return i, errJSONIncomplete
					}
					if !isHexDigit(f.src[i+k]) {
						return i, &jsonSyntaxError{offset: i + k, msg: "invalid character in \\u hexadecimal character escape"}
					}
				}
				i += 6
			default:
				return i, &jsonSyntaxError{offset: i + 1, msg: "invalid character in string escape code"}
			}
		case c < 0x20:
			return i, &jsonSyntaxError{offset: i, msg: "invalid control character in string literal"}
		case c == 0x7f:
			f.emit(src[start:i])
			f.emitString(`\u007f`)
			f.sanitized++
			i++
			start = i
		default: // non-ASCII
			if !utf8.FullRune(src[i:]) && f.have(len(src)) {
				continue // the rune continues in input not yet here
			}
			r, size := utf8.DecodeRune(src[i:])
			switch {
			case r == utf8.RuneError && size <= 1:
				if !utf8.FullRune(src[i:]) {
					return i, errJSONIncomplete // a rune cut by the end
				}
				f.emit(src[start:i])
				f.emitString(`\ufffd`)
				f.sanitized++
				i++
				start = i
			case r >= 0x80 && r <= 0x9f:
				f.emit(src[start:i])
				f.emitString(`\u00`)
				f.emitByte(hexDigitsLower[r>>4])
				f.emitByte(hexDigitsLower[r&0xf])
				f.sanitized++
				i += size
				start = i
			default:
				i += size
			}
		}
	}
}

const hexDigitsLower = "0123456789abcdef"

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number checks -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? and returns its end.
func (f *jsonFormatter) number(i int) (int, error) {
	bad := func(j int, msg string) (int, error) { return j, f.syntax(j, msg) }
	digits := func(j int) int {
		for f.have(j) && isDigit(f.src[j]) {
			j++
		}
		return j
	}
	if f.src[i] == '-' {
		i++
	}
	switch {
	case f.have(i) && f.src[i] == '0':
		i++
	case f.have(i) && f.src[i] >= '1' && f.src[i] <= '9':
		i = digits(i)
	default:
		return bad(i, "invalid character in numeric literal")
	}
	if f.have(i) && f.src[i] == '.' {
		i++
		if !f.have(i) || !isDigit(f.src[i]) {
			return bad(i, "invalid character after decimal point in numeric literal")
		}
		i = digits(i)
	}
	if f.have(i) && (f.src[i] == 'e' || f.src[i] == 'E') {
		i++
		if f.have(i) && (f.src[i] == '+' || f.src[i] == '-') {
			i++
		}
		if !f.have(i) || !isDigit(f.src[i]) {
			return bad(i, "invalid character in exponent of numeric literal")
		}
		i = digits(i)
	}
	return i, nil
}

func (f *jsonFormatter) literal(i int, lit string) error {
	for k := 0; k < len(lit); k++ {
		if !f.have(i + k) {
			return errJSONIncomplete
		}
		if f.src[i+k] != lit[k] {
			return &jsonSyntaxError{offset: i + k, msg: fmt.Sprintf("invalid character %q in literal %s", f.src[i+k], lit)}
		}
	}
	f.emitString(lit)
	return nil
}
