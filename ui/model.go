// Package ui is the console's frame: header, tabs of panes, focus,
// sizing, routing of messages, the flash line, the help screen.
package ui

import (
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/dobackend"
	"github.com/coldcopy/cachedeck/keymap"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// Options describe the session the console shows.
type Options struct {
	Client      *redisops.Client
	ProfileName string
	Production  bool
	ReadOnly    bool
	AuditPath   string // "" means audit.DefaultPath()
	DB          int
	Styles      styles.Options
	Now         func() time.Time // pinned in tests
	// DO drives the Cluster tab; nil when no token is configured, and
	// DOUnavailable then says why.
	DO            *dobackend.Client
	DOUnavailable string
	// Warmers are the profile's cache warmers (the Warm tab);
	// WarmersErr says why they could not be read.
	Warmers    []config.Warmer
	WarmersErr error
}

// Tab is one screen of the console: one or more panes side by side.
// Later panes (stats, slowlog, memory, actions) are added as tabs.
type Tab struct {
	Title   string
	Panes   []views.Pane
	Titles  []string // one border title per pane
	Weights []int    // relative widths
}

// Model is the root model.
type Model struct {
	common *views.Common
	opts   Options
	tabs   []Tab
	active int // tab index
	focus  int // pane index within the active tab
	width  int
	height int
	help   bool
	flash  flash
	health health
}

type health struct {
	latency   time.Duration
	connected bool
	lastErr   string
	inFlight  bool
}

// New builds the console around its panes. The caller adds the tabs
// (NewConsole does that with the keys pane and the inspector).
func New(o Options, tabs ...Tab) *Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	km := keymap.Default()
	if o.Styles.ASCII {
		km.ASCII()
	}
	common := &views.Common{Styles: styles.New(o.Styles), Keys: &km, Client: o.Client, Now: o.Now, ReadOnly: o.ReadOnly,
		Profile: o.ProfileName, Production: o.Production, AuditPath: o.AuditPath}
	m := &Model{common: common, opts: o, health: health{connected: true}}
	m.tabs = tabs
	return m
}

// Common is shared with the panes; the caller builds panes from it.
func (m *Model) Common() *views.Common { return m.common }

// AddTab appends a tab; the first pane of the first tab has the focus.
func (m *Model) AddTab(t Tab) {
	m.tabs = append(m.tabs, t)
	m.applyFocus()
	m.layout()
}

// Init starts every pane and the health probe, tells the first tab's panes
// they are shown, and asks the terminal for its background colour to pick
// dark or light styles.
func (m *Model) Init() tea.Cmd {
	// A console that starts may run audited mutations, even when an
	// earlier console of this process (a test, a reopened console) exited.
	widgets.OpenAudited()
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.startPing(), m.probeWriteAccess()}
	for _, t := range m.tabs {
		for _, p := range t.Panes {
			cmds = append(cmds, p.Init())
		}
	}
	m.applyFocus()
	cmds = append(cmds, m.setTabShown(m.active, true))
	return tea.Batch(cmds...)
}

// Update routes a message: global keys first (unless a pane is typing),
// then the focused pane for keys, every pane for everything else.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.BackgroundColorMsg:
		o := m.opts.Styles
		o.Dark = msg.IsDark()
		*m.common.Styles = *styles.New(o)
		return m, nil
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case tea.PasteMsg, tea.MouseMsg:
		// Input goes where the keyboard goes: a pasted pattern must not
		// also land in a hidden pane's filter box.
		if p := m.focused(); p != nil && !m.help {
			return m, p.Update(msg)
		}
		return m, nil
	case views.FlashMsg:
		return m, m.flash.set(msg.Level, msg.Text)
	case flashExpiredMsg:
		m.flash.expire(msg)
		return m, nil
	case writeAccessMsg:
		return m, m.writeAccessDone(msg)
	case pingTickMsg:
		return m, m.startPing()
	case pingResultMsg:
		return m, m.pingDone(msg)
	case views.RestoreBackupMsg:
		// The restore flow lives in the Invalidate pane: show it there.
		cmd := m.broadcast(msg)
		for i, t := range m.tabs {
			if t.Title == "Invalidate" {
				return m, tea.Batch(cmd, m.switchTab(i))
			}
		}
		return m, cmd
	case views.OpenKeyMsg:
		cmd := m.broadcast(msg)
		if msg.Focus {
			m.focusPane(1)
		}
		return m, cmd
	}
	return m, m.broadcast(msg)
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	km := m.common.Keys
	pane := m.focused()
	if key.Matches(msg, km.ForceQuit) {
		if cmd, interrupted := m.interruptRuns(); interrupted {
			return tea.Batch(cmd, m.flash.set(views.FlashWarn, "run cancelled — ctrl+c again to quit"))
		}
		return m.quit()
	}
	if m.help {
		if key.Matches(msg, km.Help, km.Back, km.Quit) {
			m.help = false
		}
		return nil
	}
	if pane != nil && pane.Capturing() {
		return pane.Update(msg)
	}
	switch {
	case key.Matches(msg, km.Quit):
		return m.quit()
	case key.Matches(msg, km.Help):
		m.help = true
		return nil
	case key.Matches(msg, km.NextFocus):
		m.focusPane(m.focus + 1)
		return nil
	case key.Matches(msg, km.PrevFocus):
		m.focusPane(m.focus - 1)
		return nil
	case key.Matches(msg, km.NextTab) && len(m.tabs) > 1:
		return m.switchTab(m.active + 1)
	case key.Matches(msg, km.PrevTab) && len(m.tabs) > 1:
		return m.switchTab(m.active - 1)
	case key.Matches(msg, km.GoTab) && int(msg.String()[0]-'1') < len(m.tabs):
		return m.switchTab(int(msg.String()[0] - '1'))
	}
	if pane != nil {
		return pane.Update(msg)
	}
	return nil
}

// broadcast gives a non-key message to every pane of every tab: panes
// recognise their own messages (each carries its owner and sequence).
func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, t := range m.tabs {
		for _, p := range t.Panes {
			if cmd := p.Update(msg); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	return tea.Batch(cmds...)
}

// interruptRuns cancels the mutation runs in progress in every pane of
// every tab (a run goes on when its tab is not shown), and reports whether
// there was one.
func (m *Model) interruptRuns() (tea.Cmd, bool) {
	var cmds []tea.Cmd
	interrupted := false
	for _, t := range m.tabs {
		for _, p := range t.Panes {
			if in, ok := p.(views.Interrupter); ok {
				cmd, ran := in.Interrupt()
				interrupted = interrupted || ran
				cmds = append(cmds, cmd)
			}
		}
	}
	return tea.Batch(cmds...), interrupted
}

// stopper is a pane with background work (a running scan) to cancel.
type stopper interface{ Stop() }

// quit ends the program; Run then stops the panes, which may wait for a
// run to write its outcome, with the terminal already given back.
func (m *Model) quit() tea.Cmd {
	return tea.Quit
}

// StopPanes cancels every pane's background work; Run calls it too, for
// exits that do not come through a key (Ctrl-C as a signal, a panic).
func (m *Model) StopPanes() {
	for _, t := range m.tabs {
		for _, p := range t.Panes {
			if s, ok := p.(stopper); ok {
				s.Stop()
			}
		}
	}
}

// exitReporter is a pane whose background runs, stopped by quitting,
// have an outcome to print once the screen is gone.
type exitReporter interface{ ExitReport() []string }

// ExitReport gathers those lines from every pane (after StopPanes).
func (m *Model) ExitReport() []string {
	var out []string
	for _, t := range m.tabs {
		for _, p := range t.Panes {
			if r, ok := p.(exitReporter); ok {
				out = append(out, r.ExitReport()...)
			}
		}
	}
	return out
}

func (m *Model) focused() views.Pane {
	if m.active >= len(m.tabs) || len(m.tabs[m.active].Panes) == 0 {
		return nil
	}
	return m.tabs[m.active].Panes[m.focus]
}

func (m *Model) focusPane(i int) {
	if m.active >= len(m.tabs) {
		return
	}
	n := len(m.tabs[m.active].Panes)
	if n == 0 {
		return
	}
	m.focus = ((i % n) + n) % n
	m.applyFocus()
}

// switchTab shows tab i: the panes of the tab left are told they are
// hidden (so they stop polling), then those of tab i, once sized, that
// they are shown.
func (m *Model) switchTab(i int) tea.Cmd {
	n := len(m.tabs)
	next := ((i % n) + n) % n
	if next == m.active {
		return nil
	}
	hide := m.setTabShown(m.active, false)
	m.active = next
	m.focus = 0
	m.applyFocus()
	m.layout()
	return tea.Batch(hide, m.setTabShown(m.active, true))
}

// setTabShown tells the panes of tab i that implement views.Shower whether
// they are shown.
func (m *Model) setTabShown(i int, shown bool) tea.Cmd {
	if i < 0 || i >= len(m.tabs) {
		return nil
	}
	var cmds []tea.Cmd
	for _, p := range m.tabs[i].Panes {
		if s, ok := p.(views.Shower); ok {
			cmds = append(cmds, s.SetShown(shown))
		}
	}
	return tea.Batch(cmds...)
}

func (m *Model) applyFocus() {
	for ti, t := range m.tabs {
		for pi, p := range t.Panes {
			p.SetFocused(ti == m.active && pi == m.focus)
		}
	}
}

func (m *Model) startPing() tea.Cmd {
	if m.health.inFlight || m.opts.Client == nil {
		return pingTick() // a probe never overlaps the previous one
	}
	m.health.inFlight = true
	return ping(m.opts.Client)
}

func (m *Model) pingDone(r pingResultMsg) tea.Cmd {
	m.health.inFlight = false
	cmds := []tea.Cmd{pingTick()}
	switch {
	case r.err != nil && m.health.connected:
		m.health.connected = false
		m.health.lastErr = redisops.Describe(r.err)
		cmds = append(cmds, m.flash.set(views.FlashError, "connection lost: "+m.health.lastErr+" — reconnecting"))
		cmds = append(cmds, m.broadcast(views.ConnLostMsg{Err: r.err}))
	case r.err != nil:
		m.health.lastErr = redisops.Describe(r.err)
	case !m.health.connected:
		m.health.connected = true
		m.health.lastErr = ""
		cmds = append(cmds, m.flash.set(views.FlashInfo, "reconnected"))
		cmds = append(cmds, m.broadcast(views.ConnRestoredMsg{}))
	}
	if r.err == nil {
		m.health.latency = r.latency
	}
	return tea.Batch(cmds...)
}
