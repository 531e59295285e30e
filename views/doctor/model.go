// Package doctor is the Doctor pane: the server against the production
// baseline (redisops.Doctor), findings first with what was seen, the
// baseline and the remedy, then what could not be seen and why, then what
// passed. It loads when first shown and on r; it changes nothing.
package doctor

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

const loadTimeout = 20 * time.Second

var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

// loadedMsg carries one doctor run to the pane that asked for it.
type loadedMsg struct {
	pane, seq uint64
	report    *redisops.DoctorReport
	err       error
	at        time.Time
}

// Model is the Doctor pane. It implements views.Pane and views.Shower.
type Model struct {
	c             *views.Common
	id            uint64
	width, height int

	loadSeq  uint64
	loaded   bool
	loadedAt time.Time
	report   *redisops.DoctorReport
	err      error
	top      int // first shown line
}

// New returns the pane; it loads when first shown.
func New(c *views.Common) *Model { return &Model{c: c, id: nextSeq()} }

func (m *Model) Init() tea.Cmd { return nil }

// SetShown implements views.Shower: the first showing runs the doctor.
func (m *Model) SetShown(shown bool) tea.Cmd {
	if !shown || m.loaded || m.loadSeq != 0 {
		return nil
	}
	return m.load()
}

func (m *Model) SetSize(w, h int)               { m.width, m.height = max(0, w), max(0, h) }
func (m *Model) SetFocused(bool)                {}
func (m *Model) Capturing() bool                { return false }
func (m *Model) Loaded() bool                   { return m.loaded }
func (m *Model) Loading() bool                  { return m.loadSeq != 0 }
func (m *Model) Err() error                     { return m.err }
func (m *Model) Report() *redisops.DoctorReport { return m.report }

func (m *Model) load() tea.Cmd {
	if m.c.Client == nil || m.loadSeq != 0 {
		return nil
	}
	m.loadSeq = nextSeq()
	pane, seq, c, now := m.id, m.loadSeq, m.c.Client, m.c.Clock()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		r, err := c.Doctor(ctx)
		return loadedMsg{pane: pane, seq: seq, report: r, err: err, at: now()}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.pane != m.id || msg.seq != m.loadSeq {
			return nil
		}
		m.loadSeq, m.loaded, m.loadedAt = 0, true, msg.at
		m.err = msg.err
		if msg.report != nil {
			m.report = msg.report
		}
	case tea.KeyPressMsg:
		if key.Matches(msg, m.c.Keys.Refresh) {
			return m.load()
		}
		if d, ok := widgets.Movement(msg, m.c.Keys, m.height-1); ok {
			m.top = min(widgets.Far, max(0, m.top+d))
		}
	case tea.MouseWheelMsg:
		m.top = max(0, m.top+widgets.WheelRows(msg))
	}
	return nil
}

// View renders exactly width×height cells: a status line, then the
// report, scrolled.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	s := m.c.Styles
	var head string
	switch {
	case m.loadSeq != 0 && m.report == nil:
		head = s.Dim.Render("checking the server against the production baseline…")
	case m.report == nil && m.err != nil:
		head = s.Error.Render("doctor failed: " + redisops.Describe(m.err) + " (r retries)")
	case m.report == nil:
		head = s.Dim.Render("r: check the server against the production baseline")
	default:
		r := m.report
		n := len(r.Findings())
		summary := fmt.Sprintf("%d findings", n)
		if n == 0 {
			summary = s.Count.Render("clean")
		} else {
			summary = s.Error.Render(summary)
		}
		head = fmt.Sprintf("%s · %s %s as %s · %s", summary, r.Product, r.Version, r.User, m.loadedAt.Format("15:04:05"))
		if m.err != nil {
			head += " · " + s.Error.Render("refresh failed: "+redisops.Describe(m.err))
		}
	}
	lines := m.body(w)
	m.top = max(0, min(m.top, len(lines)-(h-1)))
	end := min(len(lines), m.top+h-1)
	return widgets.Screen(append([]string{head}, lines[m.top:end]...), w, h)
}

// body lays the report out: findings and notes with their details, then
// unknowns, then passed checks, one line each.
func (m *Model) body(w int) []string {
	if m.report == nil {
		return nil
	}
	s := m.c.Styles
	var out []string
	var unknown, ok []redisops.DoctorCheck
	for _, c := range m.report.Checks {
		switch c.Status {
		case redisops.DoctorUnknown:
			unknown = append(unknown, c)
			continue
		case redisops.DoctorOK:
			ok = append(ok, c)
			continue
		}
		st := s.Warning
		switch c.Status {
		case redisops.DoctorCritical:
			st = s.Error
		case redisops.DoctorInfo:
			st = s.Dim
		}
		out = append(out, "", st.Render(widgets.PadRight(strings.ToUpper(c.Status), 9))+c.ID+nodeSuffix(m.report, c))
		out = append(out, indent(s.Label.Render("seen     ")+c.Seen, w)...)
		out = append(out, indent(s.Label.Render("baseline ")+c.Baseline, w)...)
		if c.Remedy != "" {
			out = append(out, indent(s.Label.Render("remedy   ")+strings.ReplaceAll(c.Remedy, "\n", " · "), w)...)
		}
	}
	if len(unknown) > 0 {
		out = append(out, "", s.Label.Render("UNKNOWN (not guessed)"))
		for _, c := range unknown {
			out = append(out, indent(widgets.PadRight(c.ID, 27)+s.Dim.Render(c.Why), w)...)
		}
	}
	if len(ok) > 0 {
		out = append(out, "", s.Label.Render("OK"))
		for _, c := range ok {
			out = append(out, indent(widgets.PadRight(c.ID, 27)+s.Dim.Render(c.Seen), w)...)
		}
	}
	return out
}

// nodeSuffix names the node of a check when the report covers several
// (the masters of a cluster).
func nodeSuffix(r *redisops.DoctorReport, c redisops.DoctorCheck) string {
	for _, o := range r.Checks {
		if o.Node != c.Node {
			return " [" + c.Node + "]"
		}
	}
	return ""
}

// indent wraps a line to the width, two spaces in.
func indent(line string, w int) []string {
	parts := widgets.WrapText(line, max(1, w-2))
	for i := range parts {
		parts[i] = "  " + parts[i]
	}
	return parts
}

func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.c.Keys.Refresh, key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑↓", "scroll"))}
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, {k.Refresh}}
}
