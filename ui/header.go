package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/coldcopy/cachedeck/views/widgets"
)

// headerField is one droppable part of the header; when the line is too
// wide the field with the lowest keep is dropped first.
type headerField struct {
	text  string
	keep  int
	short string // tried before the field is dropped ("" if none)
}

// headerLine: the informative fields (profile, address, server and
// version, role, db, topology, live latency), then the badges that change
// what the operator may do: PRODUCTION, READ-ONLY, DISCONNECTED. The
// badges are shown at every width; the fields give way to them, least
// useful first.
func (m *Model) headerLine() string {
	st := m.common.Styles
	sep := st.Dim.Render(" │ ")
	if st.Opts.ASCII {
		sep = st.Dim.Render(" | ")
	}
	var badges []string
	if m.opts.Production {
		badges = append(badges, st.BadgeProd.Render("PRODUCTION"))
	}
	if m.opts.ReadOnly {
		badges = append(badges, st.Badge.Render("READ-ONLY"))
	}
	if !m.health.connected {
		badges = append(badges, st.BadgeWarn.Render("DISCONNECTED"))
	}
	right := strings.Join(badges, " ")

	fields := []headerField{{text: st.Header.Render("cachedeck"), keep: 1}}
	if name := m.opts.ProfileName; name != "" {
		style := st.Header
		if m.opts.Production {
			style = st.HeaderProd
		}
		fields = append(fields, headerField{text: style.Render(name), keep: 7})
	}
	if a := m.addr(); a != "" {
		// A managed host name is long; its end (the port) tells clusters apart.
		fields = append(fields, headerField{a, 5, widgets.ElideMiddle(a, 24, st.Glyphs.Ellipsis)})
	}
	if c := m.opts.Client; c != nil {
		if s := serverLabel(c.Server.Product, c.Server.Version); s != "" {
			fields = append(fields, headerField{text: s, keep: 2})
		}
		if c.Server.Role != "" {
			fields = append(fields, headerField{text: c.Server.Role, keep: 3})
		}
		if c.IsCluster() {
			fields = append(fields, headerField{text: "cluster", keep: 4})
		} else {
			fields = append(fields, headerField{text: fmt.Sprintf("db%d", m.opts.DB), keep: 4})
		}
	}
	fields = append(fields, headerField{text: m.latencyLabel(), keep: 6})

	room := m.width
	if right != "" {
		room -= ansi.StringWidth(right) + 1
	}
	left := joinFitting(fields, sep, room)
	if right == "" {
		return fit(left, m.width)
	}
	// The badges sit at the right edge, where the eye finds them at once.
	return fit(left, max(room, 0)) + " " + right
}

// joinFitting joins the fields that fit in width: short forms first, then
// dropping the lowest keep first; if even the most useful one is too wide it is cut with an
// ellipsis.
func joinFitting(fields []headerField, sep string, width int) string {
	if width <= 0 {
		return ""
	}
	kept := append([]headerField(nil), fields...)
	join := func() string {
		texts := make([]string, len(kept))
		for i, f := range kept {
			texts[i] = f.text
		}
		return strings.Join(texts, sep)
	}
	if ansi.StringWidth(join()) > width {
		for i, f := range kept {
			if f.short != "" {
				kept[i].text = f.short
			}
		}
	}
	for len(kept) > 1 && ansi.StringWidth(join()) > width {
		drop := 0
		for i, f := range kept {
			if f.keep < kept[drop].keep {
				drop = i
			}
		}
		kept = append(kept[:drop], kept[drop+1:]...)
	}
	return ansi.Truncate(join(), width, "…")
}

func (m *Model) addr() string {
	if m.opts.Client == nil {
		return ""
	}
	return m.opts.Client.Addr
}

func serverLabel(product, version string) string {
	switch product {
	case "valkey":
		product = "Valkey"
	case "redis":
		product = "Redis"
	}
	return strings.TrimSpace(product + " " + version)
}

// latencyLabel is the live PING figure, or why there is none: while
// disconnected it is the reason (the badge says DISCONNECTED).
func (m *Model) latencyLabel() string {
	st := m.common.Styles
	switch {
	case !m.health.connected:
		reason := m.health.lastErr
		if reason == "" {
			reason = "no reply"
		}
		return st.Error.Render(reason)
	case m.opts.Client != nil && m.opts.Client.PingRefused:
		return st.Dim.Render("ping n/a (denied)")
	case m.health.latency == 0:
		return st.Dim.Render("ping " + st.Glyphs.Ellipsis)
	}
	label := "ping " + formatLatency(m.health.latency)
	if m.health.latency > 5*time.Millisecond {
		return st.FlashWarn.Render(label) // over the 5 ms response target
	}
	return label
}

func formatLatency(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}
