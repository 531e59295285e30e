package keys

import (
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

const (
	typeCol = 6 // "string", "stream"
	ttlCol  = 4 // "59m", "23h", "∞"
	// metaMinWidth: below it rows show the key only.
	metaMinWidth = 28
	// Below narrowPane cells (the keys pane of an 80-column console) type
	// names are shortened to shortTypeCol cells.
	narrowPane   = 40
	shortTypeCol = 4
)

var shortTypes = map[string]string{"string": "str", "stream": "strm"}

// View renders exactly width×height cells: the rows, then the status (or
// input) line. Its cost depends on the height only.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	var b strings.Builder
	listH := h - 1
	now := m.nowMs()
	shown := max(0, min(listH, m.nrows-m.offset))
	body := m.bodyMessage(w, listH-shown)
	for i := range listH {
		var line string
		if i < shown {
			line = m.renderRow(m.offset+i, now)
		} else if k := i - shown; k < len(body) {
			line = body[k]
		}
		b.WriteString(fit(line, w))
		b.WriteByte('\n')
	}
	b.WriteString(fit(m.statusLine(), w))
	return b.String()
}

// bodyMessage fills the space below the rows (all of it when there are
// none): the scan's error, or why the list is empty.
func (m *Model) bodyMessage(w, h int) []string {
	if h <= 0 {
		return nil
	}
	s := m.c.Styles
	var text string
	st := s.Dim
	switch {
	case m.state == scanFailed:
		text, st = "SCAN failed: "+clean(m.scanErr.Error()), s.Error
	case m.nrows > 0:
		return nil
	case m.filter.query != "" && m.filter.ready:
		text = "no loaded key matches the filter"
	case m.state == scanRunning:
		text = "scanning" + s.Glyphs.Ellipsis
	case m.state == scanDone && (m.match != "" || m.typ != ""):
		text = "no keys match"
	case m.state == scanDone:
		text = "the database is empty"
	case m.c.Client == nil && m.state == scanIdle:
		text = "not connected"
	default:
		return nil
	}
	wrapped := lipgloss.NewStyle().Width(w).Render(text)
	lines := strings.Split(wrapped, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = st.Render(strings.TrimRight(l, " "))
	}
	return lines
}

// fit pads or cuts a rendered line to exactly w cells.
func fit(s string, w int) string {
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

type part struct {
	text  string
	style lipgloss.Style
}

func (m *Model) renderRow(r int, now int64) string {
	seg, j := m.segAt(r)
	if seg == nil {
		return ""
	}
	s := m.c.Styles
	w := m.width
	indent := strings.Repeat("  ", min(seg.depth, w/4))
	var lead, main part
	var right []part
	if seg.nss != nil {
		n := seg.nss[j]
		g := s.Glyphs.Collapsed
		if m.expanded[n.Prefix] {
			g = s.Glyphs.Expanded
		}
		lead = part{text: indent + g + " ", style: s.Dim}
		main = part{text: showKey(n.Segment) + m.tree.Delimiter, style: s.Namespace}
		count := views.Commas(int64(n.Keys))
		cst := s.Count
		if m.state != scanDone {
			count += "+" // still counting
			cst = s.Partial
		}
		right = []part{{text: count, style: cst}}
	} else {
		i := seg.keys[j]
		k := m.st.key(i)
		if seg.owner != nil { // tree: the key without its namespace
			k = k[len(seg.owner.Prefix):]
			lead = part{text: indent + "  "}
		}
		main = part{text: showKey(k)}
		if w >= metaMinWidth {
			right = m.metaParts(i, now)
		}
	}
	return m.composeRow(lead, main, right, r == m.cursor)
}

// showKey is decode.DisplayKey, also quoting a key with leading or
// trailing spaces, which would otherwise look like another key (or none).
func showKey(k string) string {
	if k != "" && (k[0] == ' ' || k[len(k)-1] == ' ') {
		return decode.QuoteKey(k)
	}
	return decode.DisplayKey(k)
}

// metaParts is the type and TTL columns of key i.
func (m *Model) metaParts(i int32, now int64) []part {
	s := m.c.Styles
	meta := m.st.meta.at(i)
	t := m.st.typeName(i)
	tst := s.TypeStyle(t)
	col := typeCol
	if m.width < narrowPane {
		// The key needs the cells more than the type's full name.
		col = shortTypeCol
		if short, ok := shortTypes[t]; ok {
			t = short
		}
	}
	if lipgloss.Width(t) > col {
		t = ansi.Truncate(t, col, "")
	}
	var ttl string
	tlst := s.TTL
	if meta&metaKnown != 0 && meta&typMask != typGone {
		if exp := m.st.exp.at(i); exp == 0 {
			ttl, tlst = noTTL(s), s.Dim
		} else {
			left := exp - now
			ttl = views.TTLShort(time.Duration(left) * time.Millisecond)
			if left < 60_000 {
				tlst = s.TTLExpiring
			}
		}
	}
	return []part{
		{text: t + strings.Repeat(" ", max(0, col-lipgloss.Width(t))), style: tst},
		{text: " "},
		{text: strings.Repeat(" ", max(0, ttlCol-lipgloss.Width(ttl))) + ttl, style: tlst},
	}
}

// composeRow lays out lead+main on the left and right flush right, cutting
// main with an ellipsis when they do not fit. The cursor row is drawn plain
// in the Selected style (inner styles would end its reverse video).
func (m *Model) composeRow(lead, main part, right []part, selected bool) string {
	s := m.c.Styles
	w := m.width
	lw := lipgloss.Width(lead.text)
	rw := 0
	for _, p := range right {
		rw += lipgloss.Width(p.text)
	}
	if rw > 0 && lw+rw+2 > w {
		right, rw = nil, 0
	}
	room := w - lw
	if rw > 0 {
		room -= rw + 1
	}
	mainText := main.text
	if mw := lipgloss.Width(mainText); mw > room {
		// Keys of one namespace share their start: the middle goes, so
		// that the distinguishing end (an id) stays.
		mainText = widgets.ElideMiddle(mainText, max(room, 0), s.Glyphs.Ellipsis)
	}
	gap := max(0, w-lw-lipgloss.Width(mainText)-rw)
	if selected {
		var b strings.Builder
		b.WriteString(lead.text)
		b.WriteString(mainText)
		b.WriteString(strings.Repeat(" ", gap))
		for _, p := range right {
			b.WriteString(p.text)
		}
		st := s.Selected
		if !m.focused {
			st = s.Dim.Reverse(true)
		}
		return st.Render(b.String())
	}
	var b strings.Builder
	b.WriteString(render(lead))
	b.WriteString(render(part{text: mainText, style: main.style}))
	b.WriteString(strings.Repeat(" ", gap))
	for _, p := range right {
		b.WriteString(render(p))
	}
	return b.String()
}

func render(p part) string {
	if p.text == "" || strings.TrimSpace(p.text) == "" {
		return p.text
	}
	return p.style.Render(p.text)
}

func (m *Model) statusLine() string {
	s := m.c.Styles
	if m.mode != inputNone {
		return m.input.View(s, m.width)
	}
	ell := s.Glyphs.Ellipsis
	n := m.st.len()
	loaded := views.Commas(int64(n))
	keysWord := " keys"
	if n == 1 {
		keysWord = " key"
	}
	var text string
	st := s.Dim
	switch m.state {
	case scanRunning:
		text = "scanning" + ell + " " + loaded + keysWord
		if m.dbsize >= 0 {
			text += " of ~" + views.Commas(m.dbsize)
		}
		st = s.Partial
	case scanPaused:
		text = loaded + " keys loaded"
		if m.dbsize >= 0 {
			text += " of ~" + views.Commas(m.dbsize)
		}
		text += " (L: load more)"
		st = s.Warning
	case scanFailed:
		text = "scan stopped at " + loaded + keysWord + ": " + clean(m.scanErr.Error())
		st = s.Error
	case scanDone:
		text = loaded + keysWord
		if !m.result.Complete {
			text += " (scan stopped early)"
		}
		text += m.staleness()
	default:
		if m.c.Client == nil {
			text = "not connected"
		} else {
			text = loaded + keysWord
		}
	}
	var extra []string
	if m.match != "" {
		extra = append(extra, "match "+clean(m.match))
	}
	if m.typ != "" {
		extra = append(extra, "type "+m.typ)
	}
	if f := &m.filter; f.query != "" {
		t := "filter " + strconv.Quote(f.query) + " "
		if f.fuzzy {
			t = "fuzzy " + strconv.Quote(strings.TrimPrefix(f.query, fuzzyMark)) + " "
		}
		if f.ready {
			t += views.Commas(int64(f.matches)) + " of " + loaded
		} else {
			t += "filtering" + ell
		}
		extra = append(extra, t)
	}
	if m.metaFailed {
		extra = append(extra, "type/TTL unavailable")
	}
	if len(extra) > 0 {
		text += " · " + strings.Join(extra, " · ")
	}
	if lipgloss.Width(text) > m.width {
		text = ansi.Truncate(text, m.width, ell)
	}
	return st.Render(text)
}

// staleness says how old the count is once that matters, and the
// server's own count (DBSIZE, refreshed twice a minute) when it differs:
// " 4m ago · now 70,210". A MATCH or TYPE filter makes DBSIZE
// incomparable, so then only the age is shown.
func (m *Model) staleness() string {
	if m.countedAt.IsZero() {
		return ""
	}
	out := ""
	if age := m.now().Sub(m.countedAt); age >= time.Minute {
		out = " " + views.TTLShort(age) + " ago"
	}
	if m.match == "" && m.typ == "" && m.dbsize >= 0 && m.dbsizeAt.After(m.countedAt) && m.dbsize != int64(m.st.len()) {
		out += " · now " + views.Commas(m.dbsize)
	}
	return out
}

func (m *Model) openInput(mode inputMode) tea.Cmd {
	m.mode = mode
	switch mode {
	case inputMatch:
		m.input.Prompt = "match: "
		m.input.Placeholder = "glob, e.g. lead:* (enter: rescan, empty: all keys)"
		m.input.SetValue(m.match)
	case inputFilter:
		m.input.Prompt = "filter: "
		m.input.Placeholder = "text in the loaded keys (" + fuzzyMark + "abc: fuzzy)"
		m.input.SetValue(m.filter.query)
	}
	return nil
}

func (m *Model) updateInput(msg tea.Msg) tea.Cmd {
	if kp, ok := msg.(tea.KeyPressMsg); ok {
		switch kp.Keystroke() {
		case "enter":
			v := m.input.Value()
			mode := m.mode
			m.mode = inputNone
			if mode == inputMatch {
				if v == m.match {
					return nil
				}
				m.match = v
				return m.startScan()
			}
			return m.setFilter(v)
		case "esc":
			mode := m.mode
			m.mode = inputNone
			if mode == inputFilter {
				return m.setFilter("")
			}
			return nil
		}
	}
	m.input.Update(msg)
	if m.mode == inputFilter {
		return m.setFilter(m.input.Value())
	}
	return nil
}

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	if m.mode != inputNone {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	h := []key.Binding{k.Up, k.Down, k.Open, k.Right, k.Left, k.Filter, k.ServerFilter, k.TypeFilter, k.ToggleTree}
	if m.state == scanPaused {
		h = append(h, k.LoadMore)
	}
	return append(h, k.Refresh)
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.Open, k.Right, k.Left, k.ToggleTree, k.Back},
		{k.Filter, k.ServerFilter, k.TypeFilter, k.LoadMore, k.Refresh},
	}
}

var _ views.Pane = (*Model)(nil)

// noTTL marks a key without expiry.
func noTTL(s *styles.Styles) string {
	if s.Opts.ASCII {
		return "-"
	}
	return "∞"
}
