// Package invalidate is the invalidation pane: patterns typed one per line
// or filled in from one of the app's recipes, a preview (exact count,
// sample, namespaces, bytes, warnings), then, after the user types the
// patterns back, a paced run with a progress bar that esc cancels with an
// exact count, optionally writing a backup of every key first; R restores
// such a backup (preview, typed confirmation, paced run, esc cancels).
// Every run goes to the audit log. A read-only session gets the
// invalidation preview only.
package invalidate

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

const (
	// GovernorBudget is the p99 latency a run keeps the server under.
	GovernorBudget = 5 * time.Millisecond
	previewSample  = 10
	// previewTimeout bounds a preview: a paced walk of a large keyspace
	// takes minutes, and esc ends it sooner.
	previewTimeout = 15 * time.Minute
)

var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

type (
	previewMsg struct {
		pane, seq uint64
		p         *redisops.InvalidatePreview
		err       error
	}
	progressMsg struct {
		pane, job uint64
		p         redisops.InvalidateProgress
	}
	doneMsg struct {
		pane, job uint64
		log       *audit.Log
		res       *redisops.InvalidateResult
		err       error
		backup    string // the backup file the run wrote; empty: none
		blocked   error  // the audit log or the backup file could not be written: nothing ran
		auditErr  error
	}
)

// Model is the invalidation pane. It implements views.Pane.
type Model struct {
	c  *views.Common
	id uint64
	// exitLines: the outcome of runs stopped by quitting (ExitReport).
	exitLines []string
	width     int
	height    int
	focused   bool

	// rate is the form's last line: keys/s for an invalidation and a
	// restore (empty or 0: the governor alone paces them). runRate is the
	// rate of the run in progress.
	rate    widgets.Input
	runRate int

	recipe  int // -1: typed patterns; else an index in redisops.RecipeNames()
	lines   []widgets.Input
	args    []widgets.Input
	field   int
	editing bool
	// backupOn: the next run first saves every key it deletes to a new
	// file next to the audit log.
	backupOn bool
	// lastBackup is the file the last run with a backup wrote: what R
	// offers to restore.
	lastBackup string
	// resultBackup is the file the run whose result is shown wrote.
	resultBackup string

	previewSeq    uint64
	cancelPreview context.CancelFunc // ends the preview in flight
	preview       *redisops.InvalidatePreview
	previewErr    error

	confirming bool
	confirm    widgets.Input

	log      *audit.Log
	job      *runJob
	progress redisops.InvalidateProgress
	total    int64 // the preview's count for the running patterns
	result   *redisops.InvalidateResult
	runErr   error

	// restore is the restore form; nil while the invalidation form is
	// shown.
	restore *restoreForm

	keys bindings
}

// New returns the pane with one empty pattern line.
func New(c *views.Common) *Model {
	m := &Model{c: c, id: nextSeq(), recipe: -1, keys: newBindings()}
	m.lines = []widgets.Input{newInput("pattern ")}
	m.rate = widgets.Input{Prompt: ratePrompt, Placeholder: "0"}
	return m
}

func newInput(prompt string) widgets.Input {
	return widgets.Input{Prompt: prompt, Placeholder: "e.g. temp:*"}
}

func (m *Model) Init() tea.Cmd { return nil }

// Stop cancels a running invalidation or restore and waits for it to log
// its outcome (the frame calls it on quit). A run that does not end in
// time gets its outcome line from here, as unknown.
func (m *Model) Stop() {
	if m.cancelPreview != nil {
		m.cancelPreview()
	}
	if m.job == nil {
		return
	}
	if !m.job.stop() && m.job.audit.abandon() {
		m.job.WaitEnded(stopWait) // its own outcome line is being written
	}
	if e, ok := m.job.audit.finalEntry(); ok {
		m.exitLines = append(m.exitLines, exitLine(e, m.c.AuditFile()))
	}
	m.job = nil
}

// ExitReport is the outcome of the runs that quitting the console
// stopped, one line each, for the terminal once the screen is gone.
func (m *Model) ExitReport() []string { return m.exitLines }

// Interrupt implements views.Interrupter: Ctrl-C cancels a run in
// progress exactly as esc does.
func (m *Model) Interrupt() (tea.Cmd, bool) {
	if m.job == nil || m.job.Cancelled() || m.job.HasEnded() {
		return nil, false // nothing left to cancel: ctrl+c quits
	}
	m.job.RequestCancel()
	return nil, true
}

func (m *Model) SetSize(width, height int) { m.width, m.height = max(0, width), max(0, height) }
func (m *Model) SetFocused(focused bool)   { m.focused = focused }

// Capturing: while a field or a confirmation is being typed.
func (m *Model) Capturing() bool {
	if m.restore != nil {
		return m.restore.capturing()
	}
	return m.editing || m.confirming
}

// Accessors for tests.

func (m *Model) Preview() *redisops.InvalidatePreview { return m.preview }
func (m *Model) PreviewErr() error                    { return m.previewErr }
func (m *Model) Running() bool                        { return m.job != nil }
func (m *Model) Confirming() bool                     { return m.confirming }
func (m *Model) Result() *redisops.InvalidateResult   { return m.result }
func (m *Model) RunErr() error                        { return m.runErr }
func (m *Model) BackupOn() bool                       { return m.backupOn }
func (m *Model) LastBackup() string                   { return m.lastBackup }

// SetPatterns replaces the typed pattern lines (and leaves recipe mode).
func (m *Model) SetPatterns(ps ...string) {
	m.recipe, m.field, m.editing = -1, 0, false
	m.preview, m.previewErr = nil, nil
	m.lines = m.lines[:0]
	for _, p := range ps {
		in := newInput("pattern ")
		in.SetValue(p)
		m.lines = append(m.lines, in)
	}
	if len(m.lines) == 0 {
		m.lines = append(m.lines, newInput("pattern "))
	}
}

// Patterns is what a preview or a run would use now.
func (m *Model) Patterns() ([]string, error) {
	if m.recipe >= 0 {
		name := redisops.RecipeNames()[m.recipe]
		args := map[string]string{}
		for i, a := range redisops.RecipeArgs(name) {
			if v := strings.TrimSpace(m.args[i].Value()); v != "" {
				args[a] = v
			}
		}
		return redisops.Recipe(name, args)
	}
	var out []string
	for _, in := range m.lines {
		if p := strings.TrimSpace(in.Value()); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, errNoPattern
	}
	return out, nil
}

type patternError string

func (e patternError) Error() string { return string(e) }

const errNoPattern = patternError("type a pattern first (enter edits)")

func (m *Model) fields() []widgets.Input {
	if m.recipe >= 0 {
		return m.args
	}
	return m.lines
}

func (m *Model) cycleRecipe() {
	names := redisops.RecipeNames()
	m.recipe++
	if m.recipe >= len(names) {
		m.recipe = -1
	}
	m.field, m.editing = 0, false
	if m.recipe >= 0 {
		m.args = nil
		for _, a := range redisops.RecipeArgs(names[m.recipe]) {
			m.args = append(m.args, widgets.Input{Prompt: a + " ", Placeholder: "id"})
		}
	}
	m.preview, m.previewErr = nil, nil
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case previewMsg:
		if msg.pane != m.id || msg.seq != m.previewSeq {
			return nil
		}
		m.previewSeq, m.cancelPreview = 0, nil
		m.preview, m.previewErr = msg.p, msg.err
		if errors.Is(msg.err, context.Canceled) {
			m.preview, m.previewErr = nil, nil
			return views.Flash(views.FlashInfo, "preview cancelled")
		}
		if msg.err != nil {
			return views.Flash(views.FlashError, "preview failed: "+redisops.Describe(msg.err))
		}
	case progressMsg:
		if msg.pane != m.id || m.job == nil || msg.job != m.job.ID {
			return nil
		}
		m.progress = msg.p
		return m.job.Wait()
	case doneMsg:
		if msg.pane != m.id || m.job == nil || msg.job != m.job.ID {
			return nil
		}
		return m.finished(msg)
	case restorePreviewMsg, restoreProgressMsg, restoreDoneMsg:
		return m.updateRestore(msg)
	case views.RestoreBackupMsg:
		return m.restoreFrom(msg.Path)
	case tea.PasteMsg:
		if m.restore != nil {
			m.restore.paste(msg)
		} else if m.confirming {
			m.confirm.Update(msg)
		} else if m.editing {
			m.typeInField(msg)
		}
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return nil
}

func (m *Model) finished(msg doneMsg) tea.Cmd {
	m.job.stop()
	m.job = nil
	if msg.log != nil {
		m.log = msg.log
	}
	m.resultBackup = msg.backup
	if msg.backup != "" {
		m.lastBackup = msg.backup
	}
	m.result, m.runErr = msg.res, msg.err
	if msg.res != nil {
		m.progress = redisops.InvalidateProgress{Matched: msg.res.Matched, Deleted: msg.res.Deleted, Unconfirmed: msg.res.Unconfirmed, Elapsed: msg.res.Duration}
	}
	// What was previewed is stale now.
	m.preview = nil
	cmds := []tea.Cmd{views.KeysChanged(true)} // the keys pane and inspector refresh
	switch {
	case msg.blocked != nil:
		m.runErr = msg.blocked
		return views.Flash(views.FlashError, "nothing deleted: "+msg.blocked.Error())
	case msg.err != nil:
		cmds = append(cmds, views.Flash(views.FlashError, "invalidation failed after "+deletedText(msg.res)+": "+redisops.Describe(msg.err)))
	case msg.res.Cancelled:
		cmds = append(cmds, views.Flash(views.FlashWarn, cancelledText(msg.res)))
	default:
		cmds = append(cmds, views.Flash(views.FlashInfo, "invalidated: "+deletedText(msg.res)+" deleted"))
	}
	if msg.auditErr != nil {
		cmds = append(cmds, views.Flash(views.FlashWarn, "the run's outcome is not in the audit log: "+msg.auditErr.Error()))
	}
	return tea.Batch(cmds...)
}

func cancelledText(r *redisops.InvalidateResult) string {
	return "cancelled: " + views.Commas(r.Deleted) + " keys deleted (exact)" + unconfirmedNote(r.Unconfirmed)
}

// deletedText is "N keys", with the unconfirmed ones among them.
func deletedText(r *redisops.InvalidateResult) string {
	return views.Commas(r.Deleted) + " keys" + unconfirmedNote(r.Unconfirmed)
}

// unconfirmedNote qualifies a count of which n were in a batch whose
// reply was lost (redisops counts them as done: the keys were gone, or
// there, when the batch was sent again).
func unconfirmedNote(n int64) string {
	if n <= 0 {
		return ""
	}
	return " (" + views.Commas(n) + " unconfirmed: their batch's reply was lost)"
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.restore != nil {
		return m.restoreKey(msg)
	}
	if m.confirming {
		return m.answer(msg)
	}
	if m.editing {
		switch msg.Keystroke() {
		case "enter", "esc":
			m.editing = false
		case "tab", "down":
			m.field = (m.field + 1) % m.fieldCount()
		case "shift+tab", "up":
			m.field = (m.field + m.fieldCount() - 1) % m.fieldCount()
		default:
			m.typeInField(msg)
		}
		return nil
	}
	k := m.c.Keys
	switch {
	case key.Matches(msg, m.keys.cancel) && m.job != nil:
		// The batch in flight finishes; the exact count comes back in doneMsg.
		m.job.RequestCancel()
		return nil
	case key.Matches(msg, m.keys.cancel) && m.cancelPreview != nil:
		m.cancelPreview() // its previewMsg reports the cancellation
		return nil
	case m.job != nil && (key.Matches(msg, m.keys.run) || key.Matches(msg, m.keys.preview) || key.Matches(msg, m.keys.recipe) || key.Matches(msg, m.keys.restore)):
		return views.Flash(views.FlashInfo, m.job.action+" is running: esc cancels it")
	case key.Matches(msg, m.keys.restore) && !m.c.ReadOnly:
		m.openRestore()
	case key.Matches(msg, m.keys.edit):
		m.editing = true
	case key.Matches(msg, m.keys.add) && m.recipe < 0:
		m.lines = append(m.lines, newInput("pattern "))
		m.field, m.editing = len(m.lines)-1, true
	case key.Matches(msg, m.keys.remove) && m.recipe < 0 && !m.onRate():
		if len(m.lines) > 1 {
			m.lines = slices.Delete(m.lines, m.field, m.field+1)
			m.field = min(m.field, len(m.lines)-1)
		} else {
			m.lines[0].SetValue("")
		}
		m.preview = nil
	case key.Matches(msg, m.keys.recipe):
		m.cycleRecipe()
	case key.Matches(msg, m.keys.preview):
		return m.startPreview()
	case key.Matches(msg, m.keys.run):
		return m.askRun()
	case key.Matches(msg, m.keys.backup):
		return m.toggleBackup()
	case key.Matches(msg, k.Up):
		m.field = max(0, m.field-1)
	case key.Matches(msg, k.Down):
		m.field = min(m.fieldCount()-1, m.field+1)
	}
	return nil
}

func (m *Model) startPreview() tea.Cmd {
	if m.c.Client == nil {
		return nil
	}
	ps, err := m.Patterns()
	if err != nil {
		return views.Flash(views.FlashWarn, err.Error())
	}
	if m.cancelPreview != nil {
		m.cancelPreview() // a new preview replaces the one in flight
	}
	m.previewSeq = nextSeq()
	m.preview, m.previewErr = nil, nil
	ctx, cancel := context.WithTimeout(context.Background(), previewTimeout)
	m.cancelPreview = cancel
	pane, seq, c := m.id, m.previewSeq, m.c.Client
	return func() tea.Msg {
		defer cancel()
		// The walk is paced like a run: a preview of a big keyspace on a
		// loaded server must not be what slows the application down.
		gov := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: GovernorBudget})
		gov.Start(ctx)
		defer gov.Stop()
		p, err := c.PreviewPaced(ctx, ps, previewSample, gov)
		return previewMsg{pane: pane, seq: seq, p: p, err: err}
	}
}

// previewed: the preview shown is of exactly these patterns.
func (m *Model) previewed(ps []string) bool {
	return m.preview != nil && slices.Equal(m.preview.Patterns, ps)
}

func (m *Model) askRun() tea.Cmd {
	if m.c.ReadOnly {
		return views.Flash(views.FlashWarn, "read-only session: preview only, nothing can be deleted")
	}
	if m.c.Client == nil {
		return nil
	}
	ps, err := m.Patterns()
	if err != nil {
		return views.Flash(views.FlashWarn, err.Error())
	}
	if !m.previewed(ps) {
		return views.Flash(views.FlashWarn, "preview first (p): see what would be deleted")
	}
	m.confirming = true
	m.confirm = widgets.Input{Prompt: "> ", Placeholder: "type the pattern(s) here"}
	return nil
}

func (m *Model) answer(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.Keystroke() {
	case "esc":
		m.confirming = false
		return views.Flash(views.FlashInfo, "invalidation cancelled: nothing deleted")
	case "enter":
		ps, err := m.Patterns()
		if err != nil {
			m.confirming = false
			return views.Flash(views.FlashWarn, err.Error())
		}
		if m.confirm.Value() != strings.Join(ps, " ") {
			return views.Flash(views.FlashWarn, "that is not the pattern text: nothing deleted")
		}
		m.confirming = false
		return m.startRun(ps)
	}
	m.confirm.Update(msg)
	return nil
}

func (m *Model) startRun(ps []string) tea.Cmd {
	m.total = -1
	if m.previewed(ps) {
		m.total = m.preview.Matched
	}
	m.progress, m.result, m.runErr = redisops.InvalidateProgress{}, nil, nil
	m.runRate = m.rateValue()
	spec := runSpec{
		client: m.c.Client, log: m.log, auditPath: m.c.AuditFile(), profile: m.c.Profile,
		patterns: ps, matched: max(m.total, 0), rate: m.runRate,
	}
	if m.backupOn {
		// The file is named when the run starts, not when b was pressed:
		// two runs never share a name.
		spec.backupDir, spec.now = m.backupDir(), m.c.Clock()()
	}
	pane := m.id
	m.job = startJob(nextSeq(), "an invalidation", func(ctx context.Context, j *runJob) { spec.run(ctx, pane, j) })
	return m.job.Wait()
}

// backupDir is where backups go: next to the audit log. Empty when there
// is no state directory.
func (m *Model) backupDir() string {
	path := m.c.AuditFile()
	if path == "" {
		return ""
	}
	return filepath.Dir(path)
}

func (m *Model) toggleBackup() tea.Cmd {
	if !m.backupOn && m.backupDir() == "" {
		return views.Flash(views.FlashWarn, "no state directory for a backup (set XDG_STATE_HOME or HOME)")
	}
	m.backupOn = !m.backupOn
	return nil
}
