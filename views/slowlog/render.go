package slowlog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

const (
	timeW   = 11 // "15:04:05" today, "11-24 15:04" before
	durW    = 10 // "12,345 ms"
	clientW = 22
	nodeW   = 15
	// maxEventRows: the latency section's share of the screen.
	maxEventRows = 3
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
	if m.confirm.Active() {
		lines = widgets.Overlay(lines, m.confirm.View(m.c.Styles, w), w, h)
	}
	return widgets.Screen(lines, w, h)
}

// unavailable says why the slow log could not be read: the refusal when
// the server refused SLOWLOG (renamed, blocked, NOPERM), else the failure.
func unavailable(err error) string {
	var op *redisops.OpError
	if errors.As(err, &op) {
		return "unavailable: " + op.Error()
	}
	return "unavailable: " + redisops.Describe(err)
}

// refused reports whether err is the server refusing the command on every
// node that failed.
func refused(err error) bool {
	var op *redisops.OpError
	if errors.As(err, &op) {
		return op.Refused() != ""
	}
	return redisops.IsRefusal(err)
}

// tableRows is the number of entry rows: the height less the header, the
// latency section and the status line.
func (m *Model) tableRows() int {
	return max(0, m.height-2-len(m.latencyLines(max(m.width, 1))))
}

func (m *Model) showNode() bool { return m.nodes > 1 }

func (m *Model) listLines(w, h int) []string {
	s := m.c.Styles
	var out []string
	rows := m.tableRows()
	switch {
	case m.c.Client == nil:
		out = append(out, s.Dim.Render("not connected"))
	case !m.loaded:
		out = append(out, s.Dim.Render("loading the slow log"+s.Glyphs.Ellipsis))
	case m.err != nil && len(m.entries) == 0:
		out = append(out, widgets.WrapText(s.Error.Render(unavailable(m.err)), w)...)
	default:
		out = append(out, m.header(w))
		shown := min(rows, len(m.order)-m.scroll.Offset)
		for i := range shown {
			out = append(out, m.row(m.scroll.Offset+i, w))
		}
		if len(m.order) == 0 && rows > 0 {
			out = append(out, s.Dim.Render("the slow log is empty (commands slower than slowlog-log-slower-than are logged)"))
		}
	}
	for len(out) < h-1-len(m.latencyLines(w)) {
		out = append(out, "")
	}
	out = out[:max(0, min(len(out), h-1-len(m.latencyLines(w))))]
	out = append(out, m.latencyLines(w)...)
	return append(out, m.statusLine())
}

func (m *Model) columns(w int) (cmdW int) {
	used := timeW + 1 + durW + 1 + clientW + 1
	if m.showNode() {
		used += nodeW + 1
	}
	return max(w-used, 8)
}

func (m *Model) header(w int) string {
	cmdW := m.columns(w)
	cells := []string{widgets.PadRight("time", timeW), widgets.PadLeft("duration", durW)}
	if m.showNode() {
		cells = append(cells, widgets.PadRight("node", nodeW))
	}
	cells = append(cells, widgets.PadRight("command", cmdW), "client")
	arrow := "▼"
	if m.c.Styles.Opts.ASCII {
		arrow = "v"
	}
	mark := func(title string, on bool) string {
		if on {
			return title + arrow
		}
		return title
	}
	cells[0] = widgets.PadRight(mark("time", m.sort == ByTime), timeW)
	cells[1] = widgets.PadLeft(mark("duration", m.sort == ByDuration), durW)
	return m.c.Styles.Label.Render(strings.Join(cells, " "))
}

func (m *Model) row(r, w int) string {
	s := m.c.Styles
	e := m.entries[m.order[r]]
	cmdW := m.columns(w)
	cells := []string{widgets.PadRight(m.when(e.Time), timeW), widgets.PadLeft(durText(e.Duration), durW)}
	if m.showNode() {
		cells = append(cells, widgets.PadRight(ansi.Truncate(e.Node, nodeW, s.Glyphs.Ellipsis), nodeW))
	}
	cells = append(cells,
		widgets.PadRight(ansi.Truncate(commandLine(e.Args), cmdW, s.Glyphs.Ellipsis), cmdW),
		ansi.Truncate(clientText(e), clientW, s.Glyphs.Ellipsis))
	line := strings.Join(cells, " ")
	if r == m.scroll.Cursor {
		return s.Selected.Render(widgets.Fit(line, w))
	}
	return line
}

// commandLine is the arguments as they read safely: each through
// decode.DisplayKey, so binary or control bytes show escaped, never raw.
func commandLine(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = decode.DisplayKey(a)
	}
	return strings.Join(parts, " ")
}

func clientText(e redisops.SlowEntry) string {
	t := decode.DisplayKey(e.ClientAddr)
	if e.ClientName != "" {
		t += " " + decode.DisplayKey(e.ClientName)
	}
	return t
}

// when is the entry's time in local time: the clock time today, the date
// and minute before.
func (m *Model) when(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	lt, now := t.Local(), m.now().Local()
	if lt.Year() == now.Year() && lt.YearDay() == now.YearDay() {
		return lt.Format("15:04:05")
	}
	return lt.Format("01-02 15:04")
}

func durText(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + " µs"
	case d < 10*time.Second:
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
	}
	return views.Commas(d.Milliseconds()) + " ms"
}

// latencyLines is the LATENCY LATEST section: the worst spikes, or why
// there are none.
func (m *Model) latencyLines(w int) []string {
	s := m.c.Styles
	if !m.loaded || m.height < 8 {
		return nil
	}
	title := s.Label.Render("latency monitor ")
	switch {
	case m.latErr != nil && len(m.events) == 0:
		return []string{title + s.Dim.Render(unavailable(m.latErr))}
	case len(m.events) == 0 && m.thr == "0":
		return []string{title + s.Dim.Render("off (latency-monitor-threshold 0)")}
	case len(m.events) == 0 && m.thr != "":
		return []string{title + s.Dim.Render("no spikes over "+m.thr+" ms")}
	case len(m.events) == 0 && m.thrRefused:
		return []string{title + s.Dim.Render("no events: off or no spikes (threshold unknown: CONFIG refused)")}
	case len(m.events) == 0:
		return []string{title + s.Dim.Render("no events: off or no spikes (threshold unknown: "+m.thrWhy+")")}
	}
	out := []string{title + s.Dim.Render(fmt.Sprintf("%d event(s), worst first", len(m.events)))}
	for i, ev := range m.events {
		if i == maxEventRows {
			break
		}
		line := fmt.Sprintf("  %-18s latest %s  max %s  at %s", decode.DisplayKey(ev.Event), durText(ev.Latest), durText(ev.Max), m.when(ev.Time))
		if m.showNode() {
			line += "  " + ev.Node
		}
		out = append(out, line)
	}
	return out
}

func (m *Model) statusLine() string {
	s := m.c.Styles
	var parts []string
	switch {
	case m.loadSeq != 0:
		parts = append(parts, "loading"+s.Glyphs.Ellipsis)
	case m.loaded:
		parts = append(parts, "loaded "+m.loadedAt.Local().Format("15:04:05"))
	}
	if m.loaded && (m.err == nil || len(m.entries) > 0) {
		parts = append(parts, fmt.Sprintf("%d entries", len(m.entries)), "by "+m.sort.String(), nodesText(m.nodes))
		if len(m.order) > 0 {
			parts = append(parts, fmt.Sprintf("%d/%d", m.scroll.Cursor+1, len(m.order)))
		}
	}
	if m.c.ReadOnly {
		parts = append(parts, "read-only")
	}
	line := s.Dim.Render(strings.Join(parts, " · "))
	if m.err != nil && len(m.entries) > 0 {
		line = s.Warning.Render("some nodes failed: "+m.err.Error()) + s.Dim.Render(" · ") + line
	}
	return line
}

// detailLines is one entry in full: every argument on its own line(s).
func (m *Model) detailLines(w, h int) []string {
	s := m.c.Styles
	e, ok := m.Selected()
	if !ok {
		return nil
	}
	label := func(l string) string { return s.Label.Render(widgets.PadRight(l, 10)) }
	var body []string
	body = append(body, label("node")+e.Node, label("entry")+"#"+strconv.FormatInt(e.ID, 10))
	when := "–"
	if !e.Time.IsZero() {
		when = e.Time.Local().Format("2006-01-02 15:04:05") + s.Dim.Render(" ("+ago(m.now(), e.Time)+")")
	}
	body = append(body, label("time")+when, label("duration")+durText(e.Duration))
	body = append(body, label("client")+decode.DisplayKey(e.ClientAddr))
	name := s.Dim.Render("(no name)")
	if e.ClientName != "" {
		name = decode.DisplayKey(e.ClientName)
	}
	body = append(body, label("name")+name)
	body = append(body, label("arguments")+strconv.Itoa(len(e.Args))+s.Dim.Render(" (secrets redacted, long arguments cut)"))
	for i, a := range e.Args {
		prefix := fmt.Sprintf("  [%d] ", i)
		for j, l := range widgets.WrapText(decode.DisplayKey(a), max(w-len(prefix), 8)) {
			if j == 0 {
				body = append(body, s.Dim.Render(prefix)+l)
			} else {
				body = append(body, strings.Repeat(" ", len(prefix))+l)
			}
		}
	}
	room := max(h-1, 0)
	m.detailTop = min(m.detailTop, max(len(body)-room, 0))
	end := min(len(body), m.detailTop+room)
	out := append([]string(nil), body[m.detailTop:end]...)
	for len(out) < room {
		out = append(out, "")
	}
	status := s.Dim.Render(fmt.Sprintf("entry %d/%d · esc back", m.scroll.Cursor+1, len(m.order)))
	if len(body) > room {
		status += s.Dim.Render(fmt.Sprintf(" · lines %d-%d of %d", m.detailTop+1, end, len(body)))
	}
	return append(out, status)
}

func ago(now, t time.Time) string {
	d := now.Sub(t)
	if d < time.Second {
		return "just now"
	}
	return views.TTLShort(d) + " ago"
}
