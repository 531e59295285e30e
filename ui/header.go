package ui

import (
	"fmt"
	"strings"
	"time"
)

// headerLine: profile (red for production), address, server and version,
// role, db, topology, live latency, and badges.
func (m *Model) headerLine() string {
	st := m.common.Styles
	sep := st.Dim.Render(" │ ")
	if st.Opts.ASCII {
		sep = st.Dim.Render(" | ")
	}
	var parts []string
	parts = append(parts, st.Header.Render("cachedeck"))
	if m.opts.ProfileName != "" {
		name := m.opts.ProfileName
		if m.opts.Production {
			parts = append(parts, st.HeaderProd.Render(name+" (production)"))
		} else {
			parts = append(parts, st.Header.Render(name))
		}
	}
	parts = append(parts, m.addr())
	if c := m.opts.Client; c != nil {
		if s := serverLabel(c.Server.Product, c.Server.Version); s != "" {
			parts = append(parts, s)
		}
		if c.Server.Role != "" {
			parts = append(parts, c.Server.Role)
		}
		if c.IsCluster() {
			parts = append(parts, "cluster")
		} else {
			parts = append(parts, fmt.Sprintf("db%d", m.opts.DB))
		}
	}
	parts = append(parts, m.latencyLabel())
	line := strings.Join(parts, sep)
	if m.opts.ReadOnly {
		line += " " + st.Badge.Render("READ-ONLY")
	}
	if !m.health.connected {
		line += " " + st.BadgeWarn.Render("DISCONNECTED: "+m.health.lastErr)
	}
	return fit(line, m.width)
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

func (m *Model) latencyLabel() string {
	st := m.common.Styles
	switch {
	case !m.health.connected:
		return st.Error.Render("ping —")
	case m.opts.Client != nil && m.opts.Client.PingRefused:
		return st.Dim.Render("ping n/a (denied)")
	case m.health.latency == 0:
		return st.Dim.Render("ping …")
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
