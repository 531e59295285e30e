package backups

import (
	"fmt"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// Column widths; the name takes what is left.
const (
	kindW  = 8
	sizeW  = 10
	keysW  = 11
	ageW   = 5
	statW  = 20
	nameW0 = 12
)

// headLines are the lines above the list: directory, running backup or
// last outcome, column titles.
const headLines = 3

// listRows is how many backups fit under the header (and the memory
// breakdown, when one is shown).
func (m *Model) listRows() int {
	return max(1, m.height-headLines-len(m.memoryLines(m.width)))
}

// View renders exactly width×height cells.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	s := m.c.Styles
	lines := []string{s.Dim.Render(widgets.Fit("dir "+decode.DisplayKey(m.dir)+fmt.Sprintf("  · retention %d days", m.keepDays), w))}
	switch {
	case m.job != nil:
		lines = append(lines, s.Warning.Render(widgets.Fit("running: "+m.progress+"  (esc cancels)", w)))
	case m.last != "" && m.lastErr:
		lines = append(lines, s.Error.Render(widgets.Fit(m.last, w)))
	case m.last != "":
		lines = append(lines, widgets.Fit(m.last, w))
	default:
		lines = append(lines, s.Dim.Render(widgets.Fit(m.hint(), w)))
	}
	nameW := max(w-(kindW+sizeW+keysW+ageW+statW+5), nameW0)
	lines = append(lines, s.PaneTitle.Render(widgets.Fit(widgets.PadRight("NAME", nameW)+" "+widgets.PadRight("KIND", kindW)+" "+
		widgets.PadLeft("SIZE", sizeW)+" "+widgets.PadLeft("KEYS", keysW)+" "+widgets.PadLeft("AGE", ageW)+" STATUS", w)))
	rows := m.listRows()
	switch {
	case !m.loaded:
		lines = append(lines, s.Dim.Render("reading and verifying the backups…"))
	case m.listErr != nil:
		lines = append(lines, s.Error.Render(widgets.Fit(m.listErr.Error(), w)))
	case len(m.entries) == 0:
		lines = append(lines, s.Dim.Render(widgets.Fit("no backups yet: l makes a logical backup, d downloads an RDB", w)))
	default:
		m.scroll.Clamp(len(m.entries), rows)
		now := m.c.Clock()()
		for i := m.scroll.Offset; i < len(m.entries) && i < m.scroll.Offset+rows; i++ {
			e := m.entries[i]
			keys := "?"
			if e.Keys >= 0 {
				keys = views.Commas(e.Keys)
			}
			line := widgets.PadRight(widgets.Fit(decode.DisplayKey(e.Name), nameW), nameW) + " " + widgets.PadRight(e.Kind, kindW) + " " +
				widgets.PadLeft(views.Bytes(e.Bytes), sizeW) + " " + widgets.PadLeft(keys, keysW) + " " + widgets.PadLeft(shortAge(e.Age(now)), ageW) + " " + e.Status()
			line = widgets.Fit(line, w)
			switch {
			case i == m.scroll.Cursor:
				line = s.Selected.Render(line)
			case e.Checked && !e.Verified:
				line = s.Error.Render(line)
			case e.Partial:
				line = s.Dim.Render(line)
			}
			lines = append(lines, line)
		}
	}
	for len(lines) < headLines+rows {
		lines = append(lines, "")
	}
	lines = append(lines, m.memoryLines(w)...)
	if m.confirm.Active() {
		lines = widgets.Overlay(lines, m.confirm.View(s, w), w, h)
	}
	return widgets.Screen(lines, w, h)
}

func (m *Model) hint() string {
	if m.c.ReadOnly {
		return "read-only: d downloads an RDB, l makes a logical backup (BGSAVE and restore are off)"
	}
	return "b BGSAVE · d download RDB · l logical backup · p prune · R restore · m memory"
}

// memoryLines is the breakdown of the chosen backup: a few lines under
// the list, the biggest namespaces first.
func (m *Model) memoryLines(w int) []string {
	s := m.c.Styles
	switch {
	case m.memSeq != 0:
		return []string{"", s.Dim.Render(widgets.Fit("memory of "+decode.DisplayKey(m.memName)+": reading the file (nothing is sent to the server)…", w))}
	case m.memErr != nil:
		return []string{"", s.Error.Render(widgets.Fit("memory of "+decode.DisplayKey(m.memName)+": "+redisops.Describe(m.memErr), w))}
	case m.memReport == nil:
		return nil
	}
	r := m.memReport
	out := []string{"", s.PaneTitle.Render(widgets.Fit(fmt.Sprintf("memory of %s: %s keys, %s (esc closes)", decode.DisplayKey(m.memName), views.Commas(r.ScannedKeys), views.Bytes(r.TotalBytes)), w))}
	for i, ns := range r.Namespaces {
		if i == 5 {
			break
		}
		name := ns.Prefix
		if name == "" {
			name = "(no prefix)"
		}
		out = append(out, widgets.Fit(fmt.Sprintf("  %-24s %10s keys %10s  %4.1f%%  %s without TTL", decode.DisplayKey(name), views.Commas(ns.Keys), views.Bytes(ns.Bytes), 100*ns.Share, views.Commas(ns.NoTTL)), w))
	}
	return out
}

// shortAge is an age in its largest unit: 45s, 12m, 5h, 3d.
func shortAge(d interface{ Hours() float64 }) string {
	h := d.Hours()
	switch {
	case h < 1.0/60:
		return fmt.Sprintf("%ds", max(0, int(h*3600)))
	case h < 1:
		return fmt.Sprintf("%dm", int(h*60))
	case h < 48:
		return fmt.Sprintf("%dh", int(h))
	}
	return fmt.Sprintf("%dd", int(h/24))
}
