package cluster

import (
	"fmt"
	"strings"
	"time"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/dobackend"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// View is exactly width × height.
func (m *Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	var lines []string
	switch {
	case m.dc == nil:
		lines = m.viewUnavailable()
	case m.mode == modeList:
		lines = m.viewList()
	case m.mode == modeDetail:
		lines = m.viewDetail()
	case m.mode == modeWizard:
		lines = m.viewWizard()
	case m.mode == modeEviction:
		lines = m.viewEviction()
	case m.mode == modeConfirm:
		lines = m.viewConfirm()
	case m.mode == modeWatch:
		lines = m.viewWatch()
	}
	return widgets.Screen(lines, m.width, m.height)
}

func (m *Model) viewUnavailable() []string {
	s := m.c.Styles
	lines := []string{s.Warning.Render("DigitalOcean clusters are not available"), ""}
	lines = append(lines, widgets.WrapText(m.unavailable, m.width)...)
	return append(lines, "", s.Dim.Render("The rest of the console works without it."))
}

func (m *Model) viewList() []string {
	s := m.c.Styles
	switch {
	case m.err != nil:
		lines := append([]string{s.FlashErr.Render("cannot list the clusters")}, widgets.WrapText(m.err.Error(), m.width)...)
		return append(lines, s.Dim.Render("r tries again"))
	case !m.loaded:
		return []string{s.Dim.Render("listing the account's Redis/Valkey clusters…")}
	case len(m.clusters) == 0:
		return []string{"no Redis/Valkey clusters on this account"}
	}
	head := fmt.Sprintf("%-24s %-12s %-6s %-18s %-5s %-9s %s", "NAME", "ENGINE", "REGION", "SIZE", "NODES", "STATUS", "HOST")
	lines := []string{s.Dim.Render(fmt.Sprintf("%d clusters · %s", len(m.clusters), m.dc.RateNote())), s.Dim.Render(widgets.Fit(head, m.width))}
	rows := m.listRows()
	for i := m.cursor.Offset; i < len(m.clusters) && i < m.cursor.Offset+rows; i++ {
		c := m.clusters[i]
		host := "-"
		if c.Public != nil {
			host = c.Public.Host
		}
		if m.connectedTo(&c) {
			host += "  (connected)"
		}
		line := widgets.Fit(fmt.Sprintf("%-24s %-12s %-6s %-18s %-5d %-9s %s", decode.DisplayKey(c.Name), c.Engine+" "+c.Version, c.Region, c.Size, c.Nodes, c.Status, host), m.width)
		if i == m.cursor.Cursor {
			line = s.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	return lines
}

func (m *Model) viewDetail() []string {
	s := m.c.Styles
	c := m.detail
	lines := []string{s.PaneTitle.Render(fmt.Sprintf("%s  %s %s  %s  %s x%d  %s", decode.DisplayKey(c.Name), c.Engine, c.Version, c.Region, c.Size, c.Nodes, c.Status))}
	if m.loading {
		lines = append(lines, s.Dim.Render("reading details…"))
	}
	if m.detailErr != nil {
		lines = append(lines, widgets.WrapText(s.FlashErr.Render(m.detailErr.Error()), m.width)...)
	}
	if info, ok := m.Prices.Lookup(c.Size); ok && info.RAM > 0 {
		est := ""
		if info.Estimated {
			est = " (estimated)"
		}
		price := ""
		if info.MonthlyUSD > 0 {
			price = fmt.Sprintf(", $%.2f/month per node (%s)", info.MonthlyUSD, m.Prices.DateNote())
		}
		lines = append(lines, fmt.Sprintf("memory:      %s per node, %s for data%s%s", fmtBytes(info.RAM), fmtBytes(info.Usable), est, price))
	}
	for _, e := range []struct {
		label string
		ep    *dobackend.Endpoint
	}{{"public:      ", c.Public}, {"private:     ", c.Private}, {"standby:     ", c.Standby}} {
		if e.ep != nil {
			lines = append(lines, e.label+e.ep.URI)
		}
	}
	if w := c.Maintenance; w != nil {
		line := fmt.Sprintf("maintenance: %s %s UTC", w.Day, w.Hour)
		if w.Pending {
			line += s.FlashWarn.Render("  pending: " + strings.Join(w.Description, "; "))
		}
		lines = append(lines, line)
	}
	if m.eviction != "" {
		lines = append(lines, "eviction:    "+m.eviction)
	}
	for i, r := range m.firewall {
		label := "trusted:     "
		if i > 0 {
			label = "             "
		}
		lines = append(lines, label+r.Type+" "+r.Value)
	}
	for what, why := range m.partial {
		lines = append(lines, s.Dim.Render(what+" unavailable: "+why))
	}
	if m.connectedTo(c) {
		live := "the console is connected to this cluster"
		if u := m.liveUse; u != nil {
			live = fmt.Sprintf("live memory: used %s, peak %s, maxmemory %s (the console is connected to this cluster)", fmtBytes(u.Used), fmtBytes(u.Peak), fmtBytes(u.MaxMemory))
		}
		lines = append(lines, widgets.WrapText(live, m.width)...)
	}
	if m.c.ReadOnly {
		lines = append(lines, "", s.Dim.Render("read-only: resize and eviction policy changes are removed"))
	} else {
		lines = append(lines, "", s.Dim.Render("s resize · e eviction policy · r reload · esc back"))
	}
	return lines
}

func (m *Model) viewWizard() []string {
	s := m.c.Styles
	c := m.detail
	lines := []string{s.PaneTitle.Render(fmt.Sprintf("resize %s (now %s x%d)", decode.DisplayKey(c.Name), c.Size, c.Nodes))}
	if m.loading {
		return append(lines, s.Dim.Render("reading the sizes on offer and the live memory…"))
	}
	if m.use != nil {
		lines = append(lines, fmt.Sprintf("live: used %s, peak %s, maxmemory %s · %s", fmtBytes(m.use.Used), fmtBytes(m.use.Peak), fmtBytes(m.use.MaxMemory), m.Prices.DateNote()))
	} else {
		lines = append(lines, widgets.WrapText(s.FlashWarn.Render("no fit check: "+errText(m.useErr)), m.width)...)
	}
	lines = append(lines, s.Dim.Render(widgets.Fit(fmt.Sprintf("%-20s %-5s %-14s %-10s %-8s %s", "SIZE", "NODES", "FOR DATA", "$/MONTH", "FIT", "WHY"), m.width)))
	rows := max(1, m.height-len(lines)-2)
	m.choice.Clamp(len(m.rows), rows)
	for i := m.choice.Offset; i < len(m.rows) && i < m.choice.Offset+rows; i++ {
		r := m.rows[i]
		info, _ := m.Prices.Lookup(r.plan.Size)
		price, verdict, why := "?", "?", ""
		if info.MonthlyUSD > 0 {
			price = fmt.Sprintf("%.2f", info.MonthlyUSD*float64(r.plan.Nodes))
		}
		if r.fit != nil {
			verdict = string(r.fit.Verdict)
			if len(r.fit.Reasons) > 0 {
				why = r.fit.Reasons[0]
			}
		}
		if r.plan.Size == c.Size && r.plan.Nodes == c.Nodes {
			why = "current size"
		}
		line := widgets.Fit(fmt.Sprintf("%-20s %-5d %-14s %-10s %-8s %s", r.plan.Size, r.plan.Nodes, fmtBytes(info.Usable), price, verdict, why), m.width)
		if i == m.choice.Cursor {
			line = s.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	if m.message != "" {
		lines = append(lines, widgets.WrapText(s.FlashErr.Render(m.message), m.width)...)
	}
	return lines
}

func (m *Model) viewEviction() []string {
	s := m.c.Styles
	lines := []string{s.PaneTitle.Render(fmt.Sprintf("eviction policy of %s (now %s)", decode.DisplayKey(m.detail.Name), orUnknown(m.eviction)))}
	for i, p := range dobackend.EvictionPolicies {
		line := widgets.Fit("  "+p, m.width)
		if i == m.policyPick.Cursor {
			line = s.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	return lines
}

func (m *Model) viewConfirm() []string {
	s := m.c.Styles
	lines := []string{s.Warning.Render(fmt.Sprintf("Type the cluster's name to %s (%s):", m.pendingWhy, decode.DisplayKey(m.detail.Name)))}
	for _, p := range m.preview {
		lines = append(lines, widgets.WrapText(p, m.width)...)
	}
	lines = append(lines, "", m.input.View(s, m.width))
	if m.confirmErr != "" {
		lines = append(lines, s.FlashErr.Render(m.confirmErr))
	}
	return lines
}

func (m *Model) viewWatch() []string {
	s := m.c.Styles
	lines := []string{s.PaneTitle.Render(fmt.Sprintf("resizing %s: %s x%d → %s x%d", decode.DisplayKey(m.detail.Name), m.watchFrom.Size, m.watchFrom.Nodes, m.watchTo.Size, m.watchTo.Nodes))}
	status := "waiting for the first status…"
	if st := m.watchStatus; st != nil {
		status = fmt.Sprintf("status %s, %s x%d", st.Status, st.Size, st.Nodes)
	}
	lines = append(lines, status, fmt.Sprintf("elapsed %s (polling every %s)", time.Since(m.watchStart).Round(time.Second), m.PollEvery))
	if m.watchPing != "" {
		lines = append(lines, "cache: "+m.watchPing)
	}
	if m.watchErr != "" {
		lines = append(lines, widgets.WrapText(s.FlashWarn.Render("last poll failed: "+m.watchErr), m.width)...)
	}
	if m.watchDone {
		lines = append(lines, s.FlashInfo.Render("done: online at the new size"), s.Dim.Render("esc back"))
	} else {
		lines = append(lines, s.Dim.Render("esc stops watching (the resize goes on)"))
	}
	return lines
}

func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
