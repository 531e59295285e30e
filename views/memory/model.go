// Package memory is the memory pane: what the server says about its
// memory (INFO memory, MEMORY STATS, MEMORY DOCTOR) and, on demand, a
// breakdown by key prefix (sampled or exact) that streams its progress,
// is paced by a Governor so the application keeps its latency, and can be
// cancelled at any time.
package memory

import (
	"context"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

const (
	// SampleFraction is what b measures: 1 % of the keys, by hash.
	SampleFraction = 0.01
	// GovernorBudget is the p99 PING latency a breakdown keeps the server
	// under: the response-time target of the operations doc.
	GovernorBudget = 5 * time.Millisecond
	minDepth       = 1
	maxDepth       = 4
	factsTimeout   = 10 * time.Second
	// staleAfter: shown again after this long, the pane reloads its facts.
	staleAfter = 5 * time.Second
)

// seqs numbers panes and requests, process-wide, so that a message (the
// frame gives every message to every pane) is never taken for another
// pane's or an older request's.
var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

// Section is what the pane shows; v cycles through them.
type Section uint8

const (
	SectionFacts      Section = iota // INFO memory, MEMORY STATS, MEMORY DOCTOR
	SectionNamespaces                // the breakdown per prefix
	SectionTopKeys                   // the biggest keys
)

type (
	factsMsg struct {
		pane, seq uint64
		facts     *redisops.MemoryFacts
		err       error
		at        time.Time
	}
	// progressMsg streams a running breakdown's progress with the
	// governor's state read at the same moment.
	progressMsg struct {
		pane, job uint64
		p         redisops.MemoryProgress
		p99       time.Duration
		pause     time.Duration
	}
	doneMsg struct {
		pane, job uint64
		report    *redisops.MemoryReport
		err       error
		p99       time.Duration
		pause     time.Duration
	}
)

// Model is the memory pane. It implements views.Pane.
type Model struct {
	c      *views.Common
	id     uint64
	width  int
	height int

	factsSeq    uint64
	factsLoaded bool
	factsAt     time.Time // Common.Now, shown
	factsReal   time.Time // wall clock, for staleness
	facts       *redisops.MemoryFacts
	factsErr    error

	// The breakdown.
	job      *memJob
	exact    bool // of the running or last breakdown
	depth    int
	progress redisops.MemoryProgress
	govP99   time.Duration
	govPause time.Duration
	report   *redisops.MemoryReport
	repErr   error
	ran      bool // a breakdown was asked for at least once

	section  Section
	byLength bool // top keys by element count instead of bytes
	offset   int  // scroll of the section

	keys bindings
}

// New returns the pane; Init loads the memory facts (no breakdown runs
// until asked).
func New(c *views.Common) *Model {
	return &Model{c: c, id: nextSeq(), depth: minDepth, keys: newBindings()}
}

// Init loads the facts (three cheap commands per node).
func (m *Model) Init() tea.Cmd {
	return m.loadFacts()
}

// SetShown implements views.Shower: shown again, the pane reloads facts
// loaded more than staleAfter ago. A running breakdown goes on while the
// pane is hidden: the operator asked for it and comes back for its result.
func (m *Model) SetShown(shown bool) tea.Cmd {
	// Wall time, not Common.Now (tests pin that clock).
	if !shown || (m.factsLoaded && time.Since(m.factsReal) < staleAfter) {
		return nil
	}
	return m.loadFacts()
}

// Stop cancels a running breakdown (the frame calls it on quit).
func (m *Model) Stop() {
	if m.job != nil {
		m.job.stop()
		m.job = nil
	}
}

func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(0, width), max(0, height)
	m.clampOffset()
}

// SetFocused implements views.Pane: the pane looks the same either way.
func (m *Model) SetFocused(bool) {}

// Capturing: the pane takes no text input.
func (m *Model) Capturing() bool { return false }

// Accessors for tests.

func (m *Model) Facts() *redisops.MemoryFacts   { return m.facts }
func (m *Model) FactsLoaded() bool              { return m.factsLoaded }
func (m *Model) Running() bool                  { return m.job != nil }
func (m *Model) Report() *redisops.MemoryReport { return m.report }
func (m *Model) Err() error                     { return m.repErr }
func (m *Model) Depth() int                     { return m.depth }
func (m *Model) Section() Section               { return m.section }
func (m *Model) Progress() redisops.MemoryProgress {
	return m.progress
}

func (m *Model) now() time.Time { return m.c.Clock()() }

func (m *Model) loadFacts() tea.Cmd {
	if m.factsSeq != 0 || m.c.Client == nil {
		return nil
	}
	m.factsSeq = nextSeq()
	pane, seq, c, now := m.id, m.factsSeq, m.c.Client, m.c.Clock()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), factsTimeout)
		defer cancel()
		f, err := c.MemoryFacts(ctx)
		return factsMsg{pane: pane, seq: seq, facts: f, err: err, at: now()}
	}
}

// startBreakdown cancels a running breakdown and starts one at the
// current depth.
func (m *Model) startBreakdown(exact bool) tea.Cmd {
	if m.c.Client == nil {
		return nil
	}
	m.Stop()
	m.exact, m.ran = exact, true
	m.progress = redisops.MemoryProgress{Total: -1}
	m.govP99, m.govPause = 0, 0
	m.repErr = nil
	o := redisops.MemoryOptions{Depth: m.depth, Exact: exact}
	if !exact {
		o.Sample = SampleFraction
	}
	m.job = startJob(m.c.Client, m.id, nextSeq(), o)
	if m.section == SectionFacts {
		m.section, m.offset = SectionNamespaces, 0
	}
	return m.job.Wait()
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case factsMsg:
		if msg.pane != m.id || msg.seq != m.factsSeq {
			return nil
		}
		m.factsSeq = 0
		m.factsLoaded, m.factsAt, m.factsReal = true, msg.at, time.Now()
		m.facts, m.factsErr = msg.facts, msg.err
		m.clampOffset()
	case progressMsg:
		if msg.pane != m.id || m.job == nil || msg.job != m.job.ID {
			return nil
		}
		m.progress, m.govP99, m.govPause = msg.p, msg.p99, msg.pause
		return m.job.Wait()
	case doneMsg:
		if msg.pane != m.id || m.job == nil || msg.job != m.job.ID {
			return nil
		}
		m.job.stop()
		m.job = nil
		m.govP99, m.govPause = msg.p99, msg.pause
		m.repErr = msg.err
		if msg.report != nil {
			m.report = msg.report
			m.progress.Scanned = msg.report.ScannedKeys
			m.progress.Measured = msg.report.MeasuredKeys
			m.progress.Elapsed = msg.report.Duration
		}
		m.clampOffset()
		if msg.err != nil {
			return views.Flash(views.FlashError, "memory breakdown failed: "+redisops.Describe(msg.err))
		}
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.MouseWheelMsg:
		if d := widgets.WheelRows(msg); d != 0 {
			m.scroll(d)
		}
	case views.ConnRestoredMsg:
		if m.factsErr != nil {
			return m.loadFacts()
		}
	}
	return nil
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, m.keys.sampled):
		return m.startBreakdown(false)
	case key.Matches(msg, m.keys.exact):
		return m.startBreakdown(true)
	case key.Matches(msg, m.keys.cancel) && m.job != nil:
		// The walk stops; the partial report comes back as a doneMsg.
		m.job.RequestCancel()
		return views.Flash(views.FlashInfo, "memory breakdown cancelled")
	case key.Matches(msg, m.keys.deeper), key.Matches(msg, m.keys.shallower):
		d := m.depth + 1
		if key.Matches(msg, m.keys.shallower) {
			d = m.depth - 1
		}
		d = min(max(d, minDepth), maxDepth)
		if d == m.depth {
			return nil
		}
		m.depth = d
		if m.job != nil || m.report != nil {
			// Prefixes are grouped during the walk: a new depth needs a new one.
			return m.startBreakdown(m.exact)
		}
	case key.Matches(msg, m.keys.section):
		m.section = (m.section + 1) % 3
		m.offset = 0
	case key.Matches(msg, m.keys.topMode):
		m.byLength = !m.byLength
		if m.section != SectionTopKeys {
			m.section = SectionTopKeys
		}
		m.offset = 0
	case key.Matches(msg, k.Refresh):
		return m.loadFacts()
	default:
		if d, ok := widgets.Movement(msg, k, m.bodyHeight()-1); ok {
			m.scroll(d)
		}
	}
	return nil
}

func (m *Model) scroll(d int) {
	m.offset += d
	m.clampOffset()
}

func (m *Model) clampOffset() {
	n := len(m.sectionLines(max(m.width, 1)))
	m.offset = max(0, min(m.offset, n-m.bodyHeight()))
}

// bodyHeight: all but the section strip and the status line.
func (m *Model) bodyHeight() int { return max(0, m.height-2) }

// ShortHelp implements views.Pane.
func (m *Model) ShortHelp() []key.Binding {
	h := []key.Binding{m.keys.sampledShort, m.keys.exactShort}
	if m.job != nil {
		h = append(h, m.keys.cancel)
	}
	h = append(h, m.keys.section)
	if m.section == SectionTopKeys {
		h = append(h, m.keys.topMode)
	}
	return append(h, m.keys.depth)
}

// FullHelp implements views.Pane.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{m.keys.sampled, m.keys.exact, m.keys.cancel, m.keys.deeper, m.keys.shallower},
		{m.keys.section, m.keys.topMode, m.keys.refresh},
	}
}

type bindings struct {
	sampled, exact, cancel, deeper, shallower, depth, section, topMode, refresh key.Binding
	sampledShort, exactShort                                                    key.Binding // the footer's shorter words
}

func newBindings() bindings {
	return bindings{
		sampled:      key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "breakdown (1% sample)")),
		exact:        key.NewBinding(key.WithKeys("B"), key.WithHelp("B", "breakdown (exact)")),
		sampledShort: key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "sample")),
		exactShort:   key.NewBinding(key.WithKeys("B"), key.WithHelp("B", "exact")),
		cancel:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel breakdown")),
		deeper:       key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "deeper prefixes")),
		shallower:    key.NewBinding(key.WithKeys("-", "_"), key.WithHelp("-", "shallower prefixes")),
		depth:        key.NewBinding(key.WithKeys("+", "-"), key.WithHelp("+/-", "depth")),
		section:      key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "next view")),
		topMode:      key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "by bytes/elements")),
		refresh:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload facts")),
	}
}
