// Package backups is the Backups tab: the backup directory of this
// profile with every file verified, and the backups the operator starts
// from it (BGSAVE on the server, an RDB download, a logical backup where
// both are refused), with their progress, retention, restore through the
// Invalidate pane's restore flow, and the memory breakdown of a backup.
package backups

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// GovernorBudget is the p99 PING latency a logical backup keeps the
// server under.
const GovernorBudget = 5 * time.Millisecond

const (
	listTimeout   = 10 * time.Minute // verification reads every file whole
	memoryTimeout = 30 * time.Minute
)

var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

type (
	listMsg struct {
		pane, seq uint64
		entries   []redisops.BackupEntry
		err       error
	}
	riskMsg struct {
		pane, seq uint64
		kind      string
		risk      redisops.ForkRisk
	}
	pruneMsg struct {
		pane, seq uint64
		plan      redisops.PrunePlan
		dryRun    bool
		err       error
	}
	memoryMsg struct {
		pane, seq uint64
		name      string
		report    *redisops.MemoryReport
		err       error
	}
)

// Model is the Backups pane. It implements views.Pane.
type Model struct {
	c      *views.Common
	id     uint64
	width  int
	height int

	dir      string
	keepDays int

	listSeq uint64 // of the listing in flight; 0 when none
	// verified remembers each file's verification by path, size and
	// mtime: showing the tab again reads only new or changed files.
	verified map[string]redisops.BackupEntry
	loaded   bool
	entries  []redisops.BackupEntry
	listErr  error
	scroll   widgets.Scroll // the cursor row and the first row shown

	job      *job
	progress string
	last     string // the last run's outcome, one line
	lastErr  bool
	log      *audit.Log

	confirm widgets.Confirm
	seq     uint64 // of the fork-risk or prune-plan request in flight

	memSeq    uint64
	memName   string
	memReport *redisops.MemoryReport
	memErr    error

	shown bool
	keys  bindings

	// exitLines: the outcome of runs stopped by quitting (ExitReport).
	exitLines []string
}

// New returns the pane for the profile's default backup directory.
func New(c *views.Common) *Model {
	return &Model{c: c, id: nextSeq(), dir: redisops.DefaultBackupDir(c.Profile), keepDays: redisops.DefaultKeepDays, keys: newBindings()}
}

// Accessors for tests.

func (m *Model) Dir() string                     { return m.dir }
func (m *Model) Loaded() bool                    { return m.loaded && m.listSeq == 0 }
func (m *Model) Entries() []redisops.BackupEntry { return m.entries }
func (m *Model) Running() bool                   { return m.job != nil }
func (m *Model) Last() string                    { return m.last }
func (m *Model) MemoryReport() (*redisops.MemoryReport, error) {
	return m.memReport, m.memErr
}
func (m *Model) Confirming() bool { return m.confirm.Active() }

// Init lists the directory.
func (m *Model) Init() tea.Cmd { return m.reload() }

// SetShown implements views.Shower: shown again, the list is read again
// (another process may have added or pruned backups).
func (m *Model) SetShown(shown bool) tea.Cmd {
	was := m.shown
	m.shown = shown
	if shown && !was && m.loaded {
		return m.reload()
	}
	return nil
}

// stopWait bounds how long quitting waits for a cancelled backup to write
// its outcome (a download or a batch in flight finishes first).
const stopWait = 10 * time.Second

// Stop cancels a running backup (the frame calls it on quit) and waits,
// bounded, for the audited helper to write its outcome, which ExitReport
// then tells the terminal.
func (m *Model) Stop() {
	if m.job == nil {
		return
	}
	done, ended := m.job.stopAndWait(stopWait)
	m.exitLines = append(m.exitLines, exitLine(m.job.kind, done, ended, m.c.AuditFile()))
	m.job = nil
}

// ExitReport is the outcome of the backups that quitting the console
// stopped, one line each, for the terminal once the screen is gone.
func (m *Model) ExitReport() []string { return m.exitLines }

// Interrupt implements views.Interrupter.
func (m *Model) Interrupt() (tea.Cmd, bool) {
	if m.job == nil || m.job.cancelled {
		return nil, false
	}
	m.job.stop()
	m.progress = "cancelling…"
	return nil, true
}

func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(0, width), max(0, height)
}
func (m *Model) SetFocused(bool) {}
func (m *Model) Capturing() bool { return m.confirm.Active() }

func (m *Model) reload() tea.Cmd { return m.list(false) }

// list reads the directory and verifies the files not verified before
// (every file with all).
func (m *Model) list(all bool) tea.Cmd {
	m.listSeq = nextSeq()
	pane, seq, dir := m.id, m.listSeq, m.dir
	known := map[string]redisops.BackupEntry{}
	if !all {
		for k, v := range m.verified {
			known[k] = v
		}
	}
	return func() tea.Msg {
		entries, err := redisops.ListBackups(dir, false)
		for i, e := range entries {
			if k, ok := known[e.Path]; ok && k.Bytes == e.Bytes && k.Modified.Equal(e.Modified) {
				entries[i] = k
			} else {
				entries[i] = redisops.VerifyEntry(e)
			}
		}
		return listMsg{pane: pane, seq: seq, entries: entries, err: err}
	}
}

func (m *Model) selected() (redisops.BackupEntry, bool) {
	if m.scroll.Cursor < 0 || m.scroll.Cursor >= len(m.entries) {
		return redisops.BackupEntry{}, false
	}
	return m.entries[m.scroll.Cursor], true
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if handled, cmd := m.confirm.Update(msg); handled {
		return cmd
	}
	switch msg := msg.(type) {
	case listMsg:
		if msg.pane != m.id || msg.seq != m.listSeq {
			return nil
		}
		m.listSeq = 0
		m.loaded, m.entries, m.listErr = true, msg.entries, msg.err
		m.verified = map[string]redisops.BackupEntry{}
		for _, e := range msg.entries {
			if e.Checked {
				m.verified[e.Path] = e
			}
		}
		m.scroll.Clamp(len(m.entries), m.listRows())
	case riskMsg:
		if msg.pane != m.id || msg.seq != m.seq {
			return nil
		}
		m.askFork(msg.kind, msg.risk)
	case pruneMsg:
		if msg.pane != m.id || msg.seq != m.seq {
			return nil
		}
		return m.pruned(msg)
	case memoryMsg:
		if msg.pane != m.id || msg.seq != m.memSeq {
			return nil
		}
		m.memSeq = 0
		m.memReport, m.memErr = msg.report, msg.err
		if msg.err != nil {
			return views.Flash(views.FlashError, "memory of "+msg.name+": "+redisops.Describe(msg.err))
		}
	case progressMsg:
		if msg.pane != m.id || m.job == nil || msg.job != m.job.id {
			return nil
		}
		m.progress = msg.text
		return m.job.wait()
	case doneMsg:
		if msg.pane != m.id || m.job == nil || msg.job != m.job.id {
			return nil
		}
		return m.finished(msg)
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	if d, ok := widgets.Movement(msg, k, m.listRows()); ok {
		m.scroll.Move(d, len(m.entries), m.listRows())
		return nil
	}
	switch {
	case key.Matches(msg, m.keys.cancel) && m.job != nil:
		m.job.stop()
		m.progress = "cancelling…"
		return nil
	case key.Matches(msg, m.keys.cancel) && (m.memReport != nil || m.memErr != nil || m.memSeq != 0):
		m.memSeq, m.memReport, m.memErr = 0, nil, nil
		return nil
	case key.Matches(msg, m.keys.bgsave, m.keys.download, m.keys.logical) && m.job != nil:
		return views.Flash(views.FlashInfo, "a backup is running: esc cancels it")
	case key.Matches(msg, m.keys.bgsave):
		if m.c.ReadOnly {
			return views.Flash(views.FlashWarn, "read-only session: BGSAVE writes on the server (d downloads, l makes a logical backup)")
		}
		return m.checkFork(KindBGSave)
	case key.Matches(msg, m.keys.download):
		return m.checkFork(KindDownload)
	case key.Matches(msg, m.keys.logical):
		return m.start(KindLogical)
	case key.Matches(msg, m.keys.refresh):
		return m.list(true)
	case key.Matches(msg, m.keys.prune):
		return m.planPrune()
	case key.Matches(msg, m.keys.restore):
		return m.restoreSelected()
	case key.Matches(msg, m.keys.memory):
		return m.memoryOfSelected()
	}
	return nil
}

// checkFork reads the fork's memory risk, then asks.
func (m *Model) checkFork(kind string) tea.Cmd {
	if m.c.Client == nil {
		return nil
	}
	m.seq = nextSeq()
	pane, seq, c := m.id, m.seq, m.c.Client
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return riskMsg{pane: pane, seq: seq, kind: kind, risk: c.ForkRisk(ctx)}
	}
}

func (m *Model) askFork(kind string, risk redisops.ForkRisk) {
	what := "BGSAVE writes a snapshot on the server's disk"
	if kind == KindDownload {
		what = "An RDB download makes the server write a snapshot for this connection"
	}
	mem := ""
	if risk.UsedMemory > 0 {
		mem = " (used_memory " + views.Bytes(risk.UsedMemory) + ")"
	}
	note := "The server forks: the copy-on-write grows with the writes during the save."
	if risk.Warning != "" {
		note = "WARNING: " + risk.Warning
	}
	m.confirm.Open(widgets.Question{
		Title: "Fork " + m.c.Client.Addr + "?",
		Text:  what + mem + ".",
		Note:  note,
		Yes:   func() tea.Cmd { return m.start(kind) },
	})
}

func (m *Model) start(kind string) tea.Cmd {
	if m.c.Client == nil || m.job != nil {
		return nil
	}
	if kind == KindBGSave && m.c.ReadOnly {
		return views.Flash(views.FlashWarn, "read-only session: BGSAVE writes on the server")
	}
	s := spec{client: m.c.Client, log: m.log, auditPath: m.c.AuditFile(), profile: m.c.Profile, dir: m.dir, keepDays: m.keepDays, kind: kind}
	m.job = s.start(m.id)
	m.progress, m.last, m.lastErr = "starting…", "", false
	return m.job.wait()
}

func (m *Model) finished(msg doneMsg) tea.Cmd {
	m.job = nil
	m.progress = ""
	if msg.log != nil {
		m.log = msg.log
	}
	o := msg.out
	cmds := []tea.Cmd{m.reload()}
	switch {
	case o.Blocked != nil:
		m.last, m.lastErr = "no backup was made: "+o.Blocked.Error(), true
	case o.Refused != nil:
		m.last, m.lastErr = o.Refused.Error(), true
		if msg.kind != KindLogical {
			m.confirm.Open(widgets.Question{
				Title: o.Refused.Command + " is refused",
				Text:  o.Refused.Error() + ". Make a logical backup instead (SCAN + DUMP of every key, paced, read-only)?",
				Note:  "restore reads it back; it works on managed Valkey",
				Yes:   func() tea.Cmd { return m.start(KindLogical) },
			})
		}
	case o.Err != nil:
		m.last, m.lastErr = "backup failed: "+redisops.Describe(o.Err), true
	default:
		m.last = o.Summary
	}
	if len(o.Pruned) > 0 {
		m.last += fmt.Sprintf("; pruned %d older", len(o.Pruned))
	}
	if o.AuditErr != nil {
		cmds = append(cmds, views.Flash(views.FlashWarn, "the backup's outcome is not in the audit log: "+o.AuditErr.Error()))
	}
	level := views.FlashInfo
	if m.lastErr {
		level = views.FlashError
	}
	cmds = append(cmds, views.Flash(level, m.last))
	return tea.Batch(cmds...)
}

// planPrune computes what a prune would remove, then asks.
func (m *Model) planPrune() tea.Cmd {
	m.seq = nextSeq()
	pane, seq, dir, r := m.id, m.seq, m.dir, redisops.Retention{KeepDays: m.keepDays, Profile: m.c.Profile}
	return func() tea.Msg {
		plan, err := redisops.Prune(dir, r, time.Now(), true)
		return pruneMsg{pane: pane, seq: seq, plan: plan, dryRun: true, err: err}
	}
}

func (m *Model) pruned(msg pruneMsg) tea.Cmd {
	if msg.err != nil {
		return views.Flash(views.FlashError, "prune: "+msg.err.Error())
	}
	if !msg.dryRun {
		m.last, m.lastErr = fmt.Sprintf("pruned %d backups", len(msg.plan.Remove)), false
		return tea.Batch(m.reload(), views.Flash(views.FlashInfo, m.last))
	}
	if len(msg.plan.Remove) == 0 {
		return views.Flash(views.FlashInfo, fmt.Sprintf("nothing to prune: no verified backup of this profile is older than %d days (the newest is always kept)", m.keepDays))
	}
	text := fmt.Sprintf("Remove %d backups older than %d days:", len(msg.plan.Remove), m.keepDays)
	for i, e := range msg.plan.Remove {
		if i == 5 {
			text += fmt.Sprintf(" … %d more", len(msg.plan.Remove)-5)
			break
		}
		text += " " + e.Name
	}
	m.confirm.Open(widgets.Question{
		Title: "Prune backups?",
		Text:  text,
		Note:  "the newest backup and files that failed verification are kept",
		Yes: func() tea.Cmd {
			m.seq = nextSeq()
			pane, seq, dir, r := m.id, m.seq, m.dir, redisops.Retention{KeepDays: m.keepDays, Profile: m.c.Profile}
			return func() tea.Msg {
				plan, err := redisops.Prune(dir, r, time.Now(), false)
				return pruneMsg{pane: pane, seq: seq, plan: plan, err: err}
			}
		},
	})
	return nil
}

func (m *Model) restoreSelected() tea.Cmd {
	e, ok := m.selected()
	switch {
	case !ok:
		return nil
	case m.c.ReadOnly:
		return views.Flash(views.FlashWarn, "read-only session: nothing can be restored")
	case e.Kind != redisops.KindLogical || e.Partial:
		return views.Flash(views.FlashWarn, "only a finished logical backup can be restored key by key (an RDB file is loaded by a server at start-up)")
	case !e.Verified:
		return views.Flash(views.FlashWarn, "this backup failed verification: "+e.VerifyError)
	}
	path := e.Path
	return func() tea.Msg { return views.RestoreBackupMsg{Path: path} }
}

func (m *Model) memoryOfSelected() tea.Cmd {
	e, ok := m.selected()
	if !ok || e.Partial {
		return nil
	}
	m.memSeq = nextSeq()
	m.memName, m.memReport, m.memErr = e.Name, nil, nil
	pane, seq, path, name := m.id, m.memSeq, e.Path, e.Name
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), memoryTimeout)
		defer cancel()
		r, err := redisops.MemoryFromBackup(ctx, path, redisops.MemoryOptions{Exact: true})
		return memoryMsg{pane: pane, seq: seq, name: name, report: r, err: err}
	}
}
