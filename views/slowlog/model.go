// Package slowlog is the slow log pane: SLOWLOG GET of every node as a
// table sortable by time or duration, a detail view of one entry with its
// (redacted) arguments shown safely, the latency monitor's latest spikes,
// and a reset behind a confirmation that is written to the audit log.
package slowlog

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

const (
	// fetchCount is how many entries SLOWLOG GET asks each node for.
	fetchCount  = redisops.MaxSlowLogCount
	loadTimeout = 10 * time.Second
	// staleAfter: shown again after this long, the pane reloads.
	staleAfter = 5 * time.Second
)

// seqs numbers panes and requests, process-wide, so that a message (the
// frame gives every message to every pane) is never taken for another
// pane's or an older request's.
var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

// Sort orders of the table.
type Sort uint8

const (
	ByTime     Sort = iota // newest first
	ByDuration             // slowest first
)

func (s Sort) String() string {
	if s == ByDuration {
		return "duration"
	}
	return "time"
}

// Messages the pane sends itself; each carries the pane's id and the
// request's sequence number.
type (
	loadedMsg struct {
		pane, seq  uint64
		entries    []redisops.SlowEntry
		err        error
		events     []redisops.LatencyEvent
		latErr     error
		threshold  string // latency-monitor-threshold, "" when unknown
		thrWhy     string // why it is unknown
		thrRefused bool   // CONFIG GET was refused: not asked again
		nodes      int
		at         time.Time
	}
	resetMsg struct {
		pane, seq uint64
		widgets.Audited
	}
)

// Model is the slow log pane. It implements views.Pane.
type Model struct {
	c      *views.Common
	id     uint64
	width  int
	height int

	loadSeq    uint64 // the load in flight, 0 when none
	loaded     bool
	loadedAt   time.Time // Common.Now, shown
	lastReal   time.Time // wall clock, for staleness
	err        error
	entries    []redisops.SlowEntry
	events     []redisops.LatencyEvent
	latErr     error
	thr        string
	thrWhy     string
	thrRefused bool
	nodes      int

	sort   Sort
	order  []int          // indices into entries, in display order
	scroll widgets.Scroll // cursor and first shown row of the table

	detail    bool
	detailTop int

	confirm  widgets.Confirm // the reset dialog
	resetSeq uint64          // the reset in flight, 0 when none
	log      *audit.Log      // never closed, like the inspector's: a mutation in flight at quit still writes its outcome

	keys bindings
}

// New returns the pane; Init loads the slow log.
func New(c *views.Common) *Model {
	return &Model{c: c, id: nextSeq(), keys: newBindings(c), nodes: 1}
}

// Init loads the slow log (one SLOWLOG GET per node: cheap).
func (m *Model) Init() tea.Cmd {
	return m.load()
}

// SetShown implements views.Shower: shown again, the pane reloads what it
// loaded more than staleAfter ago. It never polls, so hiding it stops
// nothing.
func (m *Model) SetShown(shown bool) tea.Cmd {
	// Wall time, not Common.Now (tests pin that clock).
	if !shown || (m.loaded && time.Since(m.lastReal) < staleAfter) || m.unavailable() {
		return nil
	}
	return m.load()
}

func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(0, width), max(0, height)
	m.ensureVisible()
}

// SetFocused implements views.Pane: the pane looks the same either way.
func (m *Model) SetFocused(bool) {}

// Capturing is true while the confirmation dialog waits for its answer:
// every key goes to it.
func (m *Model) Capturing() bool { return m.confirm.Active() }

// Accessors for the frame and tests.

func (m *Model) Entries() []redisops.SlowEntry { return m.entries }
func (m *Model) Loading() bool                 { return m.loadSeq != 0 }
func (m *Model) Loaded() bool                  { return m.loaded }
func (m *Model) Err() error                    { return m.err }
func (m *Model) SortOrder() Sort               { return m.sort }
func (m *Model) InDetail() bool                { return m.detail }
func (m *Model) Confirming() bool              { return m.confirm.Active() }
func (m *Model) Resetting() bool               { return m.resetSeq != 0 }

// Selected is the entry under the cursor.
func (m *Model) Selected() (redisops.SlowEntry, bool) {
	if m.scroll.Cursor < 0 || m.scroll.Cursor >= len(m.order) {
		return redisops.SlowEntry{}, false
	}
	return m.entries[m.order[m.scroll.Cursor]], true
}

// load starts SLOWLOG GET (and LATENCY LATEST) unless a load is running.
func (m *Model) load() tea.Cmd {
	if m.loadSeq != 0 || m.c.Client == nil {
		return nil
	}
	m.loadSeq = nextSeq()
	pane, seq, c, now := m.id, m.loadSeq, m.c.Client, m.c.Clock()
	askThr, thrWhy := !m.thrRefused, m.thrWhy
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		msg := loadedMsg{pane: pane, seq: seq}
		msg.entries, msg.err = c.SlowLog(ctx, fetchCount)
		msg.events, msg.latErr = c.LatencyLatest(ctx)
		msg.nodes, msg.threshold, msg.thrWhy, msg.thrRefused = probeNodes(ctx, c, askThr)
		if !askThr {
			msg.thrWhy, msg.thrRefused = thrWhy, true
		}
		msg.at = now()
		return msg
	}
}

// probeNodes counts the nodes a reset would touch and, when askThr, reads
// the latency monitor's threshold on the first (an empty LATENCY LATEST
// means "off" only when the threshold is 0). CONFIG is often renamed away
// or denied: a refusal is remembered, so that every reload does not add a
// denial to the server's ACL LOG.
func probeNodes(ctx context.Context, c *redisops.Client, askThr bool) (nodes int, threshold, why string, refused bool) {
	var n atomic.Int32
	var first atomic.Pointer[redis.Client]
	_ = c.ForEachNode(ctx, func(_ context.Context, node *redis.Client) error {
		n.Add(1)
		first.CompareAndSwap(nil, node)
		return nil
	})
	nodes = max(int(n.Load()), 1)
	node := first.Load()
	if node == nil || !askThr {
		return nodes, "", "no node", false
	}
	v, err := node.ConfigGet(ctx, "latency-monitor-threshold").Result()
	switch {
	case err != nil:
		return nodes, "", "CONFIG GET " + redisops.Describe(err), redisops.IsRefusal(err)
	case v["latency-monitor-threshold"] == "":
		return nodes, "", "CONFIG GET gave no value", false
	}
	return nodes, v["latency-monitor-threshold"], "", false
}

func (m *Model) now() time.Time { return m.c.Clock()() }

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.pane != m.id || msg.seq != m.loadSeq {
			return nil
		}
		m.loadSeq = 0
		m.applyLoad(msg)
	case resetMsg:
		if msg.pane != m.id || msg.seq != m.resetSeq {
			return nil
		}
		m.resetSeq = 0
		return m.resetDone(msg)
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.MouseWheelMsg:
		if d := widgets.WheelRows(msg); d != 0 {
			m.move(d)
		}
	case views.ConnRestoredMsg:
		if m.err != nil && !redisops.IsRefusal(m.err) {
			return m.load()
		}
	}
	return nil
}

func (m *Model) applyLoad(msg loadedMsg) {
	sel, hadSel := m.Selected()
	m.loaded, m.loadedAt, m.lastReal = true, msg.at, time.Now()
	m.entries, m.err = msg.entries, msg.err
	m.events, m.latErr = msg.events, msg.latErr
	m.thr, m.thrWhy, m.thrRefused = msg.threshold, msg.thrWhy, msg.thrRefused
	m.nodes = max(msg.nodes, 1)
	m.resort()
	m.scroll.Cursor = 0
	if hadSel {
		m.selectEntry(sel.Node, sel.ID)
	}
	if m.detail {
		if _, ok := m.Selected(); !ok {
			m.detail = false
		}
	}
	m.ensureVisible()
}

// resort orders the table: newest first, or slowest first (ties newest
// first).
func (m *Model) resort() {
	m.order = m.order[:0]
	for i := range m.entries {
		m.order = append(m.order, i)
	}
	e := m.entries
	slices.SortStableFunc(m.order, func(a, b int) int {
		if m.sort == ByDuration && e[a].Duration != e[b].Duration {
			if e[a].Duration > e[b].Duration {
				return -1
			}
			return 1
		}
		switch {
		case e[a].Time.After(e[b].Time):
			return -1
		case e[a].Time.Before(e[b].Time):
			return 1
		}
		return 0 // SlowLog's own order: node, then id
	})
}

func (m *Model) selectEntry(node string, id int64) {
	for r, i := range m.order {
		if m.entries[i].Node == node && m.entries[i].ID == id {
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
		if m.loadSeq != 0 {
			return nil
		}
		return m.load()
	case key.Matches(msg, m.keys.reset):
		return m.askReset()
	case m.detail:
		return m.detailKey(msg)
	case key.Matches(msg, m.keys.sort):
		sel, ok := m.Selected()
		if m.sort == ByTime {
			m.sort = ByDuration
		} else {
			m.sort = ByTime
		}
		m.resort()
		if ok {
			m.selectEntry(sel.Node, sel.ID)
		}
		m.ensureVisible()
	case key.Matches(msg, k.Open):
		if _, ok := m.Selected(); ok {
			m.detail, m.detailTop = true, 0
		}
	default:
		if d, ok := widgets.Movement(msg, k, m.tableRows()); ok {
			m.move(d)
		}
	}
	return nil
}

func (m *Model) detailKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	if key.Matches(msg, k.Back, k.Open) {
		m.detail = false
	} else if d, ok := widgets.Movement(msg, k, m.height-2); ok {
		m.detailTop = min(widgets.Far, max(0, m.detailTop+d)) // the view clamps the end
	}
	return nil
}

func (m *Model) move(d int) {
	if m.detail {
		m.detailTop = max(0, m.detailTop+d)
		return
	}
	m.scroll.Move(d, len(m.order), m.tableRows())
}

func (m *Model) ensureVisible() { m.scroll.Clamp(len(m.order), m.tableRows()) }

// The reset: R opens the dialog, y resets, n or esc cancels.

func (m *Model) askReset() tea.Cmd {
	switch {
	case m.c.ReadOnly:
		return views.Flash(views.FlashWarn, "read-only session: the slow log cannot be reset")
	case m.c.Client == nil:
		return nil
	case m.resetSeq != 0:
		return views.Flash(views.FlashInfo, "a reset is already running")
	case m.unavailable():
		return views.Flash(views.FlashWarn, "slow log "+unavailable(m.err))
	}
	m.confirm.Open(widgets.Question{
		Title: "reset slow log",
		Text:  fmt.Sprintf("Reset the slow log on %d node(s)?", m.nodes),
		Note:  "the reset is written to the audit log",
		Yes: func() tea.Cmd {
			m.resetSeq = nextSeq()
			return resetCmd(m.id, m.resetSeq, m.c.Client, m.log, m.c.AuditFile(), m.c.Profile, m.nodes)
		},
		No: func() tea.Cmd { return views.Flash(views.FlashInfo, "slow log reset cancelled") },
	})
	return nil
}

// resetCmd writes the attempt to the audit log (a log that cannot be
// written stops the reset before it starts), resets every node, then
// writes the outcome.
func resetCmd(pane, seq uint64, c *redisops.Client, log *audit.Log, path, profile string, nodes int) tea.Cmd {
	return func() tea.Msg {
		entry := audit.Entry{
			Server: c.Addr, Profile: profile, Action: "slowlog-reset",
			Target: strconv.Itoa(nodes) + " node(s)",
		}
		return resetMsg{pane: pane, seq: seq, Audited: widgets.RunAudited(log, path, entry, loadTimeout, c.SlowLogReset)}
	}
}

func (m *Model) resetDone(msg resetMsg) tea.Cmd {
	if msg.Log != nil {
		m.log = msg.Log
	}
	switch {
	case msg.Blocked != nil:
		return views.Flash(views.FlashError, "slow log NOT reset: cannot write the audit log: "+msg.Blocked.Error())
	case msg.Err != nil:
		return tea.Batch(views.Flash(views.FlashError, "slow log reset failed: "+msg.Err.Error()), m.load())
	case msg.AuditErr != nil:
		return tea.Batch(views.Flash(views.FlashWarn, "slow log reset, but its outcome is not in the audit log: "+msg.AuditErr.Error()), m.load())
	}
	return tea.Batch(views.Flash(views.FlashInfo, "slow log reset on "+nodesText(m.nodes)), m.load())
}

// unavailable: the server refused SLOWLOG outright (renamed, blocked,
// denied): a reset would be refused too, so it is not offered.
func (m *Model) unavailable() bool {
	return m.err != nil && len(m.entries) == 0 && refused(m.err)
}

// canReset: the reset is offered only in a read-write session, on a
// server that lets this user read the slow log.
func (m *Model) canReset() bool {
	return !m.c.ReadOnly && m.c.Client != nil && !m.unavailable()
}

func nodesText(n int) string {
	if n == 1 {
		return "1 node"
	}
	return strconv.Itoa(n) + " nodes"
}

// ShortHelp implements views.Pane.
func (m *Model) ShortHelp() []key.Binding {
	if m.confirm.Active() {
		return m.confirm.Help()
	}
	k := m.c.Keys
	if m.detail {
		return []key.Binding{m.keys.scroll, m.keys.back, k.Refresh}
	}
	h := []key.Binding{m.keys.open, m.keys.sort, k.Refresh}
	if m.canReset() {
		h = append(h, m.keys.reset)
	}
	return h
}

// FullHelp implements views.Pane.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	actions := []key.Binding{m.keys.open, m.keys.back, m.keys.sort, k.Refresh}
	if m.canReset() {
		actions = append(actions, m.keys.reset)
	}
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, actions}
}

type bindings struct {
	sort, reset, open, back, scroll key.Binding
}

func newBindings(c *views.Common) bindings {
	return bindings{
		sort:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort time/duration")),
		reset:  key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "reset slow log…")),
		open:   key.NewBinding(key.WithKeys(c.Keys.Open.Keys()...), key.WithHelp(c.Keys.Open.Help().Key, "details")),
		back:   key.NewBinding(key.WithKeys(c.Keys.Back.Keys()...), key.WithHelp(c.Keys.Back.Help().Key, "back to list")),
		scroll: key.NewBinding(key.WithKeys(append(c.Keys.Up.Keys(), c.Keys.Down.Keys()...)...), key.WithHelp("↑↓", "scroll")),
	}
}
