// Package auditlog is the audit pane: the last entries of the audit log
// (what operators changed on servers, written by every mutation), newest
// first, as a table with a detail view of one entry. It reloads while
// shown; r reloads at once.
package auditlog

import (
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

const (
	// MaxEntries is how many of the log's last entries the pane lists.
	MaxEntries = 500
	// DefaultRefresh is how often the list is reloaded while shown.
	DefaultRefresh = 5 * time.Second
)

// seqs numbers panes and requests process-wide: the frame gives every
// message to every pane.
var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

type (
	loadedMsg struct {
		pane, seq uint64
		path      string
		entries   []audit.Entry // oldest first, as ReadTail gives them
		err       error
		at        time.Time
	}
)

// Model is the audit pane. It implements views.Pane.
type Model struct {
	c       *views.Common
	id      uint64
	width   int
	height  int
	focused bool

	// Refresh is the reload interval while shown. Set it before Init.
	Refresh time.Duration

	loadSeq  uint64
	loaded   bool
	path     string // the file last read
	err      error
	entries  []audit.Entry // newest first
	loadedAt time.Time     // Common.Now, shown

	cursor, offset int
	detail         bool
	detailTop      int

	poll widgets.Poller // reloads every Refresh while shown

	keys bindings
}

// New returns the pane; it loads the log once shown.
func New(c *views.Common) *Model {
	return &Model{c: c, id: nextSeq(), Refresh: DefaultRefresh, keys: newBindings(c)}
}

// Init reads nothing: the log is read when the pane is shown.
func (m *Model) Init() tea.Cmd {
	if m.Refresh <= 0 {
		m.Refresh = DefaultRefresh
	}
	m.poll.Every = m.Refresh
	return nil
}

// SetShown implements views.Shower: shown, the pane reads the log at once and
// then every Refresh (widgets.Poller); hidden, it stops.
func (m *Model) SetShown(shown bool) tea.Cmd {
	if start := m.poll.SetShown(shown); start != nil {
		return tea.Batch(m.load(), start)
	}
	return nil
}

func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(0, width), max(0, height)
	m.ensureVisible()
}

func (m *Model) SetFocused(focused bool) { m.focused = focused }

// Capturing: the pane never owns the keyboard.
func (m *Model) Capturing() bool { return false }

// Accessors for the frame and tests.

func (m *Model) Entries() []audit.Entry { return m.entries }
func (m *Model) Loaded() bool           { return m.loaded }
func (m *Model) Loading() bool          { return m.loadSeq != 0 }
func (m *Model) Err() error             { return m.err }
func (m *Model) InDetail() bool         { return m.detail }
func (m *Model) Cursor() int            { return m.cursor }

// Selected is the entry under the cursor.
func (m *Model) Selected() (audit.Entry, bool) {
	if m.cursor < 0 || m.cursor >= len(m.entries) {
		return audit.Entry{}, false
	}
	return m.entries[m.cursor], true
}

// load reads the log's tail in a command unless a read is running.
func (m *Model) load() tea.Cmd {
	if m.loadSeq != 0 {
		return nil
	}
	m.loadSeq = nextSeq()
	pane, seq, path, now := m.id, m.loadSeq, m.c.AuditFile(), m.clock()
	return func() tea.Msg {
		msg := loadedMsg{pane: pane, seq: seq, path: path}
		if path != "" {
			msg.entries, msg.err = audit.ReadTail(path, MaxEntries)
		}
		msg.at = now()
		return msg
	}
}

// clock is Common's clock (pinned in tests), by value for commands.
func (m *Model) clock() func() time.Time {
	if m.c.Now != nil {
		return m.c.Now
	}
	return time.Now
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.pane != m.id || msg.seq != m.loadSeq {
			return nil
		}
		m.loadSeq = 0
		m.apply(msg)
	case widgets.PollMsg:
		if mine, next := m.poll.Next(msg); mine {
			return tea.Batch(m.load(), next)
		}
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.MouseWheelMsg:
		if !m.focused {
			return nil
		}
		if d := widgets.WheelRows(msg); d != 0 {
			m.move(d)
		}
	}
	return nil
}

// identity tells an entry apart from its neighbours across reloads.
func identity(e audit.Entry) string {
	return e.Time.String() + "\x00" + e.Action + "\x00" + e.Outcome + "\x00" + e.Key + "\x00" + e.Server
}

func (m *Model) apply(msg loadedMsg) {
	sel, hadSel := m.Selected()
	m.loaded, m.path, m.err, m.loadedAt = true, msg.path, msg.err, msg.at
	if msg.err != nil && len(msg.entries) == 0 && len(m.entries) > 0 {
		return // keep what is shown; the status line says the read failed
	}
	n := len(msg.entries)
	m.entries = make([]audit.Entry, n)
	for i, e := range msg.entries {
		m.entries[n-1-i] = e
	}
	m.cursor = 0
	if hadSel {
		id := identity(sel)
		for i := range m.entries {
			if identity(m.entries[i]) == id {
				m.cursor = i
				break
			}
		}
	}
	if m.detail && len(m.entries) == 0 {
		m.detail = false
	}
	m.ensureVisible()
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Refresh):
		return m.load()
	case m.detail:
		m.detailKey(msg)
	case key.Matches(msg, k.Open):
		if _, ok := m.Selected(); ok {
			m.detail, m.detailTop = true, 0
		}
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.PageUp):
		m.move(-max(1, m.tableRows()))
	case key.Matches(msg, k.PageDown):
		m.move(max(1, m.tableRows()))
	case key.Matches(msg, k.Home):
		m.move(-len(m.entries))
	case key.Matches(msg, k.End):
		m.move(len(m.entries))
	}
	return nil
}

func (m *Model) detailKey(msg tea.KeyPressMsg) {
	k := m.c.Keys
	if key.Matches(msg, k.Back, k.Open) {
		m.detail = false
	} else if d, ok := widgets.Movement(msg, k, m.height-2); ok {
		m.detailTop = min(widgets.Far, max(0, m.detailTop+d)) // the view clamps the end
	}
}

func (m *Model) move(d int) {
	if m.detail {
		m.detailTop = max(0, m.detailTop+d)
		return
	}
	if len(m.entries) == 0 {
		return
	}
	m.cursor = min(max(m.cursor+d, 0), len(m.entries)-1)
	m.ensureVisible()
}

// tableRows is the number of entry rows: all but the header and status.
func (m *Model) tableRows() int { return max(0, m.height-2) }

func (m *Model) ensureVisible() {
	h := m.tableRows()
	m.cursor = min(max(m.cursor, 0), max(len(m.entries)-1, 0))
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if h > 0 && m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	m.offset = max(0, min(m.offset, len(m.entries)-h))
}

// ShortHelp implements views.Pane.
func (m *Model) ShortHelp() []key.Binding {
	if m.detail {
		return []key.Binding{m.keys.scroll, m.keys.back, m.c.Keys.Refresh}
	}
	return []key.Binding{m.keys.open, m.c.Keys.Refresh}
}

// FullHelp implements views.Pane.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{m.keys.open, m.keys.back, k.Refresh},
	}
}

type bindings struct{ open, back, scroll key.Binding }

func newBindings(c *views.Common) bindings {
	return bindings{
		open:   key.NewBinding(key.WithKeys(c.Keys.Open.Keys()...), key.WithHelp(c.Keys.Open.Help().Key, "full entry")),
		back:   key.NewBinding(key.WithKeys(c.Keys.Back.Keys()...), key.WithHelp(c.Keys.Back.Help().Key, "back to list")),
		scroll: key.NewBinding(key.WithKeys(append(c.Keys.Up.Keys(), c.Keys.Down.Keys()...)...), key.WithHelp("↑↓", "scroll")),
	}
}
