package clients

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

// Fixed column widths; the name takes what is left.
const (
	markW    = 1
	idW      = 6
	addrW    = 21
	ageW     = 5
	idleW    = 5
	dbW      = 3
	cmdW     = 12
	flagsW   = 5
	nodeW    = 15
	nameMinW = 6
)

// View renders exactly width×height cells.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := m.listLines(w, h)
	if m.confirm.Active() {
		lines = widgets.Overlay(lines, m.confirm.View(m.c.Styles, w), w, h)
	}
	return widgets.Screen(lines, w, h)
}

// unavailable says why the list could not be read: the refusal when the
// server refused CLIENT LIST (renamed, blocked, NOPERM), else the failure.
func unavailable(err error) string {
	var op *redisops.OpError
	if errors.As(err, &op) {
		return "unavailable: " + decode.SafeLine(op.Error())
	}
	return "unavailable: " + redisops.Describe(err)
}

// tableRows is the number of client rows: all but the header and status.
func (m *Model) tableRows() int { return max(0, m.height-2) }

func (m *Model) showNode() bool { return m.c.Client != nil && m.c.Client.IsCluster() }

func (m *Model) nameW(w int) int {
	fixed := markW + idW + addrW + ageW + idleW + dbW + cmdW + flagsW + 8
	if m.showNode() {
		fixed += nodeW + 1
	}
	return max(w-fixed, nameMinW)
}

func (m *Model) listLines(w, h int) []string {
	s := m.c.Styles
	var out []string
	switch {
	case m.c.Client == nil:
		out = append(out, s.Dim.Render("not connected"))
	case !m.loaded:
		out = append(out, s.Dim.Render("loading the client list"+s.Glyphs.Ellipsis))
	case m.err != nil && len(m.list) == 0:
		out = append(out, widgets.WrapText(s.Error.Render(unavailable(m.err)), w)...)
	default:
		out = append(out, m.header(w))
		shown := min(m.tableRows(), len(m.order)-m.scroll.Offset)
		for i := range shown {
			out = append(out, m.row(m.scroll.Offset+i, w))
		}
	}
	for len(out) < h-1 {
		out = append(out, "")
	}
	out = out[:max(0, min(len(out), h-1))]
	return append(out, m.statusLine())
}

func (m *Model) cells(node, id, addr, name, age, idle, db, cmd, flags string, w int) string {
	nw := m.nameW(w)
	var c []string
	if m.showNode() {
		c = append(c, widgets.PadRight(trunc(node, nodeW, m), nodeW))
	}
	c = append(c, widgets.PadLeft(id, idW), widgets.PadRight(trunc(addr, addrW, m), addrW), widgets.PadRight(trunc(name, nw, m), nw),
		widgets.PadLeft(age, ageW), widgets.PadLeft(idle, idleW), widgets.PadLeft(db, dbW), widgets.PadRight(trunc(cmd, cmdW, m), cmdW), widgets.PadRight(trunc(flags, flagsW, m), flagsW))
	return strings.Join(c, " ")
}

func trunc(s string, w int, m *Model) string { return ansi.Truncate(s, w, m.c.Styles.Glyphs.Ellipsis) }

func (m *Model) header(w int) string {
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
	line := " " + m.cells("node", "id", mark("address", m.sort == ByAddr), "name", mark("age", m.sort == ByAge), mark("idle", m.sort == ByIdle), "db", "last cmd", "flags", w)
	return m.c.Styles.Label.Render(line)
}

func (m *Model) row(r, w int) string {
	s := m.c.Styles
	i := m.order[r]
	ci := m.list[i]
	mark := " "
	if m.own[i] {
		mark = "*"
	}
	name := decode.DisplayKey(ci.Name)
	if ci.Name == "" {
		name = ""
	}
	line := mark + m.cells(ci.Node, strconv.FormatInt(ci.ID, 10), decode.DisplayKey(ci.Addr), name,
		dur(ci.Age), dur(ci.Idle), strconv.Itoa(ci.DB), decode.DisplayKey(ci.Cmd), decode.DisplayKey(ci.Flags), w)
	switch {
	case r == m.scroll.Cursor:
		return s.Selected.Render(widgets.Fit(line, w))
	case m.own[i]:
		return s.Dim.Render(line)
	}
	return line
}

// dur is an age or idle time in its largest unit ("0s", "12m").
func dur(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return views.TTLShort(d)
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
	if m.loaded && len(m.list) > 0 {
		parts = append(parts, fmt.Sprintf("%d clients", len(m.list)), "by "+m.sort.String(), fmt.Sprintf("%d/%d", m.scroll.Cursor+1, len(m.order)), "* this console")
	}
	parts = append(parts, "every "+views.TTLShort(m.Refresh))
	if m.c.ReadOnly {
		parts = append(parts, "read-only")
	}
	line := s.Dim.Render(strings.Join(parts, " · "))
	if m.err != nil && len(m.list) > 0 {
		line = s.Warning.Render("some nodes failed: "+decode.SafeLine(m.err.Error())) + s.Dim.Render(" · ") + line
	}
	return line
}

// killText is the kill dialog's question, naming the client.
func killText(ci redisops.ClientInfo) string {
	who := decode.DisplayKey(ci.Addr)
	if ci.Name != "" {
		who += " (name " + decode.DisplayKey(ci.Name) + ")"
	} else {
		who += " (no name)"
	}
	return fmt.Sprintf("Kill client %d %s on %s?", ci.ID, who, ci.Node)
}
