// Package widgets holds the pieces of drawing and behaviour the panes
// share: fitting styled lines to an exact width, the confirmation dialog
// and the overlay that shows it.
package widgets

import (
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/coldcopy/cachedeck/ui/styles"
)

// Fit pads or cuts a rendered line to exactly w cells.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := lipgloss.Width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "")
		sw = lipgloss.Width(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// PadRight pads s with spaces to w cells; a wider s is left as it is.
func PadRight(s string, w int) string {
	if sw := lipgloss.Width(s); sw < w {
		return s + strings.Repeat(" ", w-sw)
	}
	return s
}

// PadLeft pads s on the left with spaces to w cells; a wider s is left as
// it is.
func PadLeft(s string, w int) string {
	if sw := lipgloss.Width(s); sw < w {
		return strings.Repeat(" ", w-sw) + s
	}
	return s
}

// WrapText breaks styled text into lines of w cells, breaking long words
// too; nothing when w is not positive.
func WrapText(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, w, " "), "\n")
}

// Screen joins exactly h lines, each fitted to w cells: missing lines are
// blank, extra ones are dropped.
func Screen(lines []string, w, h int) string {
	var b strings.Builder
	for i := range h {
		if i > 0 {
			b.WriteByte('\n')
		}
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		b.WriteString(Fit(line, w))
	}
	return b.String()
}

// Overlay draws box over the middle of base, which it takes as h lines of
// w cells.
func Overlay(base, box []string, w, h int) []string {
	out := make([]string, h)
	copy(out, base)
	bw := 0
	for _, l := range box {
		bw = max(bw, lipgloss.Width(l))
	}
	x := max((w-bw)/2, 0)
	y := max((h-len(box))/2, 0)
	for i, l := range box {
		if y+i >= h {
			break
		}
		under := Fit(out[y+i], w)
		left := ansi.Truncate(under, x, "")
		right := ansi.TruncateLeft(under, x+lipgloss.Width(l), "")
		out[y+i] = left + "\x1b[m" + l + "\x1b[m" + right
	}
	return out
}

// Dialog is a confirmation box for a screen w cells wide: the title in the
// warning style, then text and a dim note, each wrapped to between 10 and
// maxInner cells, in a border. Draw it with Overlay.
func Dialog(s *styles.Styles, title, text, note string, w, maxInner int) []string {
	inner := min(max(w-4, 10), maxInner)
	body := s.Warning.Render(title) + "\n" + lipgloss.NewStyle().Width(inner).Render(text) + "\n" +
		s.Dim.Render(lipgloss.NewStyle().Width(inner).Render(note))
	box := lipgloss.NewStyle().Border(s.Border).Padding(0, 1).Render(body)
	return strings.Split(box, "\n")
}

// ElideMiddle shortens unstyled text to at most w cells by cutting out its
// middle, so that the start and the distinguishing end (a key's id, a
// port) both stay: "hubspot:contact:…:4823948". The tail gets the larger
// share. Text that fits is returned as it is.
func ElideMiddle(s string, w int, ellipsis string) string {
	sw := ansi.StringWidth(s)
	if sw <= w {
		return s
	}
	ew := ansi.StringWidth(ellipsis)
	if w <= ew {
		return ansi.Truncate(s, max(w, 0), "")
	}
	room := w - ew
	head := room * 2 / 5
	tail := room - head
	end := ansi.TruncateLeft(s, sw-tail, "")
	for ansi.StringWidth(end) > tail { // a wide rune cut in half
		_, size := utf8.DecodeRuneInString(end)
		end = end[size:]
	}
	return ansi.Truncate(s, head, "") + ellipsis + end
}
