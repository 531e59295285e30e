package inspector

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/views"
)

// docKind says how a document is coloured.
type docKind uint8

const (
	kindText docKind = iota // plain text (decoded text, raw bytes)
	kindJSON                // pretty JSON: syntax colours
	kindHex                 // hex dump: dim offsets
)

// Caps on what one document holds. Decoded values are already capped by
// decode (16 MiB); these bound the views that cachedeck builds itself.
const (
	maxRawView = 4 << 20 // raw bytes escaped for the raw view
	maxHexView = 4 << 20 // bytes rendered by the hex view (~5 bytes of text each)
	maxMatches = 100_000 // search stops counting here
)

// doc is one prepared rendering of a value: text that is safe to write to a
// terminal, indexed by logical line. It is built once per value and mode,
// off the UI loop when it can be (see load.go), and never changed after,
// except for the lazily built lower-case copy used by search.
type doc struct {
	text  string
	lines []int32 // start offset of each logical line
	kind  docKind
	// escapes are [start, end) pairs of the escape sequences the sanitiser
	// wrote (\x1b, \t, \u0085...): shown dim so they differ from text.
	escapes []int32
	// note says what the document leaves out (a cap), shown as a warning.
	note string
	// bpl is the bytes per line of a hex document.
	bpl int

	lower string // ASCII-lower-cased text, for case-insensitive search
}

// newDoc indexes text, which must already be terminal-safe.
func newDoc(text string, kind docKind, escapes []int32) *doc {
	text = strings.TrimSuffix(text, "\n")
	return &doc{text: text, kind: kind, escapes: escapes, lines: indexLines(text)}
}

func indexLines(s string) []int32 {
	lines := make([]int32, 1, strings.Count(s, "\n")+1)
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			return lines
		}
		i += j + 1
		lines = append(lines, int32(i))
	}
}

// prettyDoc prepares decoded text (decode.Result.Text). decode promises it
// is safe; the sanitiser checks again (one pass, no copy when clean) and
// expands tabs, which a terminal would otherwise render at its own stops.
func prettyDoc(text string, json bool) *doc {
	clean, esc := sanitize(text, false)
	kind := kindText
	if json {
		kind = kindJSON
	}
	return newDoc(clean, kind, esc)
}

// rawDoc shows fetched bytes as they are, except that everything a terminal
// would act on (C0 and C1 controls, DEL, invalid UTF-8, bidi overrides) is
// written as an escape. Newlines stay line breaks.
func rawDoc(b []byte) *doc {
	note := ""
	if len(b) > maxRawView {
		note = "raw view shows the first " + views.Bytes(maxRawView) + " of " + views.Bytes(int64(len(b)))
		b = b[:maxRawView]
	}
	clean, esc := sanitize(string(b), true)
	d := newDoc(clean, kindText, esc)
	d.note = note
	return d
}

// hexBytesPerLine picks the widest hexdump -C layout that fits: 16 bytes
// need 78 cells, 8 need 45, 4 need 29.
func hexBytesPerLine(width int) int {
	switch {
	case width >= 78:
		return 16
	case width >= 45:
		return 8
	default:
		return 4
	}
}

// hexDoc is the hex view: decode's `hexdump -C` form at the width's
// bytes per line, without collapsing repeated lines so that every line
// stands for its offset.
func hexDoc(b []byte, bpl int) *doc {
	note := ""
	total := len(b)
	if len(b) > maxHexView {
		note = "hex view shows the first " + views.Bytes(maxHexView) + " of " + views.Bytes(int64(total))
		b = b[:maxHexView]
	}
	text := decode.HexDump(b, bpl, false)
	if len(b) == 0 {
		text = "(0 bytes)"
	}
	d := newDoc(text, kindHex, nil)
	d.note, d.bpl = note, bpl
	return d
}

// sanitize makes s safe for a terminal. raw selects the raw view's rules
// (tab and CR escaped, so every byte is visible) over the pretty view's
// (tabs expanded to stops of 4, CRLF read as a line break). Escapes are
// ASCII: \t \r \xhh for a byte, \uhhhh for a code point.
func sanitize(s string, raw bool) (string, []int32) {
	i := firstUnsafe(s)
	if i < 0 {
		return s, nil
	}
	const hex = "0123456789abcdef"
	var esc []int32
	b := make([]byte, 0, len(s)+len(s)/8+16)
	b = append(b, s[:i]...)
	lineStart := strings.LastIndexByte(s[:i], '\n') + 1
	col := utf8.RuneCountInString(s[lineStart:i])
	mark := func(start int) { esc = append(esc, int32(start), int32(len(b))) }
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n':
				b = append(b, c)
				col = -1
			case c == '\t' && !raw:
				n := 4 - col%4
				for range n {
					b = append(b, ' ')
				}
				col += n - 1
			case c == '\r' && !raw && i+1 < len(s) && s[i+1] == '\n':
				col-- // dropped: CRLF is a line break
			case c == '\t' || c == '\r':
				start := len(b)
				b = append(b, '\\', "tr"[boolIndex(c == '\r')])
				mark(start)
				col++
			case c < 0x20 || c == 0x7f:
				start := len(b)
				b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
				mark(start)
				col += 3
			default:
				b = append(b, c)
			}
			col++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			start := len(b)
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
			mark(start)
			col += 4
		case unsafeRune(r):
			start := len(b)
			b = append(b, '\\', 'u', hex[(r>>12)&0xf], hex[(r>>8)&0xf], hex[(r>>4)&0xf], hex[r&0xf])
			mark(start)
			col += 6
		default:
			b = append(b, s[i:i+size]...)
			col++
		}
		i += size
	}
	return string(b), esc
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// firstUnsafe returns the index of the first byte sanitize must change, or
// -1. It is the whole cost of sanitising a clean 16 MiB value, so it looks
// at eight bytes at a time: a word of printable ASCII passes at once.
func firstUnsafe(s string) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			w := load64(s, i)
			// No byte >= 0x80, none < 0x20, none == 0x7f (the usual
			// has-less-than and has-zero-byte tricks).
			if (w|(w-0x20*ones)|((w^0x7f*ones)-ones))&highs == 0 {
				i += 8
				continue
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			// Tabs and CRs are rewritten in the pretty view too.
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// load64 reads 8 bytes of s little-endian (the compiler makes it one load).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// unsafeRune: C1 controls (U+009B is a CSI introducer on some terminals),
// line and paragraph separators, and the bidi overrides and isolates that
// can make text read differently from what it is.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x2028 || r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// advance moves from i towards end over whole grapheme clusters while they
// fit in cells, and returns where it stopped and the cells used. Widths are
// those of ansi.StringWidth (and so lipgloss.Width).
func advance(s string, i, end, cells int) (int, int) {
	used := 0
	for i < end {
		// Eight ASCII bytes followed by ASCII are eight one-cell clusters.
		for used+8 <= cells && i+9 <= end && (load64(s, i)|uint64(s[i+8]))&0x8080808080808080 == 0 {
			used += 8
			i += 8
		}
		if i >= end {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf && (i+1 == end || s[i+1] < utf8.RuneSelf) {
			if used+1 > cells {
				break
			}
			used++
			i++
			continue
		}
		cluster, w := ansi.FirstGraphemeCluster(s[i:end], ansi.GraphemeWidth)
		if len(cluster) == 0 {
			cluster = s[i : i+1]
		}
		if used+w > cells {
			break
		}
		used += w
		i += len(cluster)
	}
	return i, used
}

// layout is a document cut into screen rows for one width: each logical
// line is one row (wrap off; the row is cut when drawn) or as many rows as
// it needs (wrap on). It is computed once per (document, width, wrap).
type layout struct {
	d     *doc
	width int
	wrap  bool
	rows  []int32 // start offset of each row; d.lines when not wrapping
	// state is the JSON lexer state at the start of each row (wrapped JSON
	// documents only): a row may start inside a string or a number.
	state []uint8
}

func newLayout(d *doc, width int, wrap bool) *layout {
	l := &layout{d: d, width: width, wrap: wrap}
	if !wrap || width <= 0 {
		l.rows = d.lines
		return l
	}
	text := d.text
	// A cluster is never narrower in bytes than in cells, so a line of at
	// most width bytes fits: most lines of pretty JSON take this path.
	extra := 0
	for i, s := range d.lines {
		if int(l.lineEnd(i)-s) > width {
			extra++
		}
	}
	if extra == 0 {
		l.rows = d.lines
		return l
	}
	rows := make([]int32, 0, len(d.lines)+extra*2)
	var state []uint8
	json := d.kind == kindJSON
	if json {
		state = make([]uint8, 0, cap(rows))
	}
	for i, s := range d.lines {
		e := l.lineEnd(i)
		rows = append(rows, s)
		if json {
			state = append(state, 0)
		}
		if int(e-s) <= width {
			continue
		}
		var st uint8
		prev := int(s)
		for pos := int(s); ; {
			next, _ := advance(text, pos, int(e), width)
			if next == pos { // one cluster wider than the row: it gets a row
				_, size := utf8.DecodeRuneInString(text[pos:])
				next = pos + size
			}
			if next >= int(e) {
				break
			}
			pos = next
			rows = append(rows, int32(pos))
			if json {
				st = lex(text, prev, pos, st, nil, 0)
				prev = pos
				state = append(state, st)
			}
		}
	}
	l.rows, l.state = rows, state
	return l
}

// lineEnd is the end of logical line i (its newline is not part of it).
func (l *layout) lineEnd(i int) int32 {
	if i+1 < len(l.d.lines) {
		return l.d.lines[i+1] - 1
	}
	return int32(len(l.d.text))
}

// rowEnd is the end of row r.
func (l *layout) rowEnd(r int) int {
	if r+1 < len(l.rows) {
		next := int(l.rows[r+1])
		// A row after a newline starts a line; its predecessor ends
		// before the newline.
		if next > 0 && l.d.text[next-1] == '\n' {
			return next - 1
		}
		return next
	}
	return len(l.d.text)
}

func (l *layout) stateAt(r int) uint8 {
	if l.state == nil {
		return 0
	}
	return l.state[r]
}

// rowOf returns the row holding byte offset off.
func (l *layout) rowOf(off int) int {
	return max(0, sort.Search(len(l.rows), func(i int) bool { return int(l.rows[i]) > off })-1)
}

// lineOf returns the logical line holding byte offset off.
func (d *doc) lineOf(off int) int {
	return max(0, sort.Search(len(d.lines), func(i int) bool { return int(d.lines[i]) > off })-1)
}

// search returns the start offsets of the non-overlapping matches of q
// (at most maxMatches). Smart case: a query without upper-case letters
// ignores ASCII case. Offsets are the text's, so matches can be drawn over it.
func (d *doc) search(q string) []int32 {
	if q == "" {
		return nil
	}
	hay := d.text
	if q == strings.ToLower(q) && hasASCIILetter(q) {
		if d.lower == "" && d.text != "" {
			d.lower = asciiLower(d.text)
		}
		hay = d.lower
		q = asciiLower(q)
	}
	var out []int32
	for i := 0; len(out) < maxMatches; {
		j := strings.Index(hay[i:], q)
		if j < 0 {
			break
		}
		out = append(out, int32(i+j))
		i += j + len(q)
	}
	return out
}

func hasASCIILetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

// asciiLower lowers ASCII letters only, so offsets stay those of s.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
