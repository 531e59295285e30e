// Package cluster is the Cluster tab: the account's DigitalOcean managed
// Redis/Valkey clusters, one cluster's details, its eviction policy, and
// the resize wizard (sizes on offer with their fit against the live memory
// of the connected cluster and their monthly cost, typed confirmation,
// then the status polled until online, with the cache's PING latency).
// Without a token the tab says why it is empty. Every API call is a
// tea.Cmd (cmds.go).
package cluster

import (
	"fmt"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/dobackend"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// DefaultPoll is how often the status is read while a resize runs (doctl
// --wait polls every 10 s too).
const DefaultPoll = 10 * time.Second

// WatchBound stops the wait (not the resize) after this long.
const WatchBound = 45 * time.Minute

var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

type mode int

const (
	modeList mode = iota
	modeDetail
	modeWizard   // choosing a size
	modeEviction // choosing a policy
	modeConfirm  // typing the cluster's name
	modeWatch    // resize accepted, polling
)

// sizeRow is one choice of the wizard.
type sizeRow struct {
	plan dobackend.Plan
	fit  *dobackend.Fit // nil without live memory
}

// Model is the Cluster pane. It implements views.Pane.
type Model struct {
	c           *views.Common
	dc          *dobackend.Client
	unavailable string // why there is no client (no token…)
	id          uint64
	width       int
	height      int
	focused     bool
	// PollEvery is the status poll while resizing; set before Init.
	PollEvery time.Duration
	// Prices is the table the wizard shows (dobackend.Prices by default).
	Prices dobackend.PriceTable

	mode     mode
	loading  bool
	loaded   bool
	err      error
	clusters []dobackend.Cluster
	cursor   widgets.Scroll

	detail    *dobackend.Cluster
	eviction  string
	firewall  []dobackend.FirewallRule
	partial   map[string]string
	liveUse   *redisops.MemoryUse // used memory of the cluster, when connected to it
	detailErr error

	options *dobackend.SizeOptions
	use     *redisops.MemoryUse
	useErr  error
	rows    []sizeRow
	choice  widgets.Scroll
	message string // the wizard's last refusal, shown under the list

	policyPick widgets.Scroll
	pending    func() tea.Cmd // what the confirmation runs
	pendingWhy string         // what it does, shown above the input
	preview    []string
	input      widgets.Input
	confirmErr string

	// The resize being watched.
	watchSeq     uint64
	watchFrom    dobackend.Plan
	watchTo      dobackend.Plan
	watchStart   time.Time
	watchStatus  *dobackend.Cluster
	watchPing    string
	watchErr     string
	watchDone    bool
	watchStopped bool
	watchEntry   audit.Entry
}

// New returns the pane. dc is nil when no token is configured; unavailable
// then says why, and the pane shows it.
func New(c *views.Common, dc *dobackend.Client, unavailable string) *Model {
	if dc == nil && unavailable == "" {
		unavailable = dobackend.ErrNoToken.Error()
	}
	return &Model{c: c, dc: dc, unavailable: unavailable, id: nextSeq(), PollEvery: DefaultPoll, Prices: dobackend.Prices}
}

func (m *Model) Init() tea.Cmd {
	if m.PollEvery <= 0 {
		m.PollEvery = DefaultPoll
	}
	return nil
}

// SetShown loads the list the first time the tab is shown.
func (m *Model) SetShown(shown bool) tea.Cmd {
	if !shown || m.dc == nil || m.loaded || m.loading {
		return nil
	}
	m.loading = true
	return m.listCmd()
}

func (m *Model) SetSize(width, height int) { m.width, m.height = max(0, width), max(0, height) }
func (m *Model) SetFocused(focused bool)   { m.focused = focused }

// Capturing while the cluster's name is typed.
func (m *Model) Capturing() bool { return m.mode == modeConfirm }

// Accessors for tests.
func (m *Model) Clusters() []dobackend.Cluster { return m.clusters }
func (m *Model) Watching() bool                { return m.mode == modeWatch && !m.watchDone }

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case listedMsg:
		if msg.pane != m.id {
			return nil
		}
		m.loading, m.loaded, m.err = false, true, msg.err
		if msg.err == nil {
			m.clusters = msg.clusters
			m.cursor.Clamp(len(m.clusters), m.listRows())
		}
	case detailMsg:
		if msg.pane != m.id {
			return nil
		}
		m.loading = false
		m.detailErr = msg.err
		if msg.err == nil {
			m.detail, m.eviction, m.firewall, m.partial = msg.cluster, msg.eviction, msg.firewall, msg.partial
			m.liveUse = msg.use
		}
	case wizardMsg:
		if msg.pane != m.id {
			return nil
		}
		m.loading = false
		if msg.err != nil {
			m.mode, m.detailErr = modeDetail, msg.err
			return views.Flash(views.FlashError, msg.err.Error())
		}
		m.options, m.use, m.useErr = msg.options, msg.use, msg.useErr
		m.buildRows()
	case resizedMsg:
		if msg.pane != m.id {
			return nil
		}
		if msg.err != nil {
			m.mode = modeDetail
			return views.Flash(views.FlashError, "resize: "+msg.err.Error())
		}
		m.mode, m.watchFrom, m.watchTo = modeWatch, msg.from, msg.plan
		m.watchStart, m.watchDone, m.watchStopped, m.watchErr = time.Now(), false, false, ""
		m.watchEntry = m.resizeEntry(m.detail, msg.from, msg.plan)
		m.watchSeq = nextSeq()
		flash := views.Flash(views.FlashInfo, "resize accepted: polling until online")
		if msg.auditE != nil {
			flash = views.Flash(views.FlashWarn, "resize accepted, but the audit log could not be written: "+msg.auditE.Error())
		}
		return tea.Batch(flash, m.watchCmd(m.detail.ID, m.watchSeq))
	case watchTickMsg:
		if msg.pane != m.id || msg.seq != m.watchSeq || m.watchDone || m.watchStopped {
			return nil
		}
		return m.watchCmd(m.detail.ID, msg.seq)
	case watchedMsg:
		if msg.pane != m.id || msg.seq != m.watchSeq || m.watchStopped {
			return nil
		}
		return m.watched(msg)
	case evictionSetMsg:
		if msg.pane != m.id {
			return nil
		}
		m.mode = modeDetail
		if msg.err != nil {
			return views.Flash(views.FlashError, "eviction policy: "+msg.err.Error())
		}
		m.eviction = msg.policy
		return views.Flash(views.FlashInfo, "eviction policy is now "+msg.policy)
	case tea.PasteMsg:
		if m.mode == modeConfirm {
			m.input.Update(msg)
		}
	case tea.KeyPressMsg:
		if !m.focused {
			return nil
		}
		return m.handleKey(msg)
	}
	return nil
}

func (m *Model) watched(msg watchedMsg) tea.Cmd {
	switch {
	case msg.pingErr != nil:
		m.watchPing = "PING failed: " + redisops.Describe(msg.pingErr)
	case msg.ping > 0:
		m.watchPing = fmt.Sprintf("PING %.1f ms", float64(msg.ping.Microseconds())/1000)
	}
	if msg.err != nil {
		// A failed poll is shown; the next tick tries again.
		m.watchErr = msg.err.Error()
	} else {
		m.watchErr = ""
		m.watchStatus = msg.cluster
		cl := msg.cluster
		if cl.Status == "online" && cl.Size == m.watchTo.Size && cl.Nodes == m.watchTo.Nodes {
			m.watchDone = true
			m.detail = cl
			m.loading = true // the list shows the new size too
			return tea.Batch(m.doneAuditCmd(m.watchEntry, m.watchStart), m.listCmd(),
				views.Flash(views.FlashInfo, fmt.Sprintf("resize done: %s is online as %s x%d", cl.Name, cl.Size, cl.Nodes)))
		}
	}
	if time.Since(m.watchStart) > WatchBound {
		m.watchStopped = true
		return views.Flash(views.FlashWarn, "stopped waiting: the resize goes on at DigitalOcean")
	}
	return m.watchTick(msg.seq)
}

// connectedTo reports whether the console's server is this cluster (its
// public or private host), so that live memory belongs to it.
func (m *Model) connectedTo(cl *dobackend.Cluster) bool {
	if m.c.Client == nil {
		return false
	}
	for _, e := range []*dobackend.Endpoint{cl.Public, cl.Private} {
		if e != nil && m.c.Client.Addr == fmt.Sprintf("%s:%d", e.Host, e.Port) {
			return true
		}
	}
	return false
}

// buildRows lists every size offered for the node count chosen (the
// cluster's own at first), each with its fit.
func (m *Model) buildRows() { m.rowsFor(m.detail.Nodes) }

func (m *Model) rowsFor(nodes int) {
	m.rows = nil
	cur := dobackend.Plan{Size: m.detail.Size, Nodes: m.detail.Nodes}
	for _, l := range m.options.Layouts {
		if l.Nodes != nodes {
			continue
		}
		for _, size := range l.Sizes {
			row := sizeRow{plan: dobackend.Plan{Size: size, Nodes: nodes}}
			if m.use != nil {
				f := dobackend.CheckFit(dobackend.FitInput{Used: m.use.Used, Peak: m.use.Peak, MaxMemory: m.use.MaxMemory,
					Policy: m.use.Policy, Current: cur, Target: row.plan}, m.Prices)
				row.fit = &f
			}
			m.rows = append(m.rows, row)
		}
	}
	m.choice = widgets.Scroll{}
	for i, r := range m.rows {
		if r.plan.Size == cur.Size {
			m.choice.Move(i, len(m.rows), m.listRows())
		}
	}
}

func (m *Model) nodeCounts() []int {
	var out []int
	if m.options != nil {
		for _, l := range m.options.Layouts {
			out = append(out, l.Nodes)
		}
	}
	return out
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	if m.dc == nil {
		return nil
	}
	switch m.mode {
	case modeList:
		if d, ok := widgets.Movement(msg, k, m.listRows()); ok {
			m.cursor.Move(d, len(m.clusters), m.listRows())
			return nil
		}
		switch {
		case key.Matches(msg, k.Refresh):
			if !m.loading {
				m.loading = true
				return m.listCmd()
			}
		case key.Matches(msg, k.Open):
			if i := m.cursor.Cursor; i < len(m.clusters) {
				m.mode, m.loading, m.detail, m.detailErr = modeDetail, true, &m.clusters[i], nil
				m.eviction, m.firewall, m.partial, m.liveUse = "", nil, nil, nil
				return m.detailCmd(&m.clusters[i])
			}
		}
	case modeDetail:
		switch {
		case key.Matches(msg, k.Back):
			m.mode = modeList
		case key.Matches(msg, k.Refresh):
			m.loading = true
			return m.detailCmd(m.detail)
		case msg.String() == "s" && !m.c.ReadOnly && !m.loading:
			if m.detail.Status != "online" {
				return views.Flash(views.FlashWarn, fmt.Sprintf("%s is %s: a resize is accepted only when it is online", m.detail.Name, m.detail.Status))
			}
			m.mode, m.loading, m.rows, m.message = modeWizard, true, nil, ""
			return m.wizardCmd(m.detail)
		case msg.String() == "e" && !m.c.ReadOnly && !m.loading:
			m.mode = modeEviction
			m.policyPick = widgets.Scroll{}
		}
	case modeWizard:
		if d, ok := widgets.Movement(msg, k, m.listRows()); ok {
			m.choice.Move(d, len(m.rows), m.listRows())
			m.message = ""
			return nil
		}
		switch {
		case key.Matches(msg, k.Back):
			m.mode = modeDetail
		case msg.String() == "n" && m.options != nil:
			counts := m.nodeCounts()
			cur := m.detail.Nodes
			if len(m.rows) > 0 {
				cur = m.rows[0].plan.Nodes
			}
			for i, c := range counts {
				if c == cur {
					m.rowsFor(counts[(i+1)%len(counts)])
					break
				}
			}
		case key.Matches(msg, k.Open):
			return m.chooseSize()
		}
	case modeEviction:
		if d, ok := widgets.Movement(msg, k, m.listRows()); ok {
			m.policyPick.Move(d, len(dobackend.EvictionPolicies), m.listRows())
			return nil
		}
		switch {
		case key.Matches(msg, k.Back):
			m.mode = modeDetail
		case key.Matches(msg, k.Open):
			to := dobackend.EvictionPolicies[m.policyPick.Cursor]
			if to == m.eviction {
				return views.Flash(views.FlashInfo, "already "+to+": nothing to change")
			}
			cl, from := m.detail, m.eviction
			m.openConfirm("change its eviction policy", []string{
				fmt.Sprintf("eviction policy: %s → %s", orUnknown(from), to),
				fmt.Sprintf(`request: PUT /v2/databases/%s/eviction_policy {"eviction_policy":%q}`, cl.ID, to),
			}, func() tea.Cmd { return m.evictionCmd(cl, from, to) })
		}
	case modeConfirm:
		switch msg.String() {
		case "esc":
			m.mode = modeDetail
			return views.Flash(views.FlashInfo, "cancelled: nothing was sent")
		case "enter":
			if m.input.Value() != m.detail.Name {
				m.confirmErr = "the typed name does not match the cluster's: nothing was sent"
				return nil
			}
			run := m.pending
			m.pending = nil
			m.mode = modeDetail
			return run()
		default:
			m.input.Update(msg)
			m.confirmErr = ""
		}
	case modeWatch:
		if key.Matches(msg, k.Back) {
			if !m.watchDone {
				m.watchStopped = true
				m.mode = modeDetail
				return views.Flash(views.FlashWarn, "stopped watching: the resize goes on at DigitalOcean (r on the details reloads its status)")
			}
			m.mode = modeDetail
		}
	}
	return nil
}

// chooseSize refuses a size that does not fit (saying why) and opens the
// typed confirmation for one that does.
func (m *Model) chooseSize() tea.Cmd {
	if m.choice.Cursor >= len(m.rows) {
		return nil
	}
	row := m.rows[m.choice.Cursor]
	cur := dobackend.Plan{Size: m.detail.Size, Nodes: m.detail.Nodes}
	switch {
	case row.plan == cur:
		m.message = "that is the cluster's size now: nothing to resize"
		return nil
	case row.fit == nil:
		m.message = "refused: the fit cannot be checked: " + errText(m.useErr)
		return nil
	case row.fit.Verdict == dobackend.Refused:
		m.message = "refused: " + row.fit.Reasons[0]
		return nil
	}
	cl := m.detail
	lines := []string{
		fmt.Sprintf("resize: %s x%d → %s x%d", cur.Size, cur.Nodes, row.plan.Size, row.plan.Nodes),
		"fit: " + string(row.fit.Verdict),
	}
	for _, r := range row.fit.Reasons {
		lines = append(lines, "  "+r)
	}
	lines = append(lines, "cost: "+row.fit.CostLine(cur, row.plan), "request: "+dobackend.ResizeCall(cl.ID, row.plan.Size, row.plan.Nodes))
	if note := m.dc.RateNote(); note != "" {
		lines = append(lines, note)
	}
	plan := row.plan
	m.openConfirm("resize it", lines, func() tea.Cmd { return m.resizeCmd(cl, plan) })
	return nil
}

func (m *Model) openConfirm(does string, preview []string, run func() tea.Cmd) {
	m.mode, m.pending, m.pendingWhy, m.preview, m.confirmErr = modeConfirm, run, does, preview, ""
	m.input = widgets.Input{Prompt: "name: "}
}

func errText(err error) string {
	if err == nil {
		return "live memory unknown"
	}
	return err.Error()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// listRows is how many list rows fit under the pane's heading.
func (m *Model) listRows() int { return max(1, m.height-4) }

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	switch m.mode {
	case modeList:
		return []key.Binding{k.Open, k.Refresh}
	case modeDetail:
		if m.c.ReadOnly {
			return []key.Binding{k.Back, k.Refresh}
		}
		return []key.Binding{bindResize, bindEviction, k.Back, k.Refresh}
	case modeWizard:
		return []key.Binding{k.Open, bindNodes, k.Back}
	case modeEviction:
		return []key.Binding{k.Open, k.Back}
	case modeConfirm:
		return []key.Binding{bindConfirm, bindCancel}
	case modeWatch:
		if !m.watchDone && !m.watchStopped {
			return []key.Binding{bindStopWatch}
		}
	}
	return []key.Binding{k.Back}
}

// FullHelp adds the movement keys to the modes that move a cursor.
func (m *Model) FullHelp() [][]key.Binding {
	switch m.mode {
	case modeList, modeWizard, modeEviction:
		k := m.c.Keys
		return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, m.ShortHelp()}
	}
	return [][]key.Binding{m.ShortHelp()}
}

var (
	bindResize   = key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "resize"))
	bindEviction = key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "eviction policy"))
	bindNodes    = key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "node count"))
	bindConfirm  = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm"))
	bindCancel   = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	// bindStopWatch: esc while a resize is watched stops the watch, not
	// the resize.
	bindStopWatch = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop watching (the resize goes on)"))
)
