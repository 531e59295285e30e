// Package stats is the live statistics pane: a poll of INFO every second
// (never two at once), PING latency over a window, five minutes of history
// as sparklines, every figure coloured against ColdCopy's targets, and the
// targets missed right now.
package stats

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

const (
	// DefaultInterval is how often the pane polls.
	DefaultInterval = time.Second
	// historySpan is how far back the sparklines reach.
	historySpan = 5 * time.Minute
	// pingsPerPoll PINGs go into the latency window on every poll: one
	// sample a second gives a p99 that is just the maximum for minutes.
	pingsPerPoll = 3
	// latencyWindow holds a minute of PINGs at the default interval.
	latencyWindow = 60 * pingsPerPoll
)

// seqs numbers panes and requests, process-wide: a message can never be
// taken for another pane's or an older request's (the frame broadcasts
// every message to every pane).
var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

// tickMsg asks the pane to poll; seq identifies the tick chain, so that a
// second chain (a restart) never doubles the polling rate.
type tickMsg struct{ pane, seq uint64 }

// PollMsg is one poll's result. Tests build one with Model.Inject to show
// a fixed report without Redis.
type PollMsg struct {
	pane, seq uint64
	injected  bool
	report    redisops.StatsReport
	pings     []time.Duration
	pingErr   error
	err       error
}

// Model is the stats pane. It implements views.Pane.
type Model struct {
	c       *views.Common
	id      uint64
	width   int
	height  int
	focused bool

	// Interval between polls; set it before Init.
	Interval time.Duration

	poller  *redisops.StatsPoller
	latency *redisops.LatencyWindow

	tickSeq uint64 // the live tick chain
	pollSeq uint64 // the poll in flight, 0 when none
	polls   int    // polls started
	skipped int    // ticks skipped because a poll was still running

	report     *redisops.StatsReport // last good report
	at         time.Time             // when it arrived (Common.Now)
	err        error                 // last poll's error, nil once one works again
	pingErr    error
	violations []redisops.Violation
	nodeViol   map[string][]redisops.Violation

	hist history

	offset int // first content line shown
	keys   bindings
}

// New returns the pane; Init starts polling.
func New(c *views.Common) *Model {
	return &Model{c: c, id: nextSeq(), Interval: DefaultInterval, keys: newBindings(c)}
}

// Init starts the tick chain and the first poll.
func (m *Model) Init() tea.Cmd {
	if m.Interval <= 0 {
		m.Interval = DefaultInterval
	}
	m.hist = newHistory(int(min(max(historySpan/m.Interval, 10), 3600)))
	if m.latency == nil {
		m.latency = redisops.NewLatencyWindow(latencyWindow)
	}
	if m.c.Client == nil {
		return nil
	}
	if m.poller == nil {
		m.poller = redisops.NewStatsPoller(m.c.Client)
	}
	m.tickSeq = nextSeq()
	return tea.Batch(m.startPoll(), m.tick())
}

func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(0, width), max(0, height)
	m.clampOffset()
}

func (m *Model) SetFocused(focused bool) { m.focused = focused }

// Capturing: the pane never takes text input.
func (m *Model) Capturing() bool { return false }

// Polling reports whether a poll is in flight.
func (m *Model) Polling() bool { return m.pollSeq != 0 }

// Polls is the number of polls started; Skipped the ticks that found a
// poll still running and started none.
func (m *Model) Polls() int   { return m.polls }
func (m *Model) Skipped() int { return m.skipped }

// Report is the last report received, nil before the first.
func (m *Model) Report() *redisops.StatsReport { return m.report }

// Violations are the targets missed in the last report.
func (m *Model) Violations() []redisops.Violation { return m.violations }

// Err is the last poll's error (nil when it worked).
func (m *Model) Err() error { return m.err }

// Inject builds a message that shows report (and adds pings to the
// latency window) as if a poll had returned it: tests and golden files use
// it to render fixed figures without Redis.
func (m *Model) Inject(report redisops.StatsReport, pings ...time.Duration) PollMsg {
	return PollMsg{pane: m.id, seq: nextSeq(), injected: true, report: report, pings: pings}
}

func (m *Model) tick() tea.Cmd {
	pane, seq := m.id, m.tickSeq
	return tea.Tick(m.Interval, func(time.Time) tea.Msg { return tickMsg{pane: pane, seq: seq} })
}

// startPoll starts a poll unless one is in flight: polls never overlap.
func (m *Model) startPoll() tea.Cmd {
	if m.pollSeq != 0 || m.c.Client == nil || m.poller == nil {
		return nil
	}
	m.pollSeq = nextSeq()
	m.polls++
	return pollCmd(m.id, m.pollSeq, m.poller, m.c.Client, max(5*time.Second, 3*m.Interval))
}

// pollCmd runs one poll: INFO on every node (the poller keeps the previous
// counters to compute rates), then a few PINGs for the latency window. It
// only touches what it was given, never the model.
func pollCmd(pane, seq uint64, p *redisops.StatsPoller, c *redisops.Client, timeout time.Duration) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		msg := PollMsg{pane: pane, seq: seq}
		msg.report, msg.err = p.Poll(ctx)
		if c.PingRefused {
			return msg
		}
		for range pingsPerPoll {
			d, err := c.Ping(ctx)
			if err != nil {
				msg.pingErr = err
				break
			}
			msg.pings = append(msg.pings, d)
		}
		return msg
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tickMsg:
		if msg.pane != m.id || msg.seq != m.tickSeq {
			return nil
		}
		if m.pollSeq != 0 {
			m.skipped++
			return m.tick()
		}
		if m.refused() {
			// INFO was refused: asking every second would only fill the
			// server's ACL LOG with denials. r tries again.
			return m.tick()
		}
		return tea.Batch(m.startPoll(), m.tick())
	case PollMsg:
		if msg.pane != m.id {
			return nil
		}
		if !msg.injected {
			if msg.seq != m.pollSeq {
				return nil
			}
			m.pollSeq = 0
		}
		return m.apply(msg)
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.MouseWheelMsg:
		if d := widgets.WheelRows(msg); d != 0 {
			m.scroll(d)
		}
	case views.ConnRestoredMsg:
		// The tick chain kept running; poll at once rather than wait.
		if !m.refused() {
			return m.startPoll()
		}
	}
	return nil
}

// apply takes a poll's result in.
func (m *Model) apply(msg PollMsg) tea.Cmd {
	var cmd tea.Cmd
	for _, d := range msg.pings {
		m.latency.Add(d)
	}
	m.pingErr = msg.pingErr
	if msg.err != nil {
		if m.err == nil && m.report != nil {
			// Say it once, when polling starts failing; the status line
			// keeps saying it after that.
			cmd = views.Flash(views.FlashWarn, "stats: poll failed: "+redisops.Describe(msg.err))
		}
		m.err = msg.err
		if len(msg.report.Nodes) == 0 {
			m.hist.push(point{ops: -1, hit: -1, mem: -1, lat: m.p99ms()})
			return cmd
		}
	} else {
		m.err = nil
	}
	r := msg.report
	m.report = &r
	m.at = m.now()
	p99 := m.p99()
	// The list is the whole report's (a cluster's memory per node: a sum
	// would hide one full node); the node rows are coloured against their
	// own figures (latency is measured once, for the whole server).
	m.violations = redisops.CheckReport(r, p99)
	m.nodeViol = map[string][]redisops.Violation{}
	if r.Cluster {
		for _, n := range r.Nodes {
			m.nodeViol[n.Node] = redisops.CheckTargets(n, 0)
		}
	}
	a := r.Aggregate
	if a.Unavailable["info"] != "" {
		m.hist.push(point{ops: -1, hit: -1, mem: -1, lat: m.p99ms()})
	} else {
		m.hist.push(point{ops: a.OpsPerSec, hit: a.HitRate, mem: float64(a.UsedMemory), lat: m.p99ms()})
	}
	m.clampOffset()
	return cmd
}

// refused: the last poll failed because the server refused INFO.
func (m *Model) refused() bool {
	var op *redisops.OpError
	return m.err != nil && errors.As(m.err, &op) && op.Refused() != ""
}

func (m *Model) p99() time.Duration {
	if m.latency == nil || m.latency.Len() == 0 {
		return 0
	}
	return m.latency.P99()
}

func (m *Model) p99ms() float64 {
	if m.latency == nil || m.latency.Len() == 0 {
		return -1
	}
	return float64(m.latency.P99()) / float64(time.Millisecond)
}

func (m *Model) now() time.Time { return m.c.Clock()() }

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Refresh):
		if m.pollSeq != 0 {
			return views.Flash(views.FlashInfo, "stats: a poll is already running")
		}
		return m.startPoll()
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
	n := len(m.content(max(m.width, 1)))
	m.offset = max(0, min(m.offset, n-m.bodyHeight()))
}

// bodyHeight is the content area: everything but the status line.
func (m *Model) bodyHeight() int { return max(0, m.height-1) }

// ShortHelp implements views.Pane.
func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.keys.scroll, m.keys.refresh}
}

// FullHelp implements views.Pane.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, {m.keys.refresh}}
}

type bindings struct {
	scroll, refresh key.Binding
}

func newBindings(c *views.Common) bindings {
	return bindings{
		scroll:  key.NewBinding(key.WithKeys(append(c.Keys.Up.Keys(), c.Keys.Down.Keys()...)...), key.WithHelp("↑↓", "scroll")),
		refresh: key.NewBinding(key.WithKeys(c.Keys.Refresh.Keys()...), key.WithHelp(c.Keys.Refresh.Help().Key, "poll now")),
	}
}
