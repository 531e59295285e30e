// Package warm is the Warm tab: the profile's cache warmers with their
// last run (from the audit log), a run of one after a y/n confirmation
// with the namespaces' before/after counts live and the endpoint's answer,
// a warm-up from a backup (only the missing keys, restricted to patterns)
// and a TTL refresh that spreads a namespace's expiries. Every run is
// audited, esc or Ctrl-C cancels it, and a read-only session only lists.
package warm

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
	"github.com/coldcopy/cachedeck/warmer"
)

// Modes of the pane.
const (
	modeList   = iota // the warmers
	modeBackup        // warm from a backup: file, patterns
	modeTTL           // TTL refresh: pattern, ttl, jitter
)

var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

// Model is the Warm pane. It implements views.Pane.
type Model struct {
	c       *views.Common
	id      uint64
	width   int
	height  int
	focused bool
	keys    bindings

	warmers     []config.Warmer
	warmersErr  error // the profile's warmers could not be read
	cursor      int
	lastRuns    map[string]audit.Entry // by warmer name
	untilStable bool

	mode    int
	fields  []widgets.Input
	field   int
	confirm widgets.Confirm

	previewSeq    uint64
	cancelPreview context.CancelFunc
	previewKey    string // the field values the preview was made for
	backupPrev    *redisops.RestorePreview
	ttlPrev       *redisops.TTLSpreadPreview
	previewErr    error

	job  *job
	live liveWarm // the warm run in progress

	// The last result, whichever action it was.
	report    *warmer.Report
	restored  *redisops.RestoreResult
	spread    *redisops.TTLSpreadResult
	resultFor string // what the result is of, e.g. "warmer app"
	runErr    error
	auditErr  error

	// exitLines: the outcome of runs stopped by quitting (ExitReport).
	exitLines []string
}

// liveWarm is the progress of a warm run as its messages arrive.
type liveWarm struct {
	warmer        config.Warmer
	round         int
	phase         string
	attempt       int
	retrying      string
	before, after []int64
	known         []bool // after[i] is counted this round
}

// New is the pane for the profile's warmers (warmersErr: why there are
// none usable).
func New(c *views.Common, warmers []config.Warmer, warmersErr error) *Model {
	return &Model{c: c, id: nextSeq(), keys: newBindings(), warmers: warmers, warmersErr: warmersErr, lastRuns: map[string]audit.Entry{}}
}

type lastRunsMsg struct {
	pane uint64
	runs map[string]audit.Entry
}

// Init reads the warmers' last runs from the audit log.
func (m *Model) Init() tea.Cmd {
	pane, path, names := m.id, m.c.AuditFile(), m.names()
	return func() tea.Msg {
		entries, _ := audit.ReadTail(path, 2000)
		runs := map[string]audit.Entry{}
		for _, e := range entries {
			if e.Action != "warm" || e.Outcome == audit.Attempted {
				continue
			}
			for _, n := range names {
				if strings.HasPrefix(e.Target, "warmer "+n+" ") {
					runs[n] = e
				}
			}
		}
		return lastRunsMsg{pane: pane, runs: runs}
	}
}

func (m *Model) names() []string {
	out := make([]string, len(m.warmers))
	for i, w := range m.warmers {
		out[i] = w.Name
	}
	return out
}

func (m *Model) SetSize(width, height int) { m.width, m.height = max(0, width), max(0, height) }
func (m *Model) SetFocused(focused bool)   { m.focused = focused }

// Capturing: while a form's fields are typed or a question is open.
func (m *Model) Capturing() bool { return m.mode != modeList || m.confirm.Active() }

// Stop cancels a run and waits (bounded) for it to write its outcome.
func (m *Model) Stop() {
	m.stopPreview()
	if m.job != nil {
		m.exitLines = append(m.exitLines, exitLine(m.resultFor, m.job.stop(), m.c.AuditFile()))
		m.job = nil
	}
}

// ExitReport is the outcome of the runs that quitting the console
// stopped, one line each, for the terminal once the screen is gone.
func (m *Model) ExitReport() []string { return m.exitLines }

// Interrupt implements views.Interrupter: Ctrl-C cancels a run as esc does.
func (m *Model) Interrupt() (tea.Cmd, bool) {
	if m.job == nil || m.job.Cancelled() || m.job.HasEnded() {
		return nil, false
	}
	m.job.RequestCancel()
	return nil, true
}

// Accessors for tests.

func (m *Model) Running() bool                     { return m.job != nil }
func (m *Model) Report() *warmer.Report            { return m.report }
func (m *Model) Restored() *redisops.RestoreResult { return m.restored }
func (m *Model) Spread() *redisops.TTLSpreadResult { return m.spread }
func (m *Model) RunErr() error                     { return m.runErr }
func (m *Model) LastRun(name string) (audit.Entry, bool) {
	e, ok := m.lastRuns[name]
	return e, ok
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case lastRunsMsg:
		if msg.pane == m.id {
			for n, e := range msg.runs {
				if _, seen := m.lastRuns[n]; !seen {
					m.lastRuns[n] = e
				}
			}
		}
		return nil
	case previewMsg:
		if msg.pane != m.id || msg.seq != m.previewSeq {
			return nil
		}
		m.previewSeq = 0
		m.backupPrev, m.ttlPrev, m.previewErr = msg.backup, msg.ttl, msg.err
		if msg.err != nil {
			return views.Flash(views.FlashError, "preview failed: "+redisops.Describe(msg.err))
		}
		return nil
	case progressMsg:
		if m.job == nil || msg.pane != m.id || msg.job != m.job.ID {
			return nil
		}
		m.progress(msg)
		return m.job.Wait()
	case doneMsg:
		if m.job == nil || msg.pane != m.id || msg.job != m.job.ID {
			return nil
		}
		return m.finished(msg)
	case tea.PasteMsg:
		if m.confirm.Active() {
			return nil
		}
		if m.mode != modeList && m.job == nil {
			m.fields[m.field].Update(msg)
		}
		return nil
	case tea.KeyPressMsg:
		if handled, cmd := m.confirm.Update(msg); handled {
			return cmd
		}
		return m.handleKey(msg)
	}
	return nil
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.job != nil {
		if key.Matches(msg, m.keys.cancel) {
			m.job.RequestCancel()
			return nil
		}
		return views.Flash(views.FlashInfo, m.job.what+" is running: esc cancels it")
	}
	if m.mode != modeList {
		return m.formKey(msg)
	}
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(msg, k.Down):
		m.cursor = max(0, min(len(m.warmers)-1, m.cursor+1))
	case key.Matches(msg, m.keys.run, m.keys.stable, m.keys.backup, m.keys.ttl) && m.c.ReadOnly:
		return views.Flash(views.FlashWarn, "read-only: warming, restoring and TTL refresh are turned off")
	case key.Matches(msg, m.keys.run):
		return m.askWarm()
	case key.Matches(msg, m.keys.stable):
		m.untilStable = !m.untilStable
	case key.Matches(msg, m.keys.backup):
		m.openForm(modeBackup)
	case key.Matches(msg, m.keys.ttl):
		m.openForm(modeTTL)
	}
	return nil
}

// selected is the warmer under the cursor, if any.
func (m *Model) selected() (config.Warmer, bool) {
	if m.cursor < len(m.warmers) {
		return m.warmers[m.cursor], true
	}
	return config.Warmer{}, false
}

// openForm shows the backup or TTL form, filled from the selected
// warmer's first namespace.
func (m *Model) openForm(mode int) {
	m.stopPreview()
	m.mode, m.field = mode, 0
	m.backupPrev, m.ttlPrev, m.previewErr, m.previewKey = nil, nil, nil, ""
	ns := ""
	if w, ok := m.selected(); ok && len(w.Namespaces) > 0 {
		ns = w.Namespaces[0]
	}
	in := func(prompt, placeholder, value string) widgets.Input {
		i := widgets.Input{Prompt: prompt, Placeholder: placeholder}
		i.SetValue(value)
		return i
	}
	if mode == modeBackup {
		var all []string
		if w, ok := m.selected(); ok {
			all = w.Namespaces
		}
		m.fields = []widgets.Input{
			in("file     ", "path of a backup-….ndjson file", ""),
			in("patterns ", "globs separated by spaces; empty: every key", strings.Join(all, " ")),
		}
		return
	}
	ttl := PolicyTTL(ns)
	jitter := ""
	if ttl != "" {
		d, _ := time.ParseDuration(ttl)
		jitter = (d / 10).String()
	}
	m.fields = []widgets.Input{
		in("pattern  ", "e.g. coldcopy:lead_score:*", ns),
		in("ttl      ", "policy TTL, e.g. 1h", ttl),
		in("jitter   ", "most added at random, e.g. 6m", jitter),
	}
}

// PolicyTTL is the TTL the app writes a warmed namespace with (the app's
// warming job), "" when the pattern is not one of them.
func PolicyTTL(pattern string) string {
	switch pattern {
	case "coldcopy:lead_score:*":
		return "1h"
	case "coldcopy:campaign_analytics:*":
		return "5m"
	case "coldcopy:workspace_dashboard:*":
		return "10m"
	}
	return ""
}

func (m *Model) formKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.Keystroke() {
	case "esc":
		m.stopPreview()
		m.mode = modeList
		return nil
	case "tab", "down":
		m.field = (m.field + 1) % len(m.fields)
		return nil
	case "shift+tab", "up":
		m.field = (m.field + len(m.fields) - 1) % len(m.fields)
		return nil
	case "enter":
		if m.previewSeq != 0 {
			return views.Flash(views.FlashInfo, "the preview is still running")
		}
		if m.previewKey == m.formValues() && (m.backupPrev != nil || m.ttlPrev != nil) {
			return m.askForm()
		}
		return m.startPreview()
	}
	m.fields[m.field].Update(msg)
	return nil
}

// stopPreview ends a preview in flight; its answer is then ignored.
func (m *Model) stopPreview() {
	if m.cancelPreview != nil {
		m.cancelPreview()
		m.cancelPreview = nil
	}
	m.previewSeq = 0
}

// formValues identifies the form's values: a preview holds only for them.
func (m *Model) formValues() string {
	vals := make([]string, len(m.fields))
	for i, f := range m.fields {
		vals[i] = f.Value()
	}
	return strings.Join(vals, "\x00")
}

type bindings struct {
	run, stable, backup, ttl, cancel     key.Binding
	formNext, formPrev, formGo, formBack key.Binding
}

func newBindings() bindings {
	return bindings{
		run:      key.NewBinding(key.WithKeys("enter", "w"), key.WithHelp("enter", "run warmer")),
		stable:   key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "until stable")),
		backup:   key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "warm from backup")),
		ttl:      key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "TTL refresh")),
		cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel run")),
		formNext: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field")),
		formPrev: key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous field")),
		formGo:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "preview, then run")),
		formBack: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}
}

// ShortHelp implements views.Pane.
func (m *Model) ShortHelp() []key.Binding {
	switch {
	case m.confirm.Active():
		return m.confirm.Help()
	case m.job != nil:
		return []key.Binding{m.keys.cancel}
	case m.mode != modeList:
		return []key.Binding{m.keys.formNext, m.keys.formPrev, m.keys.formGo, m.keys.formBack}
	case m.c.ReadOnly:
		return []key.Binding{m.c.Keys.Up, m.c.Keys.Down}
	}
	return []key.Binding{m.keys.run, m.keys.stable, m.keys.backup, m.keys.ttl}
}

// FullHelp implements views.Pane: the cursor keys only where they move
// the cursor (a form types j and k, a run or a question ignores them).
func (m *Model) FullHelp() [][]key.Binding {
	if m.confirm.Active() || m.job != nil || m.mode != modeList {
		return [][]key.Binding{m.ShortHelp()}
	}
	return [][]key.Binding{{m.c.Keys.Up, m.c.Keys.Down}, m.ShortHelp()}
}

var _ views.Pane = (*Model)(nil)
var _ views.Interrupter = (*Model)(nil)
