package inspector

import (
	"sort"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/coldcopy/cachedeck/ui/styles"
)

// Classes of the bytes of a row: what style draws them.
const (
	clsPlain uint8 = iota
	clsPunct
	clsKey
	clsString
	clsNumber
	clsBool
	clsNull
	clsEscape   // an escape the sanitiser wrote: dim
	clsOffset   // a hex dump's offset column
	clsMatch    // a search match
	clsCurMatch // the current search match
	numClasses
)

// JSON lexer states: the mode in the low bits, and a flag for a string
// whose last byte was a backslash. A wrapped row can start in any of them.
const (
	lexNone uint8 = iota
	lexString
	lexKey
	lexNumber
	lexBool
	lexNull
	lexEscaped uint8 = 8
)

// keyLookahead bounds how far the renderer looks for the end of a string
// to decide whether it is an object key: a key longer than this is drawn
// as a string. The wrap pass has no bound (it reads every byte anyway).
const keyLookahead = 64 << 10

// lex runs a small JSON lexer over text[i:end) from state st and returns
// the state at end. When cls is not nil, it receives the class of each
// byte (cls[0] is text[i]). It works on one line of decode's pretty output
// (strings never span lines there) and never fails: bytes it does not
// expect are plain.
func lex(text string, i, end int, st uint8, cls []uint8, lookahead int) uint8 {
	base := i
	mode := st &^ lexEscaped
	escaped := st&lexEscaped != 0
	for i < end {
		c := text[i]
		switch mode {
		case lexString, lexKey:
			if cls == nil && !escaped {
				j := indexQuoteOrBackslash(text[i:end])
				if j < 0 {
					return mode
				}
				i += j
				c = text[i]
			}
			if cls != nil {
				if mode == lexKey {
					cls[i-base] = clsKey
				} else {
					cls[i-base] = clsString
				}
			}
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				mode = lexNone
			}
			i++
		case lexNumber:
			if !isNumByte(c) {
				mode = lexNone
				continue
			}
			if cls != nil {
				cls[i-base] = clsNumber
			}
			i++
		case lexBool, lexNull:
			if c < 'a' || c > 'z' {
				mode = lexNone
				continue
			}
			if cls != nil {
				cls[i-base] = clsBool + (mode - lexBool)
			}
			i++
		default:
			k := clsPlain
			switch {
			case c == '"':
				mode, k = lexString, clsString
				if isKey(text, i, lookahead) {
					mode, k = lexKey, clsKey
				}
			case c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':':
				k = clsPunct
			case c == '-' || (c >= '0' && c <= '9'):
				mode, k = lexNumber, clsNumber
			case c == 't' || c == 'f':
				mode, k = lexBool, clsBool
			case c == 'n':
				mode, k = lexNull, clsNull
			}
			if cls != nil {
				cls[i-base] = k
			}
			i++
		}
	}
	if escaped {
		mode |= lexEscaped
	}
	return mode
}

// indexQuoteOrBackslash is strings.IndexAny(s, `"\`), with the fast
// single-byte search: strings are long, backslashes rare.
func indexQuoteOrBackslash(s string) int {
	q := strings.IndexByte(s, '"')
	if q < 0 {
		q = len(s)
	}
	if b := strings.IndexByte(s[:q], '\\'); b >= 0 {
		return b
	}
	if q == len(s) {
		return -1
	}
	return q
}

func isNumByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

// isKey reports whether the string opening at q is an object key: in
// pretty JSON a key is followed at once by a colon.
func isKey(text string, q, lookahead int) bool {
	end := len(text)
	if lookahead > 0 && q+1+lookahead < end {
		end = q + 1 + lookahead
	}
	for j := q + 1; j < end; {
		k := indexQuoteOrBackslash(text[j:end])
		if k < 0 {
			return false
		}
		j += k
		if text[j] == '\\' {
			j += 2
			continue
		}
		// Pretty JSON strings never span lines; a quote on a later line
		// belongs to another token.
		if strings.IndexByte(text[q+1:j], '\n') >= 0 {
			return false
		}
		return j+1 < len(text) && text[j+1] == ':'
	}
	return false
}

// painter draws rows with styles reduced to their SGR prefix and suffix:
// concatenating those is far cheaper than Style.Render per token, and the
// value area is the hot path of View.
type painter struct {
	pre, suf [numClasses]string
	ell      string // the ellipsis glyph, unstyled
	ellW     int
}

func newPainter(s *styles.Styles) *painter {
	p := &painter{ell: s.Glyphs.Ellipsis, ellW: ansi.StringWidth(s.Glyphs.Ellipsis)}
	for c, st := range map[uint8]lipgloss.Style{
		clsPunct:    s.JSONPunct,
		clsKey:      s.JSONKey,
		clsString:   s.JSONString,
		clsNumber:   s.JSONNumber,
		clsBool:     s.JSONBool,
		clsNull:     s.JSONNull,
		clsEscape:   s.Dim,
		clsOffset:   s.Label,
		clsMatch:    s.SearchMatch,
		clsCurMatch: s.SearchMatch.Underline(true),
	} {
		p.pre[c], p.suf[c] = sgr(st)
	}
	return p
}

// sgr splits what a style writes around its text.
func sgr(st lipgloss.Style) (string, string) {
	out := st.Render("X")
	i := strings.IndexByte(out, 'X')
	if i < 0 {
		return "", ""
	}
	return out[:i], out[i+1:]
}

// rowCtx is what drawing one row of a document needs.
type rowCtx struct {
	lay     *layout
	width   int
	xoff    int     // cells hidden on the left (wrap off)
	matches []int32 // search match starts, sorted
	qlen    int
	cur     int // index of the current match, -1 for none
	cls     []uint8
}

// row appends row r of the layout, exactly rc.width cells wide.
func (p *painter) row(b *strings.Builder, rc *rowCtx, r int) {
	l := rc.lay
	d := l.d
	text := d.text
	w := rc.width
	s, e := int(l.rows[r]), l.rowEnd(r)
	ellW := p.ellW
	if w < 2*ellW+2 {
		ellW = w + 1 // too narrow for ellipses: cut hard
	}

	vs := s
	left, right := false, false
	avail := w
	if !l.wrap && rc.xoff > 0 && s < e && ellW <= w {
		vs, _ = advance(text, s, e, rc.xoff)
		left = true
		avail -= ellW
	}
	ve, used := advance(text, vs, e, avail)
	if ve < e && ellW <= avail {
		right = true
		ve, used = advance(text, vs, e, avail-ellW)
	}

	if ve > vs {
		n := ve - s
		if cap(rc.cls) < n {
			rc.cls = make([]uint8, n+n/2)
		}
		cls := rc.cls[:n]
		switch d.kind {
		case kindJSON:
			lex(text, s, ve, l.stateAt(r), cls, keyLookahead)
		case kindHex:
			clear(cls[vs-s:])
			if s == 0 || text[s-1] == '\n' {
				for i := vs; i < min(s+8, ve); i++ {
					cls[i-s] = clsOffset
				}
			}
		default:
			clear(cls[vs-s:])
		}
		markSpans(cls, s, vs, ve, d.escapes)
		if rc.qlen > 0 && len(rc.matches) > 0 {
			k := sort.Search(len(rc.matches), func(i int) bool { return int(rc.matches[i])+rc.qlen > vs })
			for ; k < len(rc.matches) && int(rc.matches[k]) < ve; k++ {
				c := clsMatch
				if k == rc.cur {
					c = clsCurMatch
				}
				for i := max(int(rc.matches[k]), vs); i < min(int(rc.matches[k])+rc.qlen, ve); i++ {
					cls[i-s] = c
				}
			}
		}
		if left {
			p.ellipsis(b)
		}
		for i := vs; i < ve; {
			k := cls[i-s]
			j := i + 1
			for j < ve && cls[j-s] == k {
				j++
			}
			b.WriteString(p.pre[k])
			b.WriteString(text[i:j])
			b.WriteString(p.suf[k])
			i = j
		}
	} else if left {
		p.ellipsis(b)
	}
	if right {
		p.ellipsis(b)
	}
	pad := w - used
	if left {
		pad -= ellW
	}
	if right {
		pad -= ellW
	}
	writeSpaces(b, pad)
}

func (p *painter) ellipsis(b *strings.Builder) {
	b.WriteString(p.pre[clsEscape])
	b.WriteString(p.ell)
	b.WriteString(p.suf[clsEscape])
}

// markSpans marks the escape spans (start, end pairs) that overlap [vs, ve).
func markSpans(cls []uint8, s, vs, ve int, spans []int32) {
	if len(spans) == 0 {
		return
	}
	n := len(spans) / 2
	k := sort.Search(n, func(i int) bool { return int(spans[2*i+1]) > vs })
	for ; k < n && int(spans[2*k]) < ve; k++ {
		for i := max(int(spans[2*k]), vs); i < min(int(spans[2*k+1]), ve); i++ {
			cls[i-s] = clsEscape
		}
	}
}

const spaces = "                                                                                "

func writeSpaces(b *strings.Builder, n int) {
	for n > 0 {
		k := min(n, len(spaces))
		b.WriteString(spaces[:k])
		n -= k
	}
}

// fit makes a styled line exactly w cells: cut with an ellipsis, or padded.
func fit(s string, w int, ell string) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		if ansi.StringWidth(ell) >= w {
			ell = ""
		}
		s = ansi.Truncate(s, w, ell)
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}
