package inspector

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
)

// View implements views.Pane: exactly width×height cells, no border.
func (m *Model) View() string {
	w, h := m.width, m.height
	if h <= 0 {
		return ""
	}
	if w <= 0 {
		return strings.Repeat("\n", h-1)
	}
	m.syncStyles()
	hdr := m.header()
	bodyH := max(h-len(hdr)-1, 0)
	var b strings.Builder
	b.Grow(h * (w + 32))
	for _, r := range hdr {
		b.WriteString(fit(r, w, m.paint.ell))
		b.WriteByte('\n')
	}
	m.body(&b, bodyH)
	b.WriteString(fit(m.status(bodyH), w, m.paint.ell))
	return m.editOverlay(b.String())
}

// Header row priorities: when the pane is short, the rows of the lowest
// priority go first, so the key and the first line of every warning stay.
const (
	prioKey = iota
	prioWarning
	prioCrumb
	prioMeta
	prioMore // the rest of a long warning
)

type headerRow struct {
	text string
	prio int
}

// header is the rows above the body: the key, the metadata, what is
// unavailable and why, the breadcrumb and the warnings, trimmed to leave
// the body at least a third of the pane.
func (m *Model) header() []string {
	if !m.opened {
		return nil
	}
	st := m.st
	rows := []headerRow{{st.PaneTitle.Render(decode.DisplayKey(m.key)), prioKey}}
	add := func(prio int, texts ...string) {
		for _, t := range texts {
			rows = append(rows, headerRow{t, prio})
		}
	}
	if r := m.report; r != nil {
		add(prioMeta, m.metaRows(r)...)
		for _, f := range fieldLabels {
			if why, ok := r.Unavailable[f.key]; ok && f.key != "value" { // the body says that one
				add(prioMeta, st.Label.Render(f.label+" ")+st.Dim.Render("unavailable: "+oneLine(why)))
			}
		}
		var other []string
		for k := range r.Unavailable {
			if !knownField(k) {
				other = append(other, k)
			}
		}
		sort.Strings(other)
		for _, k := range other {
			add(prioMeta, st.Label.Render(oneLine(k)+" ")+st.Dim.Render("unavailable: "+oneLine(r.Unavailable[k])))
		}
		if m.member >= 0 && m.member < len(r.Items) {
			add(prioCrumb, m.memberLabel(r))
		}
		if v := m.val; v != nil {
			if m.member < 0 || r.Type != "stream" { // a stream entry's fields carry their own
				add(prioCrumb, m.crumb(v.res))
			}
			for _, wt := range m.warnings(r, v) {
				lines := m.wrapStyled(wt, m.width, 3)
				add(prioWarning, lines[0])
				add(prioMore, lines[1:]...)
			}
		}
	}
	// Leave the body a third of what is under the status line.
	avail := m.height - 1
	limit := max(avail-(avail+1)/3, 0)
	for prio := prioMore; len(rows) > limit && prio >= 0; prio-- {
		excess := len(rows) - limit
		kept := rows[:0]
		// Drop from the end: the last rows of a kind matter least.
		for i := len(rows) - 1; i >= 0; i-- {
			if excess > 0 && rows[i].prio == prio {
				excess--
				rows[i].prio = -1
			}
		}
		for _, r := range rows {
			if r.prio >= 0 {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.text
	}
	return out
}

// warnings are what the value area must not let the operator miss.
func (m *Model) warnings(r *redisops.KeyReport, v *value) []string {
	var warns []string
	if m.member < 0 && r.Truncated {
		if r.Length > 0 {
			warns = append(warns, fmt.Sprintf("showing %s of %s: GETRANGE fetched only the start of the value",
				views.Bytes(int64(len(r.Raw))), views.Bytes(r.Length)))
		} else {
			warns = append(warns, fmt.Sprintf("showing the first %s: the value is longer", views.Bytes(int64(len(r.Raw)))))
		}
	}
	warns = append(warns, v.res.Warnings...)
	if d := m.doc(); d != nil && d.note != "" {
		warns = append(warns, d.note)
	}
	return warns
}

func knownField(k string) bool {
	for _, f := range fieldLabels {
		if f.key == k {
			return true
		}
	}
	return false
}

// oneLine makes server text safe to show on one line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	out, _ := sanitize(s, true)
	return out
}

// wrapStyled wraps a warning in the Warning style, at most maxRows rows.
func (m *Model) wrapStyled(text string, w, maxRows int) []string {
	lines := strings.Split(ansi.Wrap(oneLine(text), max(w, 1), ""), "\n")
	if len(lines) > maxRows {
		lines = lines[:maxRows]
		last := lines[maxRows-1]
		lines[maxRows-1] = ansi.Truncate(last, max(w-m.paint.ellW, 0), "") + m.paint.ell
	}
	for i, l := range lines {
		lines[i] = m.st.Warning.Render(l)
	}
	return lines
}

// metaRows lays the metadata out left to right, wrapping as needed.
func (m *Model) metaRows(r *redisops.KeyReport) []string {
	st := m.st
	items := []string{st.TypeStyle(r.Type).Render(r.Type)}
	if _, refused := r.Unavailable["ttl"]; !refused {
		items = append(items, st.Label.Render("ttl ")+m.ttlText())
	}
	if _, refused := r.Unavailable["encoding"]; !refused && r.Encoding != "" {
		items = append(items, st.Label.Render("enc ")+oneLine(r.Encoding))
	}
	if r.MemoryBytes >= 0 {
		items = append(items, st.Label.Render("mem ")+views.Bytes(r.MemoryBytes))
	}
	if r.Length >= 0 {
		items = append(items, st.Label.Render("len ")+lengthText(r.Type, r.Length))
	}
	var rows []string
	line, lw := "", 0
	for _, it := range items {
		iw := cellWidth(it)
		if lw > 0 && lw+2+iw > m.width {
			rows = append(rows, line)
			line, lw = "", 0
		}
		if lw > 0 {
			line += "  "
			lw += 2
		}
		line += it
		lw += iw
	}
	return append(rows, line)
}

// ttlText is the TTL left now, counted from the absolute expiry.
func (m *Model) ttlText() string {
	st := m.st
	switch {
	case m.noTTL:
		return st.Dim.Render("none")
	case m.expiresAt.IsZero():
		return st.Dim.Render("?")
	}
	left := m.expiresAt.Sub(m.now())
	switch {
	case left <= 0:
		return st.TTLExpiring.Render("expired (r to refresh)")
	case left <= 60e9:
		return st.TTLExpiring.Render(views.TTLLong(left))
	}
	return st.TTL.Render(views.TTLLong(left))
}

// crumb is the decode breadcrumb: coldcopy-compressed → base64 → gzip → JSON.
func (m *Model) crumb(res *decode.Result) string {
	st := m.st
	arrow := " " + st.Dim.Render(st.Glyphs.Arrow) + " "
	parts := make([]string, 0, len(res.Layers)+1)
	for _, l := range res.Layers {
		parts = append(parts, oneLine(l))
	}
	parts = append(parts, st.PaneTitle.Render(formatName(res.Format)))
	s := strings.Join(parts, arrow)
	if res.Damaged {
		s += "  " + st.Warning.Render("DAMAGED")
	}
	return s
}

// memberLabel says which member the value area shows.
func (m *Model) memberLabel(r *redisops.KeyReport) string {
	st := m.st
	row := &m.rows[m.member]
	var s string
	switch r.Type {
	case "hash":
		s = st.Label.Render("field ") + row.col1
	case "list":
		s = st.Label.Render("item ") + "#" + row.col1
	case "set":
		s = st.Label.Render("member ") + fmt.Sprintf("%d of %d loaded", m.member+1, len(m.rows))
	case "zset":
		s = st.Label.Render("member ") + fmt.Sprintf("%d", m.member+1) + st.Label.Render("  score ") + row.col1
	case "stream":
		s = st.Label.Render("entry ") + row.col1
	}
	return s + st.Dim.Render("  (esc: back)")
}

// body writes exactly n rows, each ending in a newline.
func (m *Model) body(b *strings.Builder, n int) {
	if n <= 0 {
		return
	}
	st := m.st
	w := m.width
	var lines []string
	switch {
	case !m.opened:
		lines = []string{st.Dim.Render("no key: open one from the keys pane")}
	case m.report == nil && m.loading:
		lines = []string{st.Partial.Render("loading" + m.paint.ell)}
	case m.gone:
		lines = []string{st.Warning.Render("no such key (it expired or was deleted)")}
	case m.err != nil:
		lines = append(m.errLines(), st.Dim.Render("r to retry"))
	case m.report == nil:
	case m.inTable():
		m.table(b, n)
		return
	case m.val != nil:
		m.valueRows(b, n)
		return
	default:
		if why, ok := m.report.Unavailable["value"]; ok {
			lines = []string{st.Dim.Render("value unavailable: " + oneLine(why))}
		}
	}
	for i := range n {
		if i < len(lines) {
			b.WriteString(fit(lines[i], w, m.paint.ell))
		} else {
			writeSpaces(b, w)
		}
		b.WriteByte('\n')
	}
}

func (m *Model) errLines() []string {
	msg := errText(m.err)
	switch {
	case errors.Is(m.err, context.DeadlineExceeded):
		msg = fmt.Sprintf("timed out after %s: %s", m.timeout, msg)
	case errors.Is(m.err, context.Canceled):
		msg = "cancelled"
	}
	var out []string
	for _, l := range strings.Split(ansi.Wrap("error: "+msg, max(m.width, 1), ""), "\n") {
		out = append(out, m.st.Error.Render(l))
	}
	return out
}

// valueRows draws the visible rows of the current document, and only those.
func (m *Model) valueRows(b *strings.Builder, n int) {
	lay := m.layout()
	m.clampTop(n)
	rc := &m.rc
	rc.lay, rc.width, rc.xoff = lay, m.width, 0
	if !m.wrap {
		rc.xoff = m.xoff
	}
	if m.query != "" && m.matchDoc != lay.d {
		m.research(false) // the document changed under the matches (a resize re-built the hex dump)
	}
	rc.matches, rc.qlen, rc.cur = m.matches, m.qlen, -1
	if len(m.matches) > 0 {
		rc.cur = m.matchIdx
	}
	empty := len(lay.d.text) == 0
	for i := range n {
		r := m.top + i
		switch {
		case empty && i == 0:
			b.WriteString(fit(m.st.Dim.Render("(empty)"), m.width, m.paint.ell))
		case !empty && r < len(lay.rows):
			m.paint.row(b, rc, r)
		default:
			writeSpaces(b, m.width)
		}
		b.WriteByte('\n')
	}
}

// table draws the column header and the visible members.
func (m *Model) table(b *strings.Builder, n int) {
	st := m.st
	w := m.width
	r := m.report
	h1, h2 := columnNames(r.Type)
	c1 := 0
	if h1 != "" {
		c1 = min(max(m.maxW1, cellWidth(h1)), max(w*2/5, 4))
	}
	gap := 2
	if c1 == 0 {
		gap = 0
	}
	c2 := max(w-c1-gap, 0)
	line := func(a, bb string) string {
		if c1 == 0 {
			return fit(bb, w, m.paint.ell)
		}
		return fit(fit(a, c1, m.paint.ell)+strings.Repeat(" ", gap)+fit(bb, c2, m.paint.ell), w, m.paint.ell)
	}
	b.WriteString(line(st.Label.Render(h1), st.Label.Render(h2)))
	b.WriteByte('\n')
	rowsH := n - 1
	if rowsH <= 0 {
		return
	}
	if m.cursor < m.ttop {
		m.ttop = m.cursor
	}
	if m.cursor >= m.ttop+rowsH {
		m.ttop = m.cursor - rowsH + 1
	}
	m.ttop = min(max(m.ttop, 0), max(len(m.rows)-rowsH, 0))
	var empty string
	switch {
	case len(m.rows) == 0 && r.Cursor != "":
		empty = st.Dim.Render("no members in this page: M loads the next")
	case len(m.rows) == 0:
		empty = st.Dim.Render("(empty)")
	}
	for i := range rowsH {
		k := m.ttop + i
		switch {
		case k < len(m.rows):
			row := &m.rows[k]
			tag, mark := "", ""
			if len(row.layers) > 0 {
				tag = strings.Join(row.layers, st.Glyphs.Arrow) + " "
			}
			if row.warn {
				mark = "! "
			}
			if k == m.cursor {
				b.WriteString(st.Selected.Render(line(row.col1, mark+tag+row.col2)))
			} else {
				c1s := row.col1
				if h := sort.SearchInts(m.hits, k); h < len(m.hits) && m.hits[h] == k {
					c1s = st.SearchMatch.Render(c1s)
				}
				b.WriteString(line(c1s, st.Warning.Render(mark)+st.Dim.Render(tag)+row.col2))
			}
		case i == 0 && empty != "":
			b.WriteString(fit(empty, w, m.paint.ell))
		default:
			writeSpaces(b, w)
		}
		b.WriteByte('\n')
	}
}

func columnNames(typ string) (string, string) {
	switch typ {
	case "hash":
		return "field", "value"
	case "list":
		return "#", "value"
	case "zset":
		return "score", "member"
	case "stream":
		return "id", "fields"
	}
	return "", "member"
}

// status is the last row: what is loading, the mode and position, search.
func (m *Model) status(bodyH int) string {
	st := m.st
	if m.searching {
		return st.HelpKey.Render("/") + oneLine(string(m.input)) + st.Selected.Render(" ")
	}
	var parts []string
	if m.loading || m.moreBusy {
		parts = append(parts, st.Partial.Render("loading"+m.paint.ell))
	}
	switch {
	case m.inTable():
		loaded := fmt.Sprintf("%d loaded", len(m.rows))
		if r := m.report; r.Length >= 0 {
			loaded = fmt.Sprintf("%d of %d loaded", len(m.rows), r.Length)
		}
		if m.report.Cursor != "" {
			loaded += " " + st.HelpKey.Render("M") + st.Dim.Render(" more")
		}
		parts = append(parts, st.Dim.Render(fmt.Sprintf("row %d/%d", min(m.cursor+1, len(m.rows)), len(m.rows))), loaded)
	case m.val != nil:
		modes := make([]string, 3)
		for i := range modes {
			name := Mode(i).String()
			if Mode(i) == m.mode {
				modes[i] = st.HelpKey.Render(name)
			} else {
				modes[i] = st.Dim.Render(name)
			}
		}
		wrap := "wrap"
		if !m.wrap {
			wrap = "cut"
			if m.xoff > 0 {
				wrap = fmt.Sprintf("cut +%d", m.xoff)
			}
		}
		parts = append(parts, strings.Join(modes, st.Dim.Render("|")), st.Dim.Render(wrap))
		if lay := m.layout(); lay != nil && len(lay.rows) > 0 {
			top := min(m.top, len(lay.rows)-1)
			line := lay.d.lineOf(int(lay.rows[top])) + 1
			pct := 100
			if len(lay.rows) > bodyH {
				pct = min(100, (top+bodyH)*100/len(lay.rows))
			}
			parts = append(parts, st.Dim.Render(fmt.Sprintf("L%d/%d %d%%", line, len(lay.d.lines), pct)))
		}
	}
	if m.query != "" {
		cur, total := m.SearchStatus()
		q := st.HelpKey.Render("/") + oneLine(m.query)
		switch {
		case total == 0:
			parts = append(parts, q+" "+st.Warning.Render("no match"))
		case total >= maxMatches:
			parts = append(parts, q+fmt.Sprintf(" %d/%d+", cur, total))
		default:
			parts = append(parts, q+fmt.Sprintf(" %d/%d", cur, total))
		}
	}
	return strings.Join(parts, "  ")
}
