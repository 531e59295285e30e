package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
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
	labelW = 10 // "evictions "
	barW   = 16 // memory bar
)

// View renders exactly width×height cells: the content (scrolled), then
// the status line.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := m.content(w)
	body := h - 1
	var b strings.Builder
	for i := range body {
		line := ""
		if j := m.offset + i; j < len(lines) {
			line = lines[j]
		}
		b.WriteString(widgets.Fit(line, w))
		b.WriteByte('\n')
	}
	b.WriteString(widgets.Fit(m.statusLine(), w))
	return b.String()
}

// content is every line of the pane, unscrolled: what is out of bounds
// first (the one thing an operator must not miss), then the figures, the
// history, and on a cluster one row per node.
func (m *Model) content(w int) []string {
	s := m.c.Styles
	if m.report == nil {
		switch {
		case m.c.Client == nil:
			return []string{s.Dim.Render("not connected")}
		case m.err != nil:
			return widgets.WrapText(s.Error.Render(unavailable(m.err)), w)
		}
		return []string{s.Dim.Render("polling" + s.Glyphs.Ellipsis)}
	}
	var out []string
	if m.err != nil {
		out = append(out, widgets.WrapText(s.Error.Render("last poll failed: "+redisops.Describe(m.err)+" (figures below are older)"), w)...)
	}
	out = append(out, m.boundsLines()...)
	out = append(out, m.figureLines(w)...)
	out = append(out, m.historyLines(w)...)
	if m.report.Cluster || len(m.report.Nodes) > 1 {
		out = append(out, "")
		out = append(out, m.nodeLines(w)...)
	}
	return out
}

// unavailable is how a failed poll reads: the refusal when the server
// refused INFO (renamed, blocked, NOPERM), the failure otherwise.
func unavailable(err error) string {
	var op *redisops.OpError
	if errors.As(err, &op) {
		return "unavailable: " + decode.SafeLine(op.Error())
	}
	if why := redisops.Refusal(err); why != "" {
		return "unavailable: " + why
	}
	return "unavailable: " + redisops.Describe(err)
}

// Metrics of redisops.Violation.
const (
	mHit     = "hit_rate"
	mLatency = "latency_p99"
	mMemory  = "memory"
	mCPU     = "cpu"
	mFrag    = "fragmentation"
	mEvict   = "evictions"
)

// Levels of a figure against its target.
const (
	lvlNone = iota // no target for this figure
	lvlOK
	lvlWarn
	lvlBad
)

func (m *Model) paint(lvl int, text string) string {
	s := m.c.Styles
	switch lvl {
	case lvlOK:
		return s.TTL.Render(text)
	case lvlWarn:
		return s.FlashWarn.Render(text)
	case lvlBad:
		return s.Error.Render(text)
	}
	return text
}

// level is the colour of a metric from the violations of its node: bad or
// warn when a target is missed, ok when the figure is known and within it.
func level(vs []redisops.Violation, metric string, known bool) int {
	if !known {
		return lvlNone
	}
	lv := lvlOK
	for _, v := range vs {
		if v.Metric != metric {
			continue
		}
		if v.Severity >= redisops.SeverityCritical {
			return lvlBad
		}
		lv = lvlWarn
	}
	return lv
}

func (m *Model) label(text string) string {
	return m.c.Styles.Label.Render(widgets.PadRight(text, labelW))
}

func (m *Model) na(why string) string {
	if why == "" {
		return m.c.Styles.Dim.Render("n/a")
	}
	return m.c.Styles.Dim.Render("n/a (" + why + ")")
}

func (m *Model) dim(text string) string { return m.c.Styles.Dim.Render(text) }

// glyph picks the ASCII form on terminals without UTF-8.
func (m *Model) glyph(utf, ascii string) string {
	if m.c.Styles.Opts.ASCII {
		return ascii
	}
	return utf
}

// boundsLines lists the targets missed now, or says all are met.
func (m *Model) boundsLines() []string {
	s := m.c.Styles
	vs := slices.Clone(m.violations)
	if len(vs) == 0 {
		return []string{s.TTL.Render(m.glyph("✓", "ok")+" within targets") + s.Dim.Render(" (hit rate > 80%, response < 5 ms, memory < 80% of max, CPU < 70%)")}
	}
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].Severity > vs[j].Severity })
	out := []string{s.Error.Render("out of bounds now")}
	for _, v := range vs {
		lvl := lvlWarn
		mark := "!"
		if v.Severity >= redisops.SeverityCritical {
			lvl, mark = lvlBad, m.glyph("✗", "X")
		}
		out = append(out, "  "+m.paint(lvl, mark+" "+v.Message))
	}
	return out
}

// figureLines are the aggregate's figures, one subject per line.
func (m *Model) figureLines(w int) []string {
	a := m.report.Aggregate
	vs := m.violations
	sep := m.dim(" · ")
	var out []string
	// A line too long for the pane wraps under its value column.
	line := func(label string, parts ...string) {
		value := strings.Join(parts, sep)
		for i, l := range widgets.WrapText(value, max(w-labelW, 8)) {
			if i == 0 {
				out = append(out, m.label(label)+l)
			} else {
				out = append(out, strings.Repeat(" ", labelW)+l)
			}
		}
	}
	if why := a.Unavailable["info"]; why != "" {
		line("server", m.na(why))
		return out
	}

	line("ops/s", m.rate(a.OpsPerSec, ""))
	hit := m.na("no reads yet")
	if a.HitRate >= 0 {
		hit = m.paint(level(vs, mHit, true), pct(a.HitRate)) + m.dim(" last "+shortDur(m.Interval))
	}
	total := m.dim("n/a since server start (no reads)")
	if a.HitRateTotal >= 0 {
		total = pct(a.HitRateTotal) + m.dim(" since server start")
	}
	line("hit rate", hit, total)
	line("latency", m.latencyText(vs))

	line("memory", m.memoryText(a, vs, w-labelW)...)
	line("clients", m.clientsText(a, vs)...)
	evicted := m.rate(a.EvictedPerSec, "/s")
	if a.EvictedPerSec >= 0 {
		evicted = m.paint(level(vs, mEvict, true), evicted)
	}
	line("evicted", evicted, "expired "+m.rate(a.ExpiredPerSec, "/s"))
	line("network", "in "+m.bytesRate(a.NetInBps), "out "+m.bytesRate(a.NetOutBps))
	cpu := m.na("first poll")
	if a.CPUPercent >= 0 {
		cpu = m.paint(level(vs, mCPU, true), fmt.Sprintf("%.1f%%", a.CPUPercent)) + m.dim(" of one core")
	}
	line("cpu", cpu)
	line("keys", m.keyspaceText(a)...)
	line("persist", m.persistText(a)...)
	line("replicas", m.replicationText(a)...)
	return out
}

func (m *Model) rate(v float64, unit string) string {
	if v < 0 {
		return m.dim("–")
	}
	if v >= 100 || v == math.Trunc(v) {
		return views.Commas(int64(math.Round(v))) + unit
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + unit
}

func (m *Model) bytesRate(v float64) string {
	if v < 0 {
		return m.dim("–")
	}
	return views.Bytes(int64(math.Round(v))) + "/s"
}

func (m *Model) latencyText(vs []redisops.Violation) string {
	switch {
	case m.c.Client != nil && m.c.Client.PingRefused:
		return m.na("PING refused to this user")
	case m.latency == nil || m.latency.Len() == 0:
		if m.pingErr != nil {
			return m.na("PING failed: " + redisops.Describe(m.pingErr))
		}
		return m.dim("–")
	}
	lvl := level(vs, mLatency, true)
	return "PING p50 " + ms(m.latency.P50()) + m.dim(" · ") + "p99 " + m.paint(lvl, ms(m.latency.P99())) +
		m.dim(fmt.Sprintf(" (%d samples)", m.latency.Len()))
}

func (m *Model) memoryText(a redisops.Stats, vs []redisops.Violation, room int) []string {
	lvl := level(vs, mMemory, a.MaxMemory > 0)
	var parts []string
	if a.MaxMemory > 0 {
		share := float64(a.UsedMemory) / float64(a.MaxMemory)
		bar := m.bar(share, min(barW, max(room/5, 4)))
		parts = append(parts, m.paint(lvl, bar)+" "+views.Bytes(a.UsedMemory)+" / "+views.Bytes(a.MaxMemory)+" "+m.paint(lvl, pct(share)))
	} else {
		parts = append(parts, views.Bytes(a.UsedMemory)+m.dim(" (no maxmemory)"))
	}
	frag := fmt.Sprintf("frag %.2f", a.FragRatio)
	parts = append(parts, m.paint(level(vs, mFrag, a.FragRatio > 0), frag))
	if a.MaxMemoryPolicy != "" {
		parts = append(parts, a.MaxMemoryPolicy)
	}
	return parts
}

// bar is a share of width cells, from the sparkline's highest and lowest
// glyphs (so that ASCII terminals get "@@@__").
func (m *Model) bar(share float64, width int) string {
	lv := m.c.Styles.Glyphs.SparkLevels
	full, empty := "#", "."
	if len(lv) > 0 {
		full, empty = lv[len(lv)-1], lv[0]
	}
	n := int(math.Round(min(max(share, 0), 1) * float64(width)))
	return strings.Repeat(full, n) + strings.Repeat(empty, width-n)
}

func (m *Model) clientsText(a redisops.Stats, vs []redisops.Violation) []string {
	conn := views.Commas(a.ConnectedClients)
	if a.MaxClients > 0 {
		conn += " / " + views.Commas(a.MaxClients)
	} else {
		conn += " / " + m.na(maxClientsWhy(a))
	}
	return []string{conn, "blocked " + views.Commas(a.BlockedClients)}
}

func maxClientsWhy(a redisops.Stats) string {
	if why := a.Unavailable["maxclients"]; why != "" {
		return "maxclients: " + why
	}
	for k, v := range a.Unavailable {
		if strings.HasPrefix(k, "maxclients@") {
			return "maxclients: " + v
		}
	}
	return "maxclients unknown"
}

func (m *Model) keyspaceText(a redisops.Stats) []string {
	if len(a.Keyspace) == 0 {
		return []string{m.dim("no keys")}
	}
	dbs := make([]int, 0, len(a.Keyspace))
	for db := range a.Keyspace {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	var out []string
	for _, db := range dbs {
		k := a.Keyspace[db]
		out = append(out, fmt.Sprintf("db%d %s", db, views.Commas(k.Keys))+m.dim(fmt.Sprintf(" (%s with TTL)", views.Commas(k.Expires))))
	}
	return out
}

func (m *Model) persistText(a redisops.Stats) []string {
	var out []string
	switch {
	case a.RDBLastSave.IsZero():
		out = append(out, m.dim("last save unknown"))
	default:
		out = append(out, "saved "+ago(m.now(), a.RDBLastSave))
	}
	switch {
	case a.RDBBgsaveInProgress:
		out = append(out, m.paint(lvlWarn, "bgsave running"))
	case a.RDBLastBgsaveStatus == "ok":
		out = append(out, "bgsave "+m.paint(lvlOK, "ok"))
	case a.RDBLastBgsaveStatus != "":
		out = append(out, "bgsave "+m.paint(lvlBad, a.RDBLastBgsaveStatus))
	}
	switch {
	case !a.AOFEnabled:
		out = append(out, m.dim("AOF off"))
	case a.AOFLastWriteStatus == "" || a.AOFLastWriteStatus == "ok":
		out = append(out, "AOF on")
	default:
		out = append(out, "AOF "+m.paint(lvlBad, "write "+a.AOFLastWriteStatus))
	}
	return out
}

func (m *Model) replicationText(a redisops.Stats) []string {
	role := a.Role
	if role == "slave" {
		role = "replica"
	}
	if role == "" {
		role = "role unknown"
	}
	out := []string{role}
	if a.Role == "slave" {
		st := lvlOK
		if a.MasterLinkStatus != "up" {
			st = lvlBad
		}
		out = append(out, "link "+m.paint(st, orDash(a.MasterLinkStatus)))
		return out
	}
	if a.ConnectedReplicas == 0 {
		out = append(out, m.dim("no replicas"))
		return out
	}
	out = append(out, fmt.Sprintf("%d replica%s", a.ConnectedReplicas, plural(a.ConnectedReplicas)))
	for _, r := range a.Replicas {
		lvl := lvlOK
		if r.State != "online" || r.LagSeconds > 5 {
			lvl = lvlWarn
		}
		out = append(out, r.Addr+" "+m.paint(lvl, fmt.Sprintf("%s, lag %ds (%s)", orDash(r.State), r.LagSeconds, views.Bytes(r.LagBytes))))
	}
	return out
}

// historyLines are the sparklines of the last five minutes.
func (m *Model) historyLines(w int) []string {
	levels := m.c.Styles.Glyphs.SparkLevels
	const valueW = 11
	room := max(w-labelW-valueW, 4)
	out := []string{m.dim(fmt.Sprintf("history (%s, one point per poll)", views.TTLShort(time.Duration(len(m.hist.pts))*m.Interval)))}
	row := func(label string, vs []float64, lo, hi float64, now string) {
		out = append(out, m.label(label)+widgets.PadRight(now, valueW)+sparkline(vs, levels, lo, hi))
	}
	ops := m.hist.last(room, func(p point) float64 { return p.ops })
	row("ops/s", ops, 0, 1, last(ops, func(v float64) string { return m.rate(v, "") }))
	hit := m.hist.last(room, func(p point) float64 { return p.hit * 100 })
	row("hit %", hit, 0, 100, last(hit, func(v float64) string { return fmt.Sprintf("%.1f%%", v) }))
	mem := m.hist.last(room, func(p point) float64 { return p.mem })
	hiMem := 1.0
	if a := m.report.Aggregate; a.MaxMemory > 0 {
		hiMem = float64(a.MaxMemory)
	}
	row("memory", mem, 0, hiMem, last(mem, func(v float64) string { return views.Bytes(int64(v)) }))
	lat := m.hist.last(room, func(p point) float64 { return p.lat })
	row("p99", lat, 0, 1, last(lat, func(v float64) string { return fmt.Sprintf("%.2f ms", v) }))
	return out
}

func last(vs []float64, f func(float64) string) string {
	if len(vs) == 0 || vs[len(vs)-1] < 0 || math.IsNaN(vs[len(vs)-1]) {
		return "–"
	}
	return f(vs[len(vs)-1])
}

// nodeLines is the table of a cluster's nodes, then the aggregate.
func (m *Model) nodeLines(w int) []string {
	s := m.c.Styles
	nodeW := max(min(w-50, 24), 10)
	cols := []struct {
		title string
		width int
	}{{"node", nodeW}, {"role", 7}, {"ops/s", 8}, {"hit", 7}, {"memory", 10}, {"mem%", 5}, {"clients", 8}, {"cpu", 6}}
	var hdr []string
	for i, c := range cols {
		if i < 2 {
			hdr = append(hdr, widgets.PadRight(c.title, c.width))
		} else {
			hdr = append(hdr, widgets.PadLeft(c.title, c.width))
		}
	}
	out := []string{s.Label.Render(strings.Join(hdr, " "))}
	row := func(n redisops.Stats, vs []redisops.Violation, name string) string {
		if why := n.Unavailable["info"]; why != "" {
			return widgets.PadRight(ansi.Truncate(name, nodeW, s.Glyphs.Ellipsis), nodeW) + " " + m.na(why)
		}
		role := n.Role
		if role == "slave" {
			role = "replica"
		}
		cells := []string{
			widgets.PadRight(ansi.Truncate(name, nodeW, s.Glyphs.Ellipsis), nodeW),
			widgets.PadRight(ansi.Truncate(role, 7, ""), 7),
			widgets.PadLeft(m.rate(n.OpsPerSec, ""), 8),
		}
		hit := m.dim("–")
		if n.HitRate >= 0 {
			hit = m.paint(level(vs, mHit, true), pct(n.HitRate))
		}
		cells = append(cells, widgets.PadLeft(hit, 7), widgets.PadLeft(views.Bytes(n.UsedMemory), 10))
		memPct := m.dim("–")
		if n.MaxMemory > 0 {
			memPct = m.paint(level(vs, mMemory, true), fmt.Sprintf("%.0f%%", 100*float64(n.UsedMemory)/float64(n.MaxMemory)))
		}
		cells = append(cells, widgets.PadLeft(memPct, 5), widgets.PadLeft(views.Commas(n.ConnectedClients), 8))
		cpu := m.dim("–")
		if n.CPUPercent >= 0 {
			cpu = m.paint(level(vs, mCPU, true), fmt.Sprintf("%.1f%%", n.CPUPercent))
		}
		cells = append(cells, widgets.PadLeft(cpu, 6))
		return strings.Join(cells, " ")
	}
	for _, n := range m.report.Nodes {
		out = append(out, row(n, m.nodeViol[n.Node], n.Node))
	}
	out = append(out, row(m.report.Aggregate, m.violations, "all nodes"))
	return out
}

func (m *Model) statusLine() string {
	s := m.c.Styles
	var parts []string
	switch {
	case m.report == nil && m.pollSeq != 0:
		parts = append(parts, "polling"+s.Glyphs.Ellipsis)
	case m.report != nil:
		parts = append(parts, "updated "+m.at.Format("15:04:05"))
	}
	parts = append(parts, "every "+shortDur(m.Interval))
	if m.report != nil && m.report.Cluster {
		parts = append(parts, fmt.Sprintf("%d nodes", len(m.report.Nodes)))
	}
	if m.skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d slow polls skipped a tick", m.skipped))
	}
	line := s.Dim.Render(strings.Join(parts, " · "))
	if m.err != nil && m.report != nil {
		line = s.Error.Render("poll failed: "+redisops.Describe(m.err)) + s.Dim.Render(" · ") + line
	}
	return line
}

// Formatting helpers.

func pct(ratio float64) string { return fmt.Sprintf("%.1f%%", ratio*100) }

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

func shortDur(d time.Duration) string {
	if d < time.Second {
		return d.String()
	}
	return views.TTLLong(d)
}

// ago is "12m ago" (TTLShort of the elapsed time); a time in the future
// (clock skew between the server and us) reads "just now".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	if d < time.Second {
		return "just now"
	}
	return views.TTLShort(d) + " ago"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
