package memory

import (
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

const labelW = 10

// View renders exactly width×height cells: the section strip, the
// section (scrolled), then the progress or status line.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := []string{m.strip()}
	body := m.sectionLines(w)
	for i := range m.bodyHeight() {
		line := ""
		if j := m.offset + i; j < len(body) {
			line = body[j]
		}
		lines = append(lines, line)
	}
	lines = append(lines, m.statusLine())
	return widgets.Screen(lines, w, h)
}

// strip names the sections, the current one highlighted.
func (m *Model) strip() string {
	s := m.c.Styles
	top := "biggest keys by bytes"
	if m.byLength {
		top = "biggest keys by elements"
	}
	names := []string{"facts", "prefixes", top}
	parts := make([]string, len(names))
	for i, n := range names {
		if Section(i) == m.section {
			parts[i] = s.TabActive.Render(n)
		} else {
			parts[i] = s.Tab.Render(n)
		}
	}
	return strings.Join(parts, s.Dim.Render("│")) + s.Dim.Render(fmt.Sprintf("  depth %d", m.depth))
}

func (m *Model) sectionLines(w int) []string {
	switch m.section {
	case SectionNamespaces:
		return m.namespaceLines(w)
	case SectionTopKeys:
		return m.topLines(w)
	}
	return m.factsLines(w)
}

// Facts.

func (m *Model) label(l string) string { return m.c.Styles.Label.Render(widgets.PadRight(l, labelW)) }

func (m *Model) na(why string) string { return m.c.Styles.Dim.Render("n/a (" + why + ")") }

func (m *Model) factsLines(w int) []string {
	s := m.c.Styles
	switch {
	case m.c.Client == nil:
		return []string{s.Dim.Render("not connected")}
	case !m.factsLoaded:
		return []string{s.Dim.Render("loading" + s.Glyphs.Ellipsis)}
	case m.factsErr != nil:
		return widgets.WrapText(s.Error.Render("unavailable: "+redisops.Describe(m.factsErr)), w)
	}
	f := m.facts
	sep := s.Dim.Render(" · ")
	var out []string
	line := func(label string, parts ...string) {
		for i, l := range widgets.WrapText(strings.Join(parts, sep), max(w-labelW, 8)) {
			if i == 0 {
				out = append(out, m.label(label)+l)
			} else {
				out = append(out, strings.Repeat(" ", labelW)+l)
			}
		}
	}
	if len(f.Nodes) > 1 {
		line("node", f.Node+s.Dim.Render(fmt.Sprintf(" (first of %d masters; the breakdown covers all)", len(f.Nodes))))
	}
	if why := f.Unavailable["info"]; why != "" {
		line("memory", m.na(why))
	} else {
		in := f.Info
		used := num(in["used_memory"])
		line("memory", "used "+bytesOf(in, "used_memory"), "peak "+bytesOf(in, "used_memory_peak"),
			"rss "+bytesOf(in, "used_memory_rss"), "frag "+orDash(in["mem_fragmentation_ratio"]))
		maxMem := num(in["maxmemory"])
		limit := "no maxmemory"
		if maxMem > 0 {
			share := float64(used) / float64(maxMem)
			st := s.TTL
			switch {
			case share > 0.95:
				st = s.Error
			case share > redisops.TargetMemoryRatio:
				st = s.FlashWarn
			}
			limit = "maxmemory " + views.Bytes(maxMem) + " " + st.Render(m.bar(share, 10)+" "+pct(share))
		}
		line("limit", limit, "policy "+orDash(in["maxmemory_policy"]))
		lua := in["used_memory_lua"]
		if v, ok := in["used_memory_vm_eval"]; ok {
			lua = v
		}
		line("buffers", "clients "+bytesOf(in, "mem_clients_normal"), "replicas "+bytesOf(in, "mem_clients_slaves"),
			"backlog "+bytesOf(in, "mem_replication_backlog"), "lua "+bytesText(lua))
	}
	if why := f.Unavailable["stats"]; why != "" {
		line("stats", m.na(why))
	} else {
		st := f.Stats
		line("dataset", bytesOf(st, "dataset.bytes")+s.Dim.Render(" ("+pctText(st["dataset.percentage"])+" of net memory)"),
			"overhead "+bytesOf(st, "overhead.total"), "startup "+bytesOf(st, "startup.allocated"))
		line("keys", views.Commas(num(st["keys.count"]))+" keys", bytesOf(st, "keys.bytes-per-key")+" overhead per key",
			"main dict "+bytesOf(st, "db.0.overhead.hashtable.main"))
	}
	if len(f.Nodes) > 1 {
		addrs := make([]string, 0, len(f.Nodes))
		for a := range f.Nodes {
			addrs = append(addrs, a)
		}
		sort.Strings(addrs)
		var parts []string
		for _, a := range addrs {
			parts = append(parts, a+" "+bytesOf(f.Nodes[a].Info, "used_memory"))
		}
		line("masters", parts...)
	}
	out = append(out, "")
	if why := f.Unavailable["doctor"]; why != "" {
		line("doctor", m.na(why))
		return out
	}
	out = append(out, s.Label.Render("MEMORY DOCTOR"))
	for _, l := range strings.Split(strings.TrimSpace(f.Doctor), "\n") {
		l = strings.TrimRight(l, "\r")
		out = append(out, widgets.WrapText(safeText(l), w)...)
	}
	return out
}

// safeText keeps server text printable: control bytes would move the
// cursor or recolour the terminal.
func safeText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

func num(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if ferr != nil {
			return 0
		}
		return int64(f)
	}
	return n
}

func bytesOf(m map[string]string, k string) string { return bytesText(m[k]) }

func bytesText(v string) string {
	if strings.TrimSpace(v) == "" {
		return "–"
	}
	return views.Bytes(num(v))
}

// pctText is MEMORY STATS's "68.697593688964844" as "68.7%".
func pctText(v string) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return "–"
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + "%"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// The breakdown.

// estimate marks figures of a sampled breakdown.
func (m *Model) estimateNote(r *redisops.MemoryReport) string {
	s := m.c.Styles
	var parts []string
	if r.Exact {
		parts = append(parts, s.TTL.Render("exact"))
	} else {
		parts = append(parts, s.Partial.Render(fmt.Sprintf("estimate (%s sample, %s keys measured)", pctShort(r.Sample), views.Commas(r.MeasuredKeys))))
	}
	if r.Cancelled {
		parts = append(parts, s.Warning.Render("cancelled: partial"))
	}
	parts = append(parts, fmt.Sprintf("%s keys", views.Commas(r.ScannedKeys)), views.Bytes(r.TotalBytes)+" in keys", "took "+shortDur(r.Duration))
	if r.Vanished > 0 {
		parts = append(parts, fmt.Sprintf("%s vanished", views.Commas(r.Vanished)))
	}
	return strings.Join(parts, s.Dim.Render(" · "))
}

func (m *Model) noBreakdown(w int) []string {
	s := m.c.Styles
	if m.job != nil {
		return []string{s.Dim.Render("walking the keys" + s.Glyphs.Ellipsis)}
	}
	text := "No breakdown yet. b measures a 1% sample of the keys (an estimate, quick); B measures every key (exact, slower). " +
		"Both walk the keyspace with SCAN, paced to keep the server's p99 under " + ms(GovernorBudget) + "; esc stops them."
	out := widgets.WrapText(s.Dim.Render(text), w)
	if m.repErr != nil {
		out = append(widgets.WrapText(s.Error.Render("breakdown failed: "+redisops.Describe(m.repErr)), w), out...)
	}
	return out
}

// wideMemory is the width from which the namespace table has room for
// the average size column.
const wideMemory = 100

func (m *Model) namespaceLines(w int) []string {
	s := m.c.Styles
	r := m.report
	if r == nil {
		return m.noBreakdown(w)
	}
	tilde := "~"
	if r.Exact {
		tilde = ""
	}
	const keysW, bytesW, barW, ttlW = 8, 10, 6, 7
	const shareW = barW + 7
	// The average (bytes over keys) is the first column to go in a narrow
	// console: the prefix matters more.
	avgW, gaps := 9, 6
	if w < wideMemory {
		avgW, gaps = 0, 5
	}
	// The prefix column gets what its longest prefix needs, up to what the
	// other columns leave (types keep at least 8 cells).
	longest := 8
	for _, ns := range r.Namespaces {
		longest = max(longest, ansi.StringWidth(decode.DisplayKey(ns.Prefix)))
	}
	fixed := keysW + bytesW + shareW + avgW + ttlW + gaps
	prefixW := max(min(longest, w-fixed-8), 8)
	typesW := max(w-fixed-prefixW, 8)
	out := m.errorLines(w)
	out = append(out, widgets.WrapText(m.estimateNote(r), w)...)
	hdr := []string{widgets.PadRight("prefix", prefixW), widgets.PadLeft("keys", keysW), widgets.PadLeft("bytes", bytesW), widgets.PadRight("share", shareW)}
	if avgW > 0 {
		hdr = append(hdr, widgets.PadLeft("avg", avgW))
	}
	hdr = append(hdr, widgets.PadLeft("no TTL", ttlW), "types")
	out = append(out, s.Label.Render(strings.Join(hdr, " ")))
	if len(r.Namespaces) == 0 {
		return append(out, s.Dim.Render("no keys"))
	}
	for _, ns := range r.Namespaces {
		prefix := decode.DisplayKey(ns.Prefix)
		switch {
		case ns.Other:
			prefix = s.Dim.Render(ns.Prefix)
		case ns.Prefix == "":
			prefix = s.Dim.Render("(no prefix)")
		default:
			prefix = s.Namespace.Render(widgets.ElideMiddle(prefix, prefixW, s.Glyphs.Ellipsis))
		}
		noTTL := views.Commas(ns.NoTTL)
		if r.NoTTLEstimate {
			noTTL = "~" + noTTL
		}
		cells := []string{
			widgets.PadRight(prefix, prefixW),
			widgets.PadLeft(views.Commas(ns.Keys), keysW),
			widgets.PadLeft(tilde+views.Bytes(ns.Bytes), bytesW),
			widgets.PadRight(m.bar(ns.Share, barW)+" "+pct(ns.Share), shareW),
		}
		if avgW > 0 {
			cells = append(cells, widgets.PadLeft(tilde+views.Bytes(ns.AvgBytes), avgW))
		}
		cells = append(cells, widgets.PadLeft(noTTL, ttlW), ansi.Truncate(typeMix(ns.Types), typesW, s.Glyphs.Ellipsis))
		out = append(out, strings.Join(cells, " "))
	}
	return out
}

func (m *Model) errorLines(w int) []string {
	if m.repErr == nil {
		return nil
	}
	return widgets.WrapText(m.c.Styles.Error.Render("breakdown failed, partial: "+redisops.Describe(m.repErr)), w)
}

// typeMix is "hash 80% string 20%", most common type first.
func typeMix(types map[string]int64) string {
	var total int64
	names := make([]string, 0, len(types))
	for t, n := range types {
		total += n
		names = append(names, t)
	}
	if total == 0 {
		return "–"
	}
	slices.SortFunc(names, func(a, b string) int {
		if types[a] != types[b] {
			if types[a] > types[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(names))
	for i, t := range names {
		parts[i] = fmt.Sprintf("%s %.0f%%", t, 100*float64(types[t])/float64(total))
	}
	return strings.Join(parts, " ")
}

func (m *Model) topLines(w int) []string {
	s := m.c.Styles
	r := m.report
	if r == nil {
		return m.noBreakdown(w)
	}
	list, what := r.TopByBytes, "bytes"
	if m.byLength {
		list, what = r.TopByLength, "elements (collections)"
	}
	const typeW, bytesW, lenW = 6, 10, 12
	keyW := max(w-typeW-bytesW-lenW-3, 8)
	out := m.errorLines(w)
	scope := "of the measured keys"
	if r.Exact {
		scope = "of every key"
	}
	out = append(out, widgets.WrapText(m.estimateNote(r), w)...)
	out = append(out, s.Dim.Render(fmt.Sprintf("biggest by %s, %s (t toggles)", what, scope)))
	hdr := []string{widgets.PadRight("key", keyW), widgets.PadRight("type", typeW), widgets.PadLeft("bytes", bytesW), widgets.PadLeft("length", lenW)}
	out = append(out, s.Label.Render(strings.Join(hdr, " ")))
	if len(list) == 0 {
		return append(out, s.Dim.Render("none"))
	}
	for _, k := range list {
		length := "–"
		if k.Length >= 0 {
			length = views.Commas(k.Length)
		}
		cells := []string{
			widgets.PadRight(widgets.ElideMiddle(decode.DisplayKey(k.Key), keyW, s.Glyphs.Ellipsis), keyW),
			s.TypeStyle(k.Type).Render(widgets.PadRight(k.Type, typeW)),
			widgets.PadLeft(views.Bytes(k.Bytes), bytesW),
			widgets.PadLeft(length, lenW),
		}
		out = append(out, strings.Join(cells, " "))
	}
	return out
}

// statusLine is the live progress of a running breakdown, else when the
// facts were read.
func (m *Model) statusLine() string {
	s := m.c.Styles
	if m.job != nil {
		p := m.progress
		kind := "exact"
		if !m.exact {
			kind = "sampling " + pctShort(SampleFraction)
		}
		parts := []string{s.Partial.Render(kind)}
		scanned := "scanned " + views.Commas(p.Scanned)
		if p.Total > 0 {
			scanned += fmt.Sprintf("/%s (%.0f%%)", views.Commas(p.Total), min(100, 100*float64(p.Scanned)/float64(p.Total)))
		}
		parts = append(parts, scanned)
		if p.Elapsed > 0 {
			parts = append(parts, fmt.Sprintf("%s keys/s", views.Commas(int64(float64(p.Scanned)/p.Elapsed.Seconds()))), shortDur(p.Elapsed))
		}
		parts = append(parts, fmt.Sprintf("paced: p99 %s, pause %s", ms(m.govP99), ms(m.govPause)), "esc cancels")
		return strings.Join(parts, s.Dim.Render(" · "))
	}
	var parts []string
	if m.factsSeq != 0 {
		parts = append(parts, "loading"+s.Glyphs.Ellipsis)
	} else if m.factsLoaded {
		parts = append(parts, "facts "+m.factsAt.Local().Format("15:04:05"))
	}
	if m.ran && m.report != nil {
		parts = append(parts, fmt.Sprintf("last breakdown paced: p99 %s, pause %s", ms(m.govP99), ms(m.govPause)))
	}
	return s.Dim.Render(strings.Join(parts, " · "))
}

// bar is a share of width cells drawn with the sparkline's highest and
// lowest glyphs (ASCII terminals get "@@__").
func (m *Model) bar(share float64, width int) string {
	lv := m.c.Styles.Glyphs.SparkLevels
	full, empty := "#", "."
	if len(lv) > 0 {
		full, empty = lv[len(lv)-1], lv[0]
	}
	n := int(math.Round(min(max(share, 0), 1) * float64(width)))
	return strings.Repeat(full, n) + strings.Repeat(empty, width-n)
}

func pct(ratio float64) string { return fmt.Sprintf("%.1f%%", ratio*100) }

func pctShort(ratio float64) string {
	return strconv.FormatFloat(ratio*100, 'f', -1, 64) + "%"
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

func shortDur(d time.Duration) string {
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	return views.TTLLong(d)
}
