// Package clients is the clients pane: CLIENT LIST of every node as a
// table, sortable, refreshed every few seconds while shown, with a kill
// behind a confirmation that is written to the audit log and never offered
// for the console's own connections.
package clients

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

const (
	// DefaultRefresh is how often the list is reloaded while shown.
	DefaultRefresh = 5 * time.Second
	loadTimeout    = 10 * time.Second
)

// seqs numbers panes and requests, process-wide, so that a message (the
// frame gives every message to every pane) is never taken for another
// pane's or an older request's.
var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

// Sort orders of the table; s cycles through them.
type Sort uint8

const (
	ByIdle Sort = iota // most idle first
	ByAge              // oldest first
	ByAddr             // address order
)

func (s Sort) String() string {
	switch s {
	case ByAge:
		return "age"
	case ByAddr:
		return "address"
	}
	return "idle"
}

type (
	loadedMsg struct {
		pane, seq uint64
		list      []redisops.ClientInfo
		own       map[int]bool
		err       error
		at        time.Time
	}
	killMsg struct {
		pane, seq uint64
		target    redisops.ClientInfo
		widgets.Audited
	}
)

// Model is the clients pane. It implements views.Pane.
type Model struct {
	c      *views.Common
	id     uint64
	width  int
	height int

	// Refresh is the reload interval while shown. Set it before Init.
	Refresh time.Duration

	loadSeq  uint64
	loaded   bool
	loadedAt time.Time // Common.Now, shown
	loads    int
	err      error
	list     []redisops.ClientInfo
	own      map[int]bool

	sort   Sort
	order  []int
	scroll widgets.Scroll // cursor and first shown row of the table

	confirm widgets.Confirm // the kill dialog
	killSeq uint64
	log     *audit.Log // never closed, like the inspector's: a mutation in flight at quit still writes its outcome

	poll widgets.Poller // reloads every Refresh while shown

	keys bindings
}

// New returns the pane; it loads the list once shown.
func New(c *views.Common) *Model {
	return &Model{c: c, id: nextSeq(), Refresh: DefaultRefresh, keys: newBindings(c)}
}

// Init asks nothing: CLIENT LIST grows with the number of connections
// (and holds the server while it runs), so it is first asked when the
// pane is shown.
func (m *Model) Init() tea.Cmd {
	if m.Refresh <= 0 {
		m.Refresh = DefaultRefresh
	}
	m.poll.Every = m.Refresh
	return nil
}

// SetShown implements views.Shower: shown, the pane loads the list at once and
// then every Refresh (widgets.Poller); hidden, it stops.
func (m *Model) SetShown(shown bool) tea.Cmd {
	if m.c.Client == nil {
		return nil
	}
	if start := m.poll.SetShown(shown); start != nil {
		return tea.Batch(m.autoLoad(), start)
	}
	return nil
}

func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(0, width), max(0, height)
	m.ensureVisible()
}

// SetFocused implements views.Pane: the pane looks the same either way.
func (m *Model) SetFocused(bool) {}

// Capturing is true while the kill dialog waits for its answer.
func (m *Model) Capturing() bool { return m.confirm.Active() }

// Accessors for tests.

func (m *Model) Clients() []redisops.ClientInfo { return m.list }
func (m *Model) Loaded() bool                   { return m.loaded }
func (m *Model) Loading() bool                  { return m.loadSeq != 0 }
func (m *Model) Killing() bool                  { return m.killSeq != 0 }
func (m *Model) Confirming() bool               { return m.confirm.Active() }
func (m *Model) Err() error                     { return m.err }
func (m *Model) SortOrder() Sort                { return m.sort }

// Own reports whether the client at index i of Clients is one of the
// console's own connections.
func (m *Model) Own(i int) bool { return m.own[i] }

// Selected is the client under the cursor and whether it is our own.
func (m *Model) Selected() (redisops.ClientInfo, bool, bool) {
	if m.scroll.Cursor < 0 || m.scroll.Cursor >= len(m.order) {
		return redisops.ClientInfo{}, false, false
	}
	i := m.order[m.scroll.Cursor]
	return m.list[i], m.own[i], true
}

func (m *Model) now() time.Time { return m.c.Clock()() }

// autoLoad is the refresh's load. It waits while the kill dialog is open,
// and a refused CLIENT LIST is not asked again on its own: every try would
// add a denial to the server's ACL LOG (r tries again).
func (m *Model) autoLoad() tea.Cmd {
	if m.confirm.Active() || m.refused() {
		return nil
	}
	return m.load()
}

func (m *Model) load() tea.Cmd {
	if m.loadSeq != 0 || m.c.Client == nil {
		return nil
	}
	m.loadSeq = nextSeq()
	pane, seq, c, now := m.id, m.loadSeq, m.c.Client, m.c.Clock()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		list, err := c.ClientList(ctx)
		return loadedMsg{pane: pane, seq: seq, list: list, own: ownClients(list, localSockets()), err: err, at: now()}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.pane != m.id || msg.seq != m.loadSeq {
			return nil
		}
		m.loadSeq = 0
		m.applyLoad(msg)
	case killMsg:
		if msg.pane != m.id || msg.seq != m.killSeq {
			return nil
		}
		m.killSeq = 0
		return m.killDone(msg)
	case widgets.PollMsg:
		if mine, next := m.poll.Next(msg); mine {
			return tea.Batch(m.autoLoad(), next)
		}
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.MouseWheelMsg:
		if d := widgets.WheelRows(msg); d != 0 {
			m.move(d)
		}
	case views.ConnRestoredMsg:
		if m.poll.Shown() {
			return m.load()
		}
	}
	return nil
}

func (m *Model) applyLoad(msg loadedMsg) {
	sel, _, hadSel := m.Selected()
	m.loaded, m.loadedAt = true, msg.at
	m.loads++
	m.list, m.own, m.err = msg.list, msg.own, msg.err
	m.resort()
	if hadSel {
		m.selectClient(sel.Node, sel.ID)
	}
	m.ensureVisible()
}

func (m *Model) resort() {
	m.order = m.order[:0]
	for i := range m.list {
		m.order = append(m.order, i)
	}
	l := m.list
	slices.SortStableFunc(m.order, func(a, b int) int {
		x, y := l[a], l[b]
		switch m.sort {
		case ByIdle:
			if x.Idle != y.Idle {
				return cmpDesc(int64(x.Idle), int64(y.Idle))
			}
		case ByAge:
			if x.Age != y.Age {
				return cmpDesc(int64(x.Age), int64(y.Age))
			}
		case ByAddr:
			if c := compareAddr(x.Addr, y.Addr); c != 0 {
				return c
			}
		}
		return 0 // ClientList's order: node, then id
	})
}

func cmpDesc(x, y int64) int {
	switch {
	case x > y:
		return -1
	case x < y:
		return 1
	}
	return 0
}

// compareAddr orders addresses by IP, then port as a number.
func compareAddr(a, b string) int {
	ea, okA := parseEndpoint(a)
	eb, okB := parseEndpoint(b)
	if !okA || !okB || ea.ip != eb.ip {
		return strings.Compare(a, b)
	}
	return ea.port - eb.port
}

func (m *Model) selectClient(node string, id int64) {
	for r, i := range m.order {
		if m.list[i].Node == node && m.list[i].ID == id {
			m.scroll.Cursor = r
			return
		}
	}
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if handled, cmd := m.confirm.Update(msg); handled {
		return cmd
	}
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Refresh):
		return m.load()
	case key.Matches(msg, m.keys.kill):
		return m.askKill()
	case key.Matches(msg, m.keys.sort):
		sel, _, ok := m.Selected()
		m.sort = (m.sort + 1) % 3
		m.resort()
		if ok {
			m.selectClient(sel.Node, sel.ID)
		}
		m.ensureVisible()
	default:
		if d, ok := widgets.Movement(msg, k, m.tableRows()); ok {
			m.move(d)
		}
	}
	return nil
}

func (m *Model) move(d int) {
	m.scroll.Move(d, len(m.order), m.tableRows())
}

func (m *Model) ensureVisible() { m.scroll.Clamp(len(m.order), m.tableRows()) }

// The kill: K opens the dialog naming the client, y kills, n or esc
// cancels.

func (m *Model) askKill() tea.Cmd {
	ci, own, ok := m.Selected()
	switch {
	case m.c.ReadOnly:
		return views.Flash(views.FlashWarn, "read-only session: clients cannot be killed")
	case !ok:
		return nil
	case own:
		return views.Flash(views.FlashWarn, "that is this console's own connection ("+decode.DisplayKey(ci.Addr)+"): not killed")
	case m.killSeq != 0:
		return views.Flash(views.FlashInfo, "a kill is already running")
	}
	m.confirm.Open(widgets.Question{
		Title: "kill client",
		Text:  killText(ci),
		Note:  "its connection closes at once (the app may reconnect); written to the audit log",
		Yes: func() tea.Cmd {
			m.killSeq = nextSeq()
			return killCmd(m.id, m.killSeq, m.c.Client, m.log, m.c.AuditFile(), m.c.Profile, ci)
		},
		No: func() tea.Cmd { return views.Flash(views.FlashInfo, "kill cancelled") },
	})
	return nil
}

// describe names a client for the dialog and the audit log.
func describe(ci redisops.ClientInfo) string {
	s := "id " + strconv.FormatInt(ci.ID, 10) + " addr " + decode.DisplayKey(ci.Addr)
	if ci.Name != "" {
		s += " name " + decode.DisplayKey(ci.Name)
	}
	if ci.User != "" && ci.User != "default" {
		s += " user " + decode.DisplayKey(ci.User)
	}
	return s + " on " + ci.Node
}

// killCmd writes the attempt to the audit log (a log that cannot be
// written stops the kill before it starts), kills, then writes the
// outcome.
func killCmd(pane, seq uint64, c *redisops.Client, log *audit.Log, path, profile string, target redisops.ClientInfo) tea.Cmd {
	return func() tea.Msg {
		entry := audit.Entry{Server: c.Addr, Profile: profile, Action: "client-kill", Target: describe(target)}
		return killMsg{pane: pane, seq: seq, target: target, Audited: widgets.RunAudited(log, path, entry, loadTimeout, func(ctx context.Context) error {
			return c.KillClient(ctx, target.Node, target.ID)
		})}
	}
}

func (m *Model) killDone(msg killMsg) tea.Cmd {
	if msg.Log != nil {
		m.log = msg.Log
	}
	who := decode.DisplayKey(msg.target.Addr)
	switch {
	case msg.Blocked != nil:
		return views.Flash(views.FlashError, "client NOT killed: cannot write the audit log: "+msg.Blocked.Error())
	case msg.Err != nil:
		return tea.Batch(views.Flash(views.FlashError, "kill "+who+" failed: "+msg.Err.Error()), m.load())
	case msg.AuditErr != nil:
		return tea.Batch(views.Flash(views.FlashWarn, "killed "+who+", but the outcome is not in the audit log: "+msg.AuditErr.Error()), m.load())
	}
	return tea.Batch(views.Flash(views.FlashInfo, fmt.Sprintf("killed client %d (%s)", msg.target.ID, who)), m.load())
}

// refused: the list could not be read because the server refused CLIENT
// LIST on every node that failed.
func (m *Model) refused() bool {
	var op *redisops.OpError
	return m.err != nil && len(m.list) == 0 && errors.As(m.err, &op) && op.Refused() != ""
}

// canKill: kills are offered in a read-write session once the list
// loaded; the footer leaves K out while the cursor is on our own
// connection.
func (m *Model) canKill() bool {
	return !m.c.ReadOnly && m.c.Client != nil && len(m.list) > 0
}

func (m *Model) canKillSelected() bool {
	_, own, ok := m.Selected()
	return m.canKill() && ok && !own
}

// ShortHelp implements views.Pane.
func (m *Model) ShortHelp() []key.Binding {
	if m.confirm.Active() {
		return m.confirm.Help()
	}
	h := []key.Binding{m.keys.sort, m.c.Keys.Refresh}
	if m.canKillSelected() {
		h = append(h, m.keys.kill)
	}
	return h
}

// FullHelp implements views.Pane.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	actions := []key.Binding{m.keys.sort, k.Refresh}
	if m.canKill() {
		actions = append(actions, m.keys.kill)
	}
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, actions}
}

type bindings struct {
	sort, kill key.Binding
}

func newBindings(*views.Common) bindings {
	return bindings{
		sort: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort idle/age/addr")),
		kill: key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "kill client…")),
	}
}
