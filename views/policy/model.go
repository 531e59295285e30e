// Package policy is the Policy pane: the cache audited against its policy
// (redisops.Audit), namespaces with their counts on top, findings with
// sample keys below. An audit walks the whole keyspace, so it starts on r,
// not when the tab is shown; it is paced by the latency governor and esc
// cancels it. T and D run the guarded fixes the findings call for
// (confirmed, paced, cancellable, audited; absent in a read-only session).
package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/decode"
	cachepolicy "github.com/coldcopy/cachedeck/policy"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// auditTimeout bounds one audit run.
const auditTimeout = 30 * time.Minute

var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

type (
	doneMsg struct {
		pane, seq uint64
		report    *redisops.AuditReport
		err       error
	}
	progressMsg struct {
		pane, seq uint64
		p         redisops.AuditProgress
	}
)

// Model is the Policy pane. It implements views.Pane.
type Model struct {
	c             *views.Common
	id            uint64
	width, height int

	// Load finds the policy; tests replace it. The default reads the
	// profile's policy file, else the built-in policy.
	Load func(profile string) (*cachepolicy.Policy, error)

	runSeq   uint64
	cancel   context.CancelFunc
	progress chan redisops.AuditProgress
	last     redisops.AuditProgress
	report   *redisops.AuditReport
	err      error
	top      int

	confirm   widgets.Confirm
	fixSeq    uint64             // the fix in flight, 0 when none
	fixCancel context.CancelFunc // esc
	log       *audit.Log         // opened by the first fix, never closed (an outcome in flight at quit still lands)
	// fixEnded closes once the fix in flight has written its outcome,
	// fixFinal (readable then): what Stop tells the terminal.
	fixEnded chan struct{}
	fixFinal *fixedMsg

	// exitLines: the outcome of runs stopped by quitting (ExitReport).
	exitLines []string
}

// New returns the pane; r starts an audit.
func New(c *views.Common) *Model {
	return &Model{c: c, id: nextSeq(), Load: profilePolicy}
}

// profilePolicy is the policy `cachedeck policy check --profile P` uses
// with the default config file.
func profilePolicy(profile string) (*cachepolicy.Policy, error) {
	cfg := config.DefaultPath()
	path, explicit, err := cachepolicy.Locate("", cfg, false, profile)
	if err != nil {
		return nil, err
	}
	return cachepolicy.Resolve(path, explicit)
}

func (m *Model) Init() tea.Cmd                 { return nil }
func (m *Model) SetSize(w, h int)              { m.width, m.height = max(0, w), max(0, h) }
func (m *Model) SetFocused(bool)               {}
func (m *Model) Capturing() bool               { return m.confirm.Active() }
func (m *Model) Running() bool                 { return m.runSeq != 0 }
func (m *Model) Err() error                    { return m.err }
func (m *Model) Report() *redisops.AuditReport { return m.report }

// Fixing reports whether a fix runs; Confirming whether a fix waits for
// its answer.
func (m *Model) Fixing() bool     { return m.fixSeq != 0 }
func (m *Model) Confirming() bool { return m.confirm.Active() }

// Interrupt implements views.Interrupter: Ctrl-C first cancels a running
// fix (between batches; its outcome still reaches the audit log) or audit
// (its partial report is worth a look); a second Ctrl-C quits.
func (m *Model) Interrupt() (tea.Cmd, bool) {
	if m.fixCancel != nil {
		m.fixCancel()
		m.fixCancel = nil
		return nil, true
	}
	if m.runSeq == 0 || m.cancel == nil {
		return nil, false
	}
	m.cancel()
	m.cancel = nil
	return nil, true
}

// start runs an audit in a command, paced by a governor of its own, and
// streams progress through a channel read by a second command.
func (m *Model) start() tea.Cmd {
	if m.c.Client == nil || m.runSeq != 0 {
		return nil
	}
	m.runSeq = nextSeq()
	ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
	m.cancel = cancel
	m.progress = make(chan redisops.AuditProgress, 1)
	m.last = redisops.AuditProgress{}
	pane, seq, c, load, profile, progress := m.id, m.runSeq, m.c.Client, m.Load, m.c.Profile, m.progress
	run := func() tea.Msg {
		defer cancel()
		defer close(progress)
		p, err := load(profile)
		if err != nil {
			return doneMsg{pane: pane, seq: seq, err: err}
		}
		gov := redisops.NewGovernor(c, redisops.GovernorOptions{})
		gov.Start(ctx)
		defer gov.Stop()
		r, err := c.Audit(ctx, redisops.AuditOptions{Policy: p, Governor: gov, Progress: func(ap redisops.AuditProgress) {
			select { // the newest wins; never block the audit
			case <-progress:
			default:
			}
			progress <- ap
		}})
		return doneMsg{pane: pane, seq: seq, report: r, err: err}
	}
	return tea.Batch(run, m.waitProgress())
}

func (m *Model) waitProgress() tea.Cmd {
	pane, seq, ch := m.id, m.runSeq, m.progress
	return func() tea.Msg {
		p, ok := <-ch
		if !ok {
			return nil
		}
		return progressMsg{pane: pane, seq: seq, p: p}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case progressMsg:
		if msg.pane != m.id || msg.seq != m.runSeq {
			return nil
		}
		m.last = msg.p
		return m.waitProgress()
	case doneMsg:
		if msg.pane != m.id || msg.seq != m.runSeq {
			return nil
		}
		m.runSeq, m.cancel = 0, nil
		m.err = msg.err
		if msg.report != nil {
			m.report, m.top = msg.report, 0
		}
		switch {
		case msg.err != nil && errors.Is(msg.err, context.DeadlineExceeded):
			return views.Flash(views.FlashWarn, "policy audit stopped at its time limit; the report is partial")
		case msg.err != nil:
			return views.Flash(views.FlashError, "policy audit failed: "+redisops.Describe(msg.err))
		case msg.report != nil && msg.report.Cancelled:
			return views.Flash(views.FlashInfo, "policy audit cancelled: the report is partial")
		}
	case fixedMsg:
		if msg.pane != m.id || msg.seq != m.fixSeq {
			return nil
		}
		return m.fixDone(msg)
	case tea.KeyPressMsg:
		if handled, cmd := m.confirm.Update(msg); handled {
			return cmd
		}
		k := m.c.Keys
		switch {
		case key.Matches(msg, k.Refresh):
			if m.fixSeq != 0 {
				return nil
			}
			return m.start()
		case key.Matches(msg, fixTTLKey):
			return m.askFix(redisops.FixTTL)
		case key.Matches(msg, fixLZKey):
			return m.askFix(redisops.FixDamagedLZ)
		case key.Matches(msg, k.Back):
			if m.cancel != nil {
				m.cancel()
				m.cancel = nil
			}
			if m.fixCancel != nil {
				m.fixCancel()
				m.fixCancel = nil
			}
		default:
			if d, ok := widgets.Movement(msg, k, m.height-1); ok {
				m.top = min(widgets.Far, max(0, m.top+d))
			}
		}
	case tea.MouseWheelMsg:
		m.top = max(0, m.top+widgets.WheelRows(msg))
	}
	return nil
}

// View renders exactly width×height cells.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	s := m.c.Styles
	var head string
	switch {
	case m.fixSeq != 0:
		head = s.Partial.Render("fixing… (esc cancels between batches)")
	case m.runSeq != 0:
		head = s.Partial.Render(fmt.Sprintf("auditing… %s of %s keys, %s (esc cancels)", views.Commas(m.last.Scanned), total(m.last.Total), m.last.Elapsed.Round(100*time.Millisecond)))
	case m.report == nil && m.err != nil:
		head = s.Error.Render("policy audit failed: " + redisops.Describe(m.err))
	case m.report == nil:
		head = s.Dim.Render("r: audit the cache against its policy (one paced SCAN pass; esc cancels)")
	default:
		r := m.report
		verdict := s.Count.Render("clean")
		if n := len(r.Findings); n > 0 {
			verdict = s.Error.Render(fmt.Sprintf("%d findings", n))
		}
		mode := "exact"
		if !r.Exact {
			mode = fmt.Sprintf("%.0f%% sample", 100*r.Sample)
		}
		head = fmt.Sprintf("%s · %s keys · %s · %s · policy %s", verdict, views.Commas(r.ScannedKeys), views.Bytes(r.TotalBytes), mode, r.Policy)
		if r.Cancelled {
			head += " · " + s.Warning.Render("partial")
		}
	}
	lines := m.body(w)
	m.top = max(0, min(m.top, len(lines)-(h-1)))
	end := min(len(lines), m.top+h-1)
	out := append([]string{head}, lines[m.top:end]...)
	if m.confirm.Active() {
		out = widgets.Overlay(out, m.confirm.View(s, w), w, h)
	}
	return widgets.Screen(out, w, h)
}

func total(n int64) string {
	if n < 0 {
		return "?"
	}
	return views.Commas(n)
}

// body: the namespace table, then the findings with their sample keys.
func (m *Model) body(w int) []string {
	r := m.report
	if r == nil {
		return nil
	}
	s := m.c.Styles
	nameW := max(12, min(34, w-62))
	cols := []int{6, 9, 11, 7, 6, 7, 6, 8}
	row := func(name string, vals ...string) string {
		line := widgets.PadRight(ansiCut(name, nameW), nameW)
		for i, v := range vals {
			line += widgets.PadLeft(v, cols[i])
		}
		return line
	}
	out := []string{s.Label.Render(row("namespace", "TTL", "keys", "bytes", "noTTL", "TTL>", "uncmp", ">max", "damagd"))}
	for _, ns := range r.Namespaces {
		if ns.Keys == 0 {
			continue
		}
		ttl := cachepolicy.FormatTTL(ns.TTL)
		name := ns.Name
		switch {
		case ns.Unknown:
			ttl, name = "?", unknownName(ns.Prefix)
		case ns.NeverCache:
			ttl = "never"
		}
		line := row(name, ttl, views.Commas(ns.Keys), views.Bytes(ns.Bytes), dash(ns.NoTTL), dash(ns.TTLAbove), dash(ns.Uncompressed), dash(ns.Oversize), dash(ns.DamagedLZ))
		if ns.NeverCache {
			line = s.Error.Render(line)
		}
		out = append(out, line)
	}
	if len(r.Findings) == 0 {
		return append(out, "", s.Count.Render("clean: the cache follows the policy"))
	}
	for _, f := range r.Findings {
		st := s.Warning
		switch f.Severity {
		case redisops.FindingCritical:
			st = s.Error
		case redisops.FindingInfo:
			st = s.Dim
		}
		about := ""
		if f.Estimated {
			about = "~"
		}
		name := f.Namespace
		if f.Kind == redisops.FindUnknown {
			name = unknownName(f.Namespace)
		}
		out = append(out, "", st.Render(widgets.PadRight(strings.ToUpper(f.Severity), 9))+fmt.Sprintf("%s: %s%s keys [%s]", name, about, views.Commas(f.Keys), f.Kind))
		for _, l := range widgets.WrapText(f.Detail, max(1, w-2)) {
			out = append(out, "  "+l)
		}
		for _, k := range f.Sample {
			out = append(out, "    "+s.Dim.Render(ansiCut(decode.DisplayKey(k), max(1, w-4))))
		}
		if f.Fix != "" {
			fix := "fix: " + map[string]string{redisops.FixTTL: "T", redisops.FixDamagedLZ: "D"}[f.Fix] + " here, or cachedeck policy fix --" + f.Fix
			if m.c.ReadOnly {
				fix = "fix (not in a read-only session): cachedeck policy fix --" + f.Fix
			}
			out = append(out, "  "+s.Label.Render(fix))
		}
	}
	return out
}

func unknownName(prefix string) string {
	if prefix == "" {
		return "(no prefix)"
	}
	if prefix == redisops.OtherNamespace {
		return prefix
	}
	return decode.DisplayKey(prefix) + "*"
}

// ansiCut cuts plain text to w cells, marking the cut.
func ansiCut(s string, w int) string {
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	if w <= 1 {
		return string(r[:max(0, w)])
	}
	return string(r[:w-1]) + "…"
}

func dash(n int64) string {
	if n == 0 {
		return "-"
	}
	return views.Commas(n)
}

func (m *Model) ShortHelp() []key.Binding {
	if m.confirm.Active() {
		return m.confirm.Help()
	}
	if m.runSeq != 0 || m.fixSeq != 0 {
		return []key.Binding{cancelKey}
	}
	h := []key.Binding{auditKey, scrollHint}
	h = append(h, m.fixKeys()...)
	return h
}

var auditKey = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "audit"))

// scrollHint is the short help's one-cell summary of the movement keys the
// full help lists one by one.
var scrollHint = key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑↓", "scroll"))

// fixKeys are the guarded fixes the last audit offers.
func (m *Model) fixKeys() []key.Binding {
	var h []key.Binding
	if !m.c.ReadOnly && m.fixCounts(redisops.FixTTL) > 0 {
		h = append(h, fixTTLKey)
	}
	if !m.c.ReadOnly && m.fixCounts(redisops.FixDamagedLZ) > 0 {
		h = append(h, fixLZKey)
	}
	return h
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	if m.confirm.Active() || m.runSeq != 0 || m.fixSeq != 0 {
		return [][]key.Binding{m.ShortHelp()}
	}
	actions := []key.Binding{auditKey}
	if !m.c.ReadOnly {
		// Both fixes are listed even before an audit found work for them:
		// pressed then, they say what they need.
		actions = append(actions, fixTTLKey, fixLZKey)
	}
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, actions}
}

// cancelKey: esc cancels an audit or a fix in progress.
var cancelKey = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
