package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// asciiGlyphs are the one-cell stand-ins for every glyph the panes draw,
// used when the terminal has no UTF-8 (LANG=C). Panes pick ASCII glyphs
// from styles where they can; this table catches the rest (help texts,
// separators, arrows written in place), so that nothing non-ASCII reaches
// such a terminal. Each stand-in is one cell, as the glyph was: the frame's
// layout is exact.
var asciiGlyphs = map[rune]string{
	'↑': "^", '↓': "v", '←': "<", '→': ">", '▲': "^", '▼': "v", '▾': "v", '▸': ">", '‹': "<", '›': ">",
	'•': "*", '·': "-", '…': ".", '–': "-", '—': "-", '│': "|", '─': "-", '━': "=", '┃': "|",
	'╭': "+", '╮': "+", '╰': "+", '╯': "+", '┌': "+", '┐': "+", '└': "+", '┘': "+", '┏': "+", '┓': "+", '┗': "+", '┛': "+",
	'├': "+", '┤': "+", '┬': "+", '┴': "+", '┼': "+",
	'✓': "+", '✗': "x", '≤': "<", '≥': ">", '∞': "-", 'µ': "u", '×': "x",
	'▁': "_", '▂': ".", '▃': "-", '▄': "=", '▅': "+", '▆': "*", '▇': "#", '█': "@", '░': ".", '▒': ":", '▓': "#",
}

// toASCII replaces every non-ASCII rune of a rendered screen: a known
// glyph by its stand-in, anything else (a key's own UTF-8) by as many "?"
// as it takes cells. Escape sequences are ASCII and pass unchanged.
func toASCII(s string) string {
	i := 0
	for i < len(s) && s[i] < 0x80 {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch g, ok := asciiGlyphs[r]; {
		case r < 0x80:
			b.WriteRune(r)
		case ok:
			b.WriteString(g)
		default:
			b.WriteString(strings.Repeat("?", ansi.StringWidth(string(r))))
		}
	}
	return b.String()
}
