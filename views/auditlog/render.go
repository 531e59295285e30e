package auditlog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"charm.land/lipgloss/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// Fixed column widths; the target takes what is left.
const (
	timeW        = 8
	opW          = 12 // 8 below wideW, so that 80 columns fit every column
	opNarrow     = 8
	wideW        = 100
	actionW      = 14 // 11 below wideW ("slowlog-reset" is then elided)
	actionNarrow = 11
	countW       = 9
	durW         = 7
	outcomeW     = 9
	targetW0     = 7
)

// View renders exactly width×height cells.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	var lines []string
	if m.detail {
		lines = m.detailLines(w, h)
	} else {
		lines = m.listLines(w, h)
	}
	return widgets.Screen(lines, w, h)
}

func (m *Model) targetW(w int) int {
	gaps := 7
	if durationW(w) == 0 {
		gaps = 6
	}
	return max(w-(timeW+operatorW(w)+actionWidth(w)+2*countW+durationW(w)+outcomeW+gaps), targetW0)
}

// actionWidth and durationW give the target room in an 80-column console:
// the action is narrower and the duration (in the entry's detail view,
// enter) is left out, so that an address or a pattern shows whole.
func actionWidth(w int) int {
	if w < wideW {
		return actionNarrow
	}
	return actionW
}

func durationW(w int) int {
	if w < wideW {
		return 0
	}
	return durW
}

// operatorW narrows the operator column on small terminals.
func operatorW(w int) int {
	if w < wideW {
		return opNarrow
	}
	return opW
}

func (m *Model) listLines(w, h int) []string {
	s := m.c.Styles
	switch {
	case !m.loaded:
		return []string{s.Dim.Render("loading the audit log" + s.Glyphs.Ellipsis)}
	case m.path == "":
		return []string{s.Warning.Render("no audit log path (set XDG_STATE_HOME or HOME)")}
	case len(m.entries) == 0 && m.err != nil:
		return widgets.WrapText(s.Error.Render(clean(m.err.Error())), w)
	case len(m.entries) == 0:
		return widgets.WrapText(s.Dim.Render("no mutations recorded yet (audit log: "+clean(m.path)+")"), w)
	}
	tw := m.targetW(w)
	hdr := []string{
		widgets.PadRight("time▼", timeW), widgets.PadRight("operator", operatorW(w)), widgets.PadRight("action", actionWidth(w)),
		widgets.PadRight("target", tw), widgets.PadLeft("matched", countW), widgets.PadLeft("changed", countW),
	}
	if durationW(w) > 0 {
		hdr = append(hdr, widgets.PadLeft("took", durW))
	}
	out := []string{s.Label.Render(strings.Join(append(hdr, "outcome"), " "))}
	rows := m.tableRows()
	for i := m.offset; i < len(m.entries) && i < m.offset+rows; i++ {
		out = append(out, m.row(m.entries[i], tw, w, i == m.cursor && m.focused))
	}
	for len(out) < h-1 {
		out = append(out, "")
	}
	return append(out[:h-1], m.status())
}

func (m *Model) row(e audit.Entry, tw, w int, selected bool) string {
	s := m.c.Styles
	cells := []string{
		widgets.Fit(e.Time.Local().Format("15:04:05"), timeW),
		m.cell(clean(e.Operator), operatorW(w)),
		m.cell(clean(e.Action), actionWidth(w)),
		m.cell(target(e), tw),
		widgets.PadLeft(count(e.Matched), countW),
		widgets.PadLeft(count(e.Deleted+e.Restored+e.Added+e.Updated), countW), // keys changed: an entry has one of them
	}
	if durationW(w) > 0 {
		cells = append(cells, widgets.PadLeft(duration(e.DurationMs), durW))
	}
	line := strings.Join(cells, " ") + " "
	if selected {
		return s.Selected.Render(widgets.Fit(line+clean(e.Outcome), w))
	}
	return line + m.outcomeStyle(e.Outcome).Render(clean(e.Outcome))
}

// cell fits text to w cells; a cut is visible (an ellipsis in the
// middle, so that a port or a pattern's end still shows): a silently cut
// "127.0.0.1:384" would read as another address.
func (m *Model) cell(text string, w int) string {
	return widgets.Fit(widgets.ElideMiddle(text, w, m.c.Styles.Glyphs.Ellipsis), w)
}

// outcomeStyle: done green, failed red, cancelled and attempted amber.
func (m *Model) outcomeStyle(outcome string) lipgloss.Style {
	s := m.c.Styles
	switch outcome {
	case audit.Done:
		return s.FlashInfo
	case audit.Failed:
		return s.FlashErr
	case audit.Cancelled, audit.Attempted:
		return s.FlashWarn
	}
	return s.Dim
}

func (m *Model) status() string {
	s := m.c.Styles
	parts := []string{
		fmt.Sprintf("%d/%d", min(m.cursor+1, len(m.entries)), len(m.entries)),
		"newest first",
		"loaded " + m.loadedAt.Local().Format("15:04:05"),
		"audit log: " + clean(m.path),
	}
	st := s.Dim.Render(strings.Join(parts, " · "))
	if m.err != nil {
		st = s.Error.Render("reload failed: "+clean(m.err.Error())) + " " + st
	}
	return st
}

func (m *Model) detailLines(w, h int) []string {
	s := m.c.Styles
	e, ok := m.Selected()
	if !ok {
		return nil
	}
	var body []string
	add := func(label, value string) {
		if value == "" {
			return
		}
		text := s.Label.Render(widgets.PadRight(label, 11)) + value
		body = append(body, widgets.WrapText(text, w)...)
	}
	add("time", e.Time.Local().Format("2006-01-02 15:04:05 MST")+s.Dim.Render(" ("+e.Time.UTC().Format(time.RFC3339)+")"))
	add("operator", clean(e.Operator))
	add("ssh origin", clean(e.SSHOrigin))
	add("profile", clean(e.Profile))
	add("server", clean(e.Server))
	add("action", clean(e.Action))
	add("key", clean(e.Key))
	for i, p := range e.Patterns {
		label := ""
		if i == 0 {
			label = "patterns"
		}
		body = append(body, widgets.WrapText(s.Label.Render(widgets.PadRight(label, 11))+clean(p), w)...)
	}
	add("target", clean(e.Target))
	if e.Matched != 0 {
		add("matched", views.Commas(e.Matched))
	}
	if e.Deleted != 0 {
		add("deleted", views.Commas(e.Deleted))
	}
	if e.Restored != 0 {
		add("restored", views.Commas(e.Restored))
	}
	if e.Added != 0 {
		add("added", views.Commas(e.Added))
	}
	if e.Updated != 0 {
		add("updated", views.Commas(e.Updated))
	}
	add("duration", duration(e.DurationMs))
	add("outcome", m.outcomeStyle(e.Outcome).Render(clean(e.Outcome)))
	add("error", s.Error.Render(clean(e.Error)))

	bodyH := max(h-1, 0)
	m.detailTop = min(m.detailTop, max(len(body)-bodyH, 0))
	out := body[m.detailTop:min(len(body), m.detailTop+bodyH)]
	for len(out) < bodyH {
		out = append(out, "")
	}
	return append(out, s.Dim.Render(fmt.Sprintf("entry %d/%d · esc back", m.cursor+1, len(m.entries))))
}

// target is what an entry acted on: its key (display form), its patterns
// or its target, with a set TTL's target after the key.
func target(e audit.Entry) string {
	var parts []string
	if e.Key != "" {
		parts = append(parts, e.Key)
	}
	if len(e.Patterns) > 0 {
		parts = append(parts, strings.Join(e.Patterns, " "))
	}
	if e.Target != "" {
		parts = append(parts, e.Target)
	}
	return clean(strings.Join(parts, " "))
}

func count(n int64) string {
	if n == 0 {
		return ""
	}
	return views.Commas(n)
}

// duration is a short form of ms: 12ms, 1.5s, 2m5s.
func duration(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Second:
		return strconv.FormatInt(ms, 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return d.Round(time.Second).String()
}

// clean makes a string from the file safe to draw: the log is a plain
// file, so a control byte in it must not reach the terminal.
func clean(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar }) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
