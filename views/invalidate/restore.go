package invalidate

import (
	"context"
	"fmt"
	"os"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// restoreWord is what the operator types to confirm a restore, on every
// profile: a restore writes into a live cache and, with replace, overwrites
// what the application wrote since.
const restoreWord = "restore"

type (
	restorePreviewMsg struct {
		pane, seq uint64
		p         *redisops.RestorePreview
		err       error
	}
	restoreProgressMsg struct {
		pane, job uint64
		r         redisops.RestoreResult
	}
	restoreDoneMsg struct {
		pane, job uint64
		log       *audit.Log
		res       redisops.RestoreResult
		elapsed   time.Duration
		err       error
		blocked   error // the audit log or the file could not be opened: nothing ran
		auditErr  error
	}
)

// restoreForm is the restore flow: a backup file, what restoring it would
// do, the replace choice, the typed confirmation, then the run's progress
// and result.
type restoreForm struct {
	path    widgets.Input
	editing bool
	replace bool // overwrite keys that exist now instead of skipping them

	previewSeq  uint64
	preview     *redisops.RestorePreview
	previewPath string // the file the preview read
	previewErr  error

	confirming bool
	confirm    widgets.Input

	total    int64 // keys in the file being restored
	progress redisops.RestoreResult
	result   *redisops.RestoreResult
	elapsed  time.Duration
	runErr   error
}

func (f *restoreForm) capturing() bool { return f.editing || f.confirming }

func (f *restoreForm) paste(msg tea.PasteMsg) {
	switch {
	case f.confirming:
		f.confirm.Update(msg)
	case f.editing:
		f.path.Update(msg)
		f.preview, f.previewErr = nil, nil
	}
}

// toRestore is how many keys of the previewed file a restore would write.
func (f *restoreForm) toRestore() int64 { return f.preview.ToRestore(f.replace) }

// Accessors for tests.

func (m *Model) Restoring() bool { return m.restore != nil }
func (m *Model) RestorePreview() (*redisops.RestorePreview, error) {
	if m.restore == nil {
		return nil, nil
	}
	return m.restore.preview, m.restore.previewErr
}
func (m *Model) RestoreResult() (*redisops.RestoreResult, error) {
	if m.restore == nil {
		return nil, nil
	}
	return m.restore.result, m.restore.runErr
}

// openRestore shows the restore form with the path line being edited,
// holding the last backup this session wrote: R then enter previews it.
func (m *Model) openRestore() {
	f := &restoreForm{editing: true}
	f.path = widgets.Input{Prompt: "file ", Placeholder: "path of a backup-….ndjson file"}
	f.path.SetValue(m.lastBackup)
	m.restore = f
}

// restoreFrom opens the restore form on a backup chosen elsewhere (the
// Backups tab) and previews it.
func (m *Model) restoreFrom(path string) tea.Cmd {
	switch {
	case m.c.ReadOnly:
		return views.Flash(views.FlashWarn, "read-only session: nothing can be restored")
	case m.job != nil:
		return views.Flash(views.FlashInfo, m.job.action+" is running: esc cancels it")
	case m.restore != nil && m.restore.capturing():
		return views.Flash(views.FlashInfo, "the restore form is being edited: finish or leave it first")
	}
	m.openRestore()
	m.restore.editing = false
	m.restore.path.SetValue(path)
	return m.startRestorePreview()
}

func (m *Model) restoreHelp() []key.Binding {
	return []key.Binding{m.keys.edit, m.keys.preview, m.keys.replace, m.keys.restoreRun, m.keys.back}
}

func (m *Model) updateRestore(msg tea.Msg) tea.Cmd {
	f := m.restore
	switch msg := msg.(type) {
	case restorePreviewMsg:
		if msg.pane != m.id || f == nil || msg.seq != f.previewSeq {
			return nil
		}
		f.previewSeq = 0
		if msg.err != nil {
			f.previewErr = msg.err
			return views.Flash(views.FlashError, "restore preview failed: "+redisops.Describe(msg.err))
		}
		f.preview = msg.p
	case restoreProgressMsg:
		if msg.pane != m.id || m.job == nil || msg.job != m.job.ID {
			return nil
		}
		if f != nil {
			f.progress = msg.r
		}
		return m.job.Wait()
	case restoreDoneMsg:
		if msg.pane != m.id || m.job == nil || msg.job != m.job.ID {
			return nil
		}
		return m.restoreFinished(msg)
	}
	return nil
}

func (m *Model) restoreKey(msg tea.KeyPressMsg) tea.Cmd {
	f := m.restore
	if f.confirming {
		return m.restoreAnswer(msg)
	}
	if f.editing {
		switch msg.Keystroke() {
		case "enter":
			f.editing = false
			return m.startRestorePreview()
		case "esc":
			f.editing = false
		default:
			f.path.Update(msg)
			f.preview, f.previewErr = nil, nil
		}
		return nil
	}
	switch {
	case key.Matches(msg, m.keys.cancel) && m.job != nil:
		// The batch in flight finishes; the exact counts come back in
		// restoreDoneMsg.
		m.job.RequestCancel()
	case m.job != nil:
		if key.Matches(msg, m.keys.edit, m.keys.preview, m.keys.replace, m.keys.restoreRun) {
			return views.Flash(views.FlashInfo, m.job.action+" is running: esc cancels it")
		}
	case key.Matches(msg, m.keys.back):
		m.restore = nil
	case key.Matches(msg, m.keys.edit):
		f.editing = true
	case key.Matches(msg, m.keys.preview):
		return m.startRestorePreview()
	case key.Matches(msg, m.keys.replace):
		f.replace = !f.replace
	case key.Matches(msg, m.keys.restoreRun):
		return m.askRestore()
	}
	return nil
}

func (m *Model) startRestorePreview() tea.Cmd {
	f := m.restore
	if m.c.Client == nil {
		return nil
	}
	path := f.path.Value()
	if path == "" {
		return views.Flash(views.FlashWarn, "type the path of a backup file first (enter edits)")
	}
	f.previewSeq = nextSeq()
	f.preview, f.previewErr, f.previewPath = nil, nil, path
	pane, seq, c := m.id, f.previewSeq, m.c.Client
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), previewTimeout)
		defer cancel()
		file, err := os.Open(path)
		if err != nil {
			return restorePreviewMsg{pane: pane, seq: seq, err: fmt.Errorf("backup file: %w (check the path)", err)}
		}
		defer file.Close()
		p, err := c.PreviewRestore(ctx, file, nil, previewSample)
		return restorePreviewMsg{pane: pane, seq: seq, p: p, err: err}
	}
}

func (m *Model) askRestore() tea.Cmd {
	f := m.restore
	switch {
	case m.c.ReadOnly:
		return views.Flash(views.FlashWarn, "read-only session: nothing can be restored")
	case m.c.Client == nil:
		return nil
	case f.preview == nil || f.previewPath != f.path.Value():
		return views.Flash(views.FlashWarn, "preview first (p): see what would be restored")
	case f.toRestore() == 0:
		return views.Flash(views.FlashWarn, "nothing to restore: every key of the file exists now or has expired (o replaces existing keys)")
	}
	f.confirming = true
	f.confirm = widgets.Input{Prompt: "> ", Placeholder: "type " + restoreWord + " here"}
	return nil
}

func (m *Model) restoreAnswer(msg tea.KeyPressMsg) tea.Cmd {
	f := m.restore
	switch msg.Keystroke() {
	case "esc":
		f.confirming = false
		return views.Flash(views.FlashInfo, "restore cancelled: nothing restored")
	case "enter":
		if f.confirm.Value() != restoreWord {
			return views.Flash(views.FlashWarn, "type "+restoreWord+" to confirm: nothing restored")
		}
		f.confirming = false
		if m.c.ReadOnly { // the session may have turned read-only meanwhile
			return views.Flash(views.FlashWarn, "read-only session: nothing can be restored")
		}
		return m.startRestore()
	}
	f.confirm.Update(msg)
	return nil
}

func (m *Model) startRestore() tea.Cmd {
	f := m.restore
	f.total = f.preview.Records
	m.runRate = m.rateValue()
	f.progress, f.result, f.runErr, f.elapsed = redisops.RestoreResult{}, nil, nil, 0
	spec := restoreSpec{
		client: m.c.Client, log: m.log, auditPath: m.c.AuditFile(), profile: m.c.Profile,
		path: f.path.Value(), replace: f.replace, records: f.preview.Records, rate: m.runRate,
	}
	pane := m.id
	m.job = startJob(nextSeq(), "a restore", func(ctx context.Context, j *runJob) { spec.run(ctx, pane, j) })
	return m.job.Wait()
}

func (m *Model) restoreFinished(msg restoreDoneMsg) tea.Cmd {
	m.job.stop()
	m.job = nil
	if msg.log != nil {
		m.log = msg.log
	}
	f := m.restore
	if f == nil { // esc cancels a running restore rather than closing its form
		f = &restoreForm{}
		m.restore = f
	}
	// What was previewed is stale now.
	f.preview = nil
	if msg.blocked != nil {
		f.result, f.runErr = nil, msg.blocked
		return views.Flash(views.FlashError, "nothing restored: "+msg.blocked.Error())
	}
	f.result, f.runErr, f.elapsed, f.progress = &msg.res, msg.err, msg.elapsed, msg.res
	cmds := []tea.Cmd{views.KeysChanged(true)} // the keys pane and inspector refresh
	switch {
	case msg.err != nil:
		cmds = append(cmds, views.Flash(views.FlashError, "restore failed: "+restoreCounts(msg.res)+": "+redisops.Describe(msg.err)))
	case msg.res.Cancelled:
		cmds = append(cmds, views.Flash(views.FlashWarn, restoreCancelledText(msg.res)))
	default:
		cmds = append(cmds, views.Flash(views.FlashInfo, "restored: "+restoreCounts(msg.res)))
	}
	if msg.auditErr != nil {
		cmds = append(cmds, views.Flash(views.FlashWarn, "the restore's outcome is not in the audit log: "+msg.auditErr.Error()))
	}
	return tea.Batch(cmds...)
}

func restoreCounts(r redisops.RestoreResult) string {
	return fmt.Sprintf("%s restored%s, %s skipped (exist now), %s expired since the backup, %s failed",
		views.Commas(r.Restored), unconfirmedNote(r.Unconfirmed), views.Commas(r.Skipped), views.Commas(r.Expired), views.Commas(r.Failed))
}

func restoreCancelledText(r redisops.RestoreResult) string {
	return "restore cancelled: " + restoreCounts(r) + " (exact)"
}

// restoreSpec is what a restore needs, captured from the model when it
// starts.
type restoreSpec struct {
	client    *redisops.Client
	log       *audit.Log
	auditPath string
	profile   string
	path      string
	replace   bool
	records   int64 // keys in the file, from the preview
	rate      int
}

func (s restoreSpec) run(ctx context.Context, pane uint64, j *runJob) {
	done := restoreDoneMsg{pane: pane, job: j.ID}
	log, err := openAudit(s.log, s.auditPath)
	if err != nil {
		done.blocked = err
		j.Send(done)
		return
	}
	done.log = log
	file, err := os.Open(s.path)
	if err != nil {
		done.blocked = fmt.Errorf("backup file: %w (check the path)", err)
		j.Send(done)
		return
	}
	defer file.Close()
	entry := audit.Entry{Server: s.client.Addr, Profile: s.profile, Action: "restore", Target: s.path, Matched: s.records, Outcome: audit.Attempted}
	if err := j.audit.attempt(log, entry); err != nil {
		done.blocked = auditBlocked(err)
		j.Send(done)
		return
	}
	gov := redisops.NewGovernor(s.client, redisops.GovernorOptions{Budget: GovernorBudget})
	gov.Start(ctx)
	o := redisops.RestoreOptions{
		Replace:  s.replace,
		Rate:     s.rate,
		Governor: gov,
		Progress: func(r redisops.RestoreResult) {
			j.Offer(restoreProgressMsg{pane: pane, job: j.ID, r: r})
		},
	}
	start := time.Now()
	res, err := s.client.Restore(ctx, file, o)
	gov.Stop()
	done.res, done.err, done.elapsed = res, err, time.Since(start)
	// Matched is what the restore went through: all the records unless it
	// stopped early, as the headless restore writes it.
	entry.Matched = res.Restored + res.Skipped + res.Expired + res.Failed
	entry.Restored, entry.Unconfirmed = res.Restored, res.Unconfirmed
	entry.DurationMs = done.elapsed.Milliseconds()
	setOutcome(&entry, err, res.Cancelled)
	done.auditErr = j.audit.outcome(entry)
	j.Send(done)
}
