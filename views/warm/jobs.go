package warm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
	"github.com/coldcopy/cachedeck/warmer"
)

const (
	// governorBudget is the p99 latency runs keep the server under.
	governorBudget = 5 * time.Millisecond
	// runTimeout bounds a run: a paced restore of a big file takes long,
	// esc ends it sooner.
	runTimeout = time.Hour
	// previewTimeout bounds a preview's paced walk.
	previewTimeout = 15 * time.Minute
)

type (
	previewMsg struct {
		pane, seq uint64
		backup    *redisops.RestorePreview
		ttl       *redisops.TTLSpreadPreview
		err       error
	}
	progressMsg struct {
		pane, job uint64
		warm      *warmer.Progress
		restore   *redisops.RestoreResult
		spread    *redisops.TTLSpreadResult
	}
	doneMsg struct {
		pane, job uint64
		what      string
		report    *warmer.Report
		restore   *redisops.RestoreResult
		spread    *redisops.TTLSpreadResult
		audited   widgets.Audited
		entry     audit.Entry // the outcome line (for the last-run column)
		warmer    string
	}
)

// job is a run in the background: a widgets.Job (progress dropped while
// the last is unread, the final message always delivered unless the pane
// stopped) with what it is and its outcome.
type job struct {
	*widgets.Job
	what string // "warmer app", "the restore", "the TTL refresh"
	// final is the run's outcome, set before the work returns: what the
	// terminal is told when quitting stopped the run.
	final *doneMsg
}

func startJob(what string, work func(ctx context.Context, j *job)) *job {
	j := &job{Job: widgets.NewJob(nextSeq()), what: what}
	j.Start(func(ctx context.Context) { work(ctx, j) })
	return j
}

// finish records the run's outcome, then hands it to the pane.
func (j *job) finish(done doneMsg) {
	j.final = &done
	j.Send(done)
}

// stop cancels and waits (bounded) for the run to log its outcome, which
// it returns; nil when the run did not end in time.
func (j *job) stop() *doneMsg {
	if !j.Stop(10 * time.Second) {
		return nil
	}
	return j.final
}

// merged is ctx (the audited helper's, with its timeout) also ended by
// the job's cancel.
func merged(ctx, jobCtx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(jobCtx, cancel)
	return ctx, func() { stop(); cancel() }
}

// askWarm opens the confirmation for the selected warmer.
func (m *Model) askWarm() tea.Cmd {
	w, ok := m.selected()
	if !ok {
		return views.Flash(views.FlashWarn, "no warmer configured: set warm_url and token_env in the profile (README: Cache warming)")
	}
	mode := "once"
	if m.untilStable {
		mode = fmt.Sprintf("until no key is added (at most %d calls)", warmer.DefaultMaxRounds)
	}
	m.confirm.Open(widgets.Question{
		Title: "Run warmer " + decode.DisplayKey(w.Name) + "?",
		Text:  fmt.Sprintf("%s %s, %s, token from %s. The app writes to %s.", w.Method, warmer.ShownURL(w.URL), mode, w.TokenSource(), strings.Join(decode.DisplayKeys(w.Namespaces), ", ")),
		Note:  "Keys are counted before and after (SCAN, paced). Audited.",
		Yes:   func() tea.Cmd { return m.startWarm(w) },
	})
	return nil
}

func (m *Model) startWarm(w config.Warmer) tea.Cmd {
	if m.c.Client == nil {
		return nil
	}
	c, path, profile, pane, untilStable := m.c.Client, m.c.AuditFile(), m.c.Profile, m.id, m.untilStable
	m.live = liveWarm{warmer: w, before: make([]int64, len(w.Namespaces)), after: make([]int64, len(w.Namespaces)), known: make([]bool, len(w.Namespaces))}
	m.report, m.restored, m.spread, m.runErr, m.auditErr = nil, nil, nil, nil, nil
	m.resultFor = "warmer " + w.Name
	m.job = startJob("warmer "+w.Name, func(jobCtx context.Context, j *job) {
		done := doneMsg{pane: pane, job: j.ID, what: "warm", warmer: w.Name}
		token, err := w.ResolveToken()
		if err != nil && !errors.Is(err, config.ErrNoToken) {
			done.audited.Blocked = err
			j.finish(done)
			return
		}
		target := "warmer " + w.Name + " " + warmer.ShownURL(w.URL)
		entry := audit.Entry{Server: c.Addr, Profile: profile, Action: "warm", Target: target, Patterns: decode.DisplayKeys(w.Namespaces)}
		done.audited = widgets.RunAuditedCounting(nil, path, entry, runTimeout, func(ctx context.Context, out *audit.Entry) error {
			ctx, cancel := merged(ctx, jobCtx)
			defer cancel()
			gov := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: governorBudget})
			gov.Start(ctx)
			defer gov.Stop()
			rep, err := warmer.Run(ctx, c, w, token, warmer.RunOptions{Governor: gov, UntilStable: untilStable, Progress: func(p warmer.Progress) {
				j.Offer(progressMsg{pane: pane, job: j.ID, warm: &p})
			}})
			done.report = rep
			if rep != nil {
				out.Added = rep.Added()
				out.Target = fmt.Sprintf("%s: %d rounds, app warmed %d, errors %d", target, len(rep.Rounds), rep.Warmed, rep.Errors)
			}
			if err != nil && jobCtx.Err() != nil {
				out.Outcome = audit.Cancelled
			}
			done.entry = *out
			return err
		})
		if done.audited.Log != nil {
			_ = done.audited.Log.Close()
		}
		j.finish(done)
	})
	return m.job.Wait()
}

// startPreview reads what the form's action would do.
func (m *Model) startPreview() tea.Cmd {
	if m.c.Client == nil {
		return nil
	}
	c, pane := m.c.Client, m.id
	m.previewSeq = nextSeq()
	m.previewKey = m.formValues()
	m.backupPrev, m.ttlPrev, m.previewErr = nil, nil, nil
	seq := m.previewSeq
	// esc (or leaving the console) ends a preview's paced walk early.
	ctx, cancel := context.WithTimeout(context.Background(), previewTimeout)
	m.cancelPreview = cancel
	if m.mode == modeBackup {
		path, patterns := m.fields[0].Value(), strings.Fields(m.fields[1].Value())
		if path == "" {
			m.previewSeq = 0
			cancel()
			return views.Flash(views.FlashWarn, "type the path of a backup file first")
		}
		return func() tea.Msg {
			defer cancel()
			f, err := os.Open(path)
			if err != nil {
				return previewMsg{pane: pane, seq: seq, err: fmt.Errorf("backup file: %w (check the path)", err)}
			}
			defer f.Close()
			p, err := c.PreviewRestoreMatching(ctx, f, nil, 5, patterns)
			return previewMsg{pane: pane, seq: seq, backup: p, err: err}
		}
	}
	spec, err := m.ttlSpec()
	if err != nil {
		m.previewSeq = 0
		cancel()
		return views.Flash(views.FlashWarn, err.Error())
	}
	return func() tea.Msg {
		defer cancel()
		gov := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: governorBudget})
		gov.Start(ctx)
		defer gov.Stop()
		p, err := c.PreviewTTLSpread(ctx, spec.Patterns, 5, gov)
		return previewMsg{pane: pane, seq: seq, ttl: p, err: err}
	}
}

// ttlSpec reads the TTL form.
func (m *Model) ttlSpec() (redisops.TTLSpreadOptions, error) {
	var o redisops.TTLSpreadOptions
	o.Patterns = strings.Fields(m.fields[0].Value())
	if len(o.Patterns) == 0 {
		return o, errors.New("type a pattern first, e.g. coldcopy:lead_score:*")
	}
	ttl, err := time.ParseDuration(strings.TrimSpace(m.fields[1].Value()))
	if err != nil || ttl < time.Millisecond {
		return o, errors.New("ttl: a duration such as 1h or 5m")
	}
	jitter := time.Duration(0)
	if v := strings.TrimSpace(m.fields[2].Value()); v != "" {
		jitter, err = time.ParseDuration(v)
		if err != nil || jitter < 0 {
			return o, errors.New("jitter: a duration such as 6m, or empty for none")
		}
	}
	o.TTL, o.Jitter = ttl, jitter
	return o, nil
}

// askForm confirms the previewed backup or TTL action.
func (m *Model) askForm() tea.Cmd {
	if m.mode == modeBackup {
		p := m.backupPrev
		if p.ToRestore(false) == 0 {
			return views.Flash(views.FlashInfo, "nothing to restore: every matching key is cached now or expired")
		}
		path, patterns := m.fields[0].Value(), strings.Fields(m.fields[1].Value())
		m.confirm.Open(widgets.Question{
			Title: "Warm from backup?",
			Text:  fmt.Sprintf("Restore %d missing keys from %s on %s with the TTL they had left. Cached keys are kept.", p.ToRestore(false), path, m.c.Client.Addr),
			Note:  "Paced by the load governor; esc cancels. Audited.",
			Yes:   func() tea.Cmd { return m.startRestore(path, patterns) },
		})
		return nil
	}
	spec, err := m.ttlSpec()
	if err != nil {
		return views.Flash(views.FlashWarn, err.Error())
	}
	if m.ttlPrev.WithTTL == 0 {
		return views.Flash(views.FlashInfo, "nothing to change: no matching key has a TTL")
	}
	m.confirm.Open(widgets.Question{
		Title: "Spread TTLs?",
		Text:  fmt.Sprintf("Set the TTL of %d keys on %s to %s + random 0..%s. Keys without a TTL keep none.", m.ttlPrev.WithTTL, m.c.Client.Addr, spec.TTL, spec.Jitter),
		Note:  "Paced by the load governor; esc cancels. Audited.",
		Yes:   func() tea.Cmd { return m.startSpread(spec) },
	})
	return nil
}

func (m *Model) startRestore(path string, patterns []string) tea.Cmd {
	c, auditPath, profile, pane := m.c.Client, m.c.AuditFile(), m.c.Profile, m.id
	m.report, m.restored, m.spread, m.runErr, m.auditErr = nil, &redisops.RestoreResult{}, nil, nil, nil
	m.resultFor = "warm from " + path
	m.job = startJob("the restore", func(jobCtx context.Context, j *job) {
		done := doneMsg{pane: pane, job: j.ID, what: "restore"}
		entry := audit.Entry{Server: c.Addr, Profile: profile, Action: "warm-from-backup", Target: path, Patterns: decode.DisplayKeys(patterns)}
		done.audited = widgets.RunAuditedCounting(nil, auditPath, entry, runTimeout, func(ctx context.Context, out *audit.Entry) error {
			ctx, cancel := merged(ctx, jobCtx)
			defer cancel()
			f, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("backup file: %w", err)
			}
			defer f.Close()
			gov := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: governorBudget})
			gov.Start(ctx)
			defer gov.Stop()
			res, err := c.Restore(ctx, f, redisops.RestoreOptions{Patterns: patterns, Governor: gov, Progress: func(r redisops.RestoreResult) {
				j.Offer(progressMsg{pane: pane, job: j.ID, restore: &r})
			}})
			done.restore = &res
			out.Matched = res.Restored + res.Skipped + res.Expired + res.Failed
			out.Restored, out.Unconfirmed = res.Restored, res.Unconfirmed
			if res.Cancelled {
				out.Outcome = audit.Cancelled
			}
			return err
		})
		if done.audited.Log != nil {
			_ = done.audited.Log.Close()
		}
		j.finish(done)
	})
	return m.job.Wait()
}

func (m *Model) startSpread(o redisops.TTLSpreadOptions) tea.Cmd {
	c, auditPath, profile, pane := m.c.Client, m.c.AuditFile(), m.c.Profile, m.id
	m.report, m.restored, m.spread, m.runErr, m.auditErr = nil, nil, &redisops.TTLSpreadResult{}, nil, nil
	m.resultFor = "TTL refresh of " + strings.Join(decode.DisplayKeys(o.Patterns), " ")
	m.job = startJob("the TTL refresh", func(jobCtx context.Context, j *job) {
		done := doneMsg{pane: pane, job: j.ID, what: "ttl-spread"}
		entry := audit.Entry{Server: c.Addr, Profile: profile, Action: "ttl-spread", Patterns: decode.DisplayKeys(o.Patterns),
			Target: fmt.Sprintf("ttl %s + jitter %s", o.TTL, o.Jitter)}
		done.audited = widgets.RunAuditedCounting(nil, auditPath, entry, runTimeout, func(ctx context.Context, out *audit.Entry) error {
			ctx, cancel := merged(ctx, jobCtx)
			defer cancel()
			gov := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: governorBudget})
			gov.Start(ctx)
			defer gov.Stop()
			o.Governor = gov
			o.Progress = func(r redisops.TTLSpreadResult) { j.Offer(progressMsg{pane: pane, job: j.ID, spread: &r}) }
			res, err := c.TTLSpread(ctx, o)
			if res != nil {
				done.spread = res
				out.Matched, out.Updated = res.Matched, res.Updated
				if res.Cancelled {
					out.Outcome = audit.Cancelled
				}
			}
			return err
		})
		if done.audited.Log != nil {
			_ = done.audited.Log.Close()
		}
		j.finish(done)
	})
	return m.job.Wait()
}

// progress folds a progress message into the live view.
func (m *Model) progress(msg progressMsg) {
	switch {
	case msg.warm != nil:
		p, l := *msg.warm, &m.live
		if p.Round != l.round && p.Round > 1 && p.Phase == warmer.PhaseCalling {
			copy(l.before, l.after) // the last round's after is this one's before
			clear(l.known)
		}
		l.round, l.phase = p.Round, p.Phase
		switch p.Phase {
		case warmer.PhaseBefore:
			if p.Namespace < len(l.before) {
				l.before[p.Namespace] = p.Keys
			}
		case warmer.PhaseAfter:
			if p.Namespace < len(l.after) {
				l.after[p.Namespace], l.known[p.Namespace] = p.Keys, true
			}
		case warmer.PhaseCalling:
			l.attempt = p.Attempt
			if p.Retrying != nil {
				l.retrying = p.Retrying.Error()
			}
		}
	case msg.restore != nil:
		m.restored = msg.restore
	case msg.spread != nil:
		m.spread = msg.spread
	}
}

func (m *Model) finished(msg doneMsg) tea.Cmd {
	m.job = nil
	a := msg.audited
	switch {
	case a.Blocked != nil:
		m.runErr = a.Blocked
		return views.Flash(views.FlashError, "not run: "+a.Blocked.Error())
	case msg.report != nil || msg.what == "warm":
		m.report = msg.report
	case msg.restore != nil:
		m.restored = msg.restore
	case msg.spread != nil:
		m.spread = msg.spread
	}
	m.runErr, m.auditErr = a.Err, a.AuditErr
	// Whatever the run ended with, it may have changed keys: the keys pane
	// and the inspector refresh what they show.
	changed := views.KeysChanged(true)
	if msg.what == "warm" {
		e := msg.entry
		e.Outcome = audit.Done
		if a.Err != nil {
			e.Outcome = audit.Failed
		}
		if msg.entry.Outcome == audit.Cancelled {
			e.Outcome = audit.Cancelled
		}
		e.Time = m.c.Clock()()
		m.lastRuns[msg.warmer] = e
	}
	if m.mode != modeList {
		m.previewKey = "" // what the form previewed has changed
	}
	switch {
	case a.AuditErr != nil:
		return tea.Batch(changed, views.Flash(views.FlashError, "ran, but the audit log could not be written: "+a.AuditErr.Error()))
	case a.Err != nil:
		return tea.Batch(changed, views.Flash(views.FlashError, a.Err.Error()))
	}
	return tea.Batch(changed, views.Flash(views.FlashInfo, m.resultFor+": done"))
}
