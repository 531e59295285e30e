package inspector

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/views"
)

func (m *Model) onKey(k tea.KeyPressMsg) tea.Cmd {
	if m.Editing() {
		return m.editKey(k)
	}
	if m.searching {
		return m.searchKey(k)
	}
	keys := m.keys
	switch {
	case m.isEditKey(k):
		return m.startEdit(k)
	case key.Matches(k, keys.Refresh):
		return m.refresh()
	case key.Matches(k, keys.CopyKey):
		return m.copyKey()
	case key.Matches(k, keys.CopyValue):
		return m.copyValue()
	}
	if m.report == nil {
		return nil
	}
	if key.Matches(k, keys.MorePage) {
		return m.loadMore()
	}
	if m.inTable() {
		return m.tableKey(k)
	}
	return m.valueKey(k)
}

// refresh reloads the key, keeping the view (mode, position, member).
func (m *Model) refresh() tea.Cmd {
	if !m.opened {
		return nil
	}
	return m.request(loadRefresh, "", 0)
}

// loadMore fetches the next page of a collection with the report's cursor.
func (m *Model) loadMore() tea.Cmd {
	r := m.report
	switch {
	case !isCollection(r.Type):
		return nil
	case m.moreBusy || m.loading:
		return nil // one request at a time
	case r.Cursor == "":
		return views.Flash(views.FlashInfo, fmt.Sprintf("all %d loaded", len(m.rows)))
	}
	first := len(m.rows)
	if r.Type == "list" {
		if n, err := strconv.Atoi(r.Cursor); err == nil {
			first = n
		}
	}
	return m.request(loadMore, r.Cursor, first)
}

func (m *Model) tableKey(k tea.KeyPressMsg) tea.Cmd {
	keys := m.keys
	page := max(m.bodyHeight()-2, 1) // one row is the column header
	switch {
	case key.Matches(k, keys.Up):
		m.moveCursor(-1)
	case key.Matches(k, keys.Down):
		m.moveCursor(1)
	case key.Matches(k, keys.PageUp):
		m.moveCursor(-page)
	case key.Matches(k, keys.PageDown):
		m.moveCursor(page)
	case key.Matches(k, keys.Home):
		m.moveCursor(-len(m.rows))
	case key.Matches(k, keys.End):
		m.moveCursor(len(m.rows))
	case key.Matches(k, keys.Open):
		if m.cursor < len(m.rows) {
			m.member = m.cursor
			m.val = m.memberValue(m.cursor)
			m.top, m.xoff, m.lay = 0, 0, nil
			m.matches, m.hits = nil, nil
			if m.query != "" {
				m.research(true)
			}
		}
	case key.Matches(k, keys.Search):
		m.startSearch()
	case key.Matches(k, keys.NextMatch):
		m.nextMatch(1)
	case key.Matches(k, keys.PrevMatch):
		m.nextMatch(-1)
	case key.Matches(k, keys.Back):
		m.clearSearch()
	}
	return nil
}

// wheel scrolls three rows (the table's cursor moves one).
func (m *Model) wheel(b tea.MouseButton) {
	d := 0
	switch b {
	case tea.MouseWheelUp:
		d = -1
	case tea.MouseWheelDown:
		d = 1
	default:
		return
	}
	switch {
	case m.searching || m.report == nil:
	case m.inTable():
		m.moveCursor(d)
	case m.layout() != nil:
		m.top += 3 * d
		m.clampTop(m.bodyHeight())
	}
}

func (m *Model) moveCursor(d int) {
	m.cursor = min(max(m.cursor+d, 0), max(len(m.rows)-1, 0))
}

func (m *Model) valueKey(k tea.KeyPressMsg) tea.Cmd {
	keys := m.keys
	if key.Matches(k, keys.Back) {
		switch {
		case m.member >= 0:
			m.member, m.val, m.lay = -1, nil, nil
			m.top, m.xoff = 0, 0
			m.matches = nil
			if m.query != "" {
				m.research(true)
			}
		case m.query != "":
			m.clearSearch()
		}
		return nil
	}
	lay := m.layout()
	if lay == nil {
		return nil
	}
	bodyH := m.bodyHeight()
	page := max(bodyH-1, 1)
	switch {
	case key.Matches(k, keys.Up):
		m.top--
	case key.Matches(k, keys.Down):
		m.top++
	case key.Matches(k, keys.PageUp):
		m.top -= page
	case key.Matches(k, keys.PageDown):
		m.top += page
	case key.Matches(k, keys.Home):
		m.top, m.xoff = 0, 0
	case key.Matches(k, keys.End):
		m.top = len(lay.rows)
	case key.Matches(k, keys.Left):
		if !m.wrap {
			m.xoff = max(m.xoff-m.hstep(), 0)
		}
	case key.Matches(k, keys.Right):
		if !m.wrap {
			m.xoff += m.hstep()
		}
	case key.Matches(k, keys.ViewMode):
		m.mode = (m.mode + 1) % 3
		m.top, m.xoff = 0, 0
		if m.query != "" {
			m.research(true)
		}
	case key.Matches(k, keys.Wrap):
		// Keep the first visible byte in view across the re-layout.
		off := 0
		if m.top < len(lay.rows) {
			off = int(lay.rows[m.top])
		}
		m.wrap = !m.wrap
		m.xoff = 0
		m.top = m.layout().rowOf(off)
	case key.Matches(k, keys.Search):
		m.startSearch()
	case key.Matches(k, keys.NextMatch):
		m.nextMatch(1)
	case key.Matches(k, keys.PrevMatch):
		m.nextMatch(-1)
	}
	m.clampTop(bodyH)
	return nil
}

func (m *Model) hstep() int { return max(m.width/4, 4) }

func (m *Model) clampTop(bodyH int) {
	n := 0
	if lay := m.layout(); lay != nil {
		n = len(lay.rows)
	}
	m.top = min(max(m.top, 0), max(n-bodyH, 0))
}

// Search.

func (m *Model) startSearch() {
	m.searching = true
	m.input = m.input[:0]
}

func (m *Model) clearSearch() {
	m.query, m.matches, m.matchDoc, m.hits, m.matchIdx, m.qlen = "", nil, nil, nil, 0, 0
}

func (m *Model) searchKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case k.Code == tea.KeyEnter:
		m.searching = false
		m.query = string(m.input)
		if m.query == "" {
			m.clearSearch()
			return nil
		}
		m.research(true)
		if c, n := m.SearchStatus(); c == 0 && n == 0 {
			return views.Flash(views.FlashWarn, "no match for "+strconv.Quote(m.query))
		}
	case k.Code == tea.KeyEscape:
		m.searching = false
	case k.Code == tea.KeyBackspace:
		if len(m.input) > 0 {
			m.input = m.input[:len(m.input)-1]
		}
	case k.String() == "ctrl+u":
		m.input = m.input[:0]
	case k.Text != "" && k.Mod&^tea.ModShift == 0:
		m.insert(k.Text)
	}
	return nil
}

// insert adds typed or pasted text to the search box: the first line,
// printable characters only.
func (m *Model) insert(s string) {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	for _, r := range s {
		if r != utf8.RuneError && unicode.IsPrint(r) && len(m.input) < 256 {
			m.input = append(m.input, r)
		}
	}
}

// research runs the query over what is shown (the table or the current
// document) and, when jump is set, moves to the first match at or after
// the current position.
func (m *Model) research(jump bool) {
	m.matches, m.hits, m.matchIdx, m.qlen = nil, nil, 0, len(m.query)
	if m.query == "" {
		return
	}
	if m.inTable() {
		q, fold := m.query, m.query == strings.ToLower(m.query)
		for i := range m.rows {
			r := &m.rows[i]
			if containsFold(r.col1, q, fold) || containsFold(r.col2, q, fold) {
				m.hits = append(m.hits, i)
			}
		}
		for i, h := range m.hits {
			if h >= m.cursor {
				m.matchIdx = i
				break
			}
		}
		if jump && len(m.hits) > 0 {
			m.cursor = m.hits[m.matchIdx]
		}
		return
	}
	lay := m.layout()
	if lay == nil {
		return
	}
	m.matches, m.matchDoc = lay.d.search(m.query), lay.d
	if len(m.matches) == 0 {
		return
	}
	from := 0
	if m.top < len(lay.rows) {
		from = int(lay.rows[m.top])
	}
	for i, off := range m.matches {
		if int(off) >= from {
			m.matchIdx = i
			break
		}
	}
	if jump {
		m.showMatch()
	}
}

func containsFold(s, q string, fold bool) bool {
	if fold {
		return strings.Contains(asciiLower(s), asciiLower(q))
	}
	return strings.Contains(s, q)
}

func (m *Model) nextMatch(d int) {
	n := len(m.matches)
	if m.inTable() {
		n = len(m.hits)
	}
	if n == 0 {
		return
	}
	m.matchIdx = ((m.matchIdx+d)%n + n) % n
	if m.inTable() {
		m.cursor = m.hits[m.matchIdx]
		return
	}
	m.showMatch()
}

// showMatch scrolls the current match into view: a third of the way down
// when it was off screen, and sideways when lines are cut.
func (m *Model) showMatch() {
	lay := m.layout()
	if lay == nil || m.matchIdx >= len(m.matches) {
		return
	}
	off := int(m.matches[m.matchIdx])
	bodyH := m.bodyHeight()
	if row := lay.rowOf(off); row < m.top || row >= m.top+bodyH {
		m.top = row - bodyH/3
	}
	m.clampTop(bodyH)
	if !m.wrap {
		start := int(lay.d.lines[lay.d.lineOf(off)])
		col := cellWidth(lay.d.text[start:off])
		qw := cellWidth(lay.d.text[off : off+m.qlen])
		view := m.width - 2*m.paint.ellW
		if col < m.xoff || col+qw > m.xoff+view {
			m.xoff = max(col-view/3, 0)
		}
	}
}

// Clipboard.

func (m *Model) copyKey() tea.Cmd {
	if !m.opened {
		return nil
	}
	return m.copy("key", m.key, "")
}

// copyValue copies what the value area shows: the decoded text in the
// pretty view, the fetched bytes in the raw and hex views; in the table,
// the selected member's decoded value.
func (m *Model) copyValue() tea.Cmd {
	v := m.val
	if v == nil && m.inTable() && m.cursor < len(m.rows) {
		v = m.memberValue(m.cursor)
	}
	if v == nil || v.res == nil {
		return views.Flash(views.FlashWarn, "no value to copy")
	}
	if m.mode != ModePretty && v.hasRaw {
		note := ""
		if m.member < 0 && m.report != nil && m.report.Truncated {
			note = "; the value itself is longer: only " + views.Bytes(int64(len(v.raw))) + " was fetched"
		}
		return m.copy("raw value", string(v.raw), note)
	}
	return m.copy("value", v.res.Text, "")
}

// copy puts s on the clipboard with OSC 52, at most maxCopy bytes (cut at a
// character boundary): terminals cap what they accept, and a 16 MiB escape
// sequence would stall a remote session.
func (m *Model) copy(what, s, note string) tea.Cmd {
	total := len(s)
	if total > maxCopy {
		cut := maxCopy
		for cut > maxCopy-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
		return tea.Batch(tea.SetClipboard(s), views.Flash(views.FlashWarn,
			fmt.Sprintf("copied the first %s of the %s (%s): the clipboard cap%s", views.Bytes(int64(len(s))), what, views.Bytes(int64(total)), note)))
	}
	return tea.Batch(tea.SetClipboard(s), views.Flash(views.FlashInfo, fmt.Sprintf("copied %s (%d bytes)%s", what, total, note)))
}

// errText is an error on one line, for the flash line.
func errText(err error) string {
	s := err.Error()
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	out, _ := sanitize(s, true)
	return out
}

var _ views.Pane = (*Model)(nil)
