package backups

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// Backup kinds the pane starts.
const (
	KindBGSave   = "bgsave"
	KindDownload = "rdb"
	KindLogical  = "logical"
)

// runTimeout bounds a backup: a day covers the largest cache over the
// slowest link; esc cancels sooner.
const runTimeout = 24 * time.Hour

type (
	progressMsg struct {
		pane, job uint64
		text      string
	}
	doneMsg struct {
		pane, job uint64
		kind      string
		out       outcome
		log       *audit.Log
	}
)

// outcome is what a backup run ended with.
type outcome struct {
	Path      string
	Keys      int64
	Bytes     int64
	Duration  time.Duration
	Cancelled bool
	Summary   string
	Pruned    []string
	Refused   *redisops.RefusedError // BGSAVE or SYNC refused: a logical backup is offered
	Err       error
	Blocked   error // the audit log could not be written: nothing ran
	AuditErr  error
}

// job is a backup running in the background: progress comes back
// latest-first (older lines are dropped), then exactly one doneMsg.
type job struct {
	id        uint64
	kind      string
	cancel    context.CancelFunc
	cancelled bool
	progress  chan tea.Msg
	done      chan tea.Msg
	// final is the run's outcome, set before ended closes: what the
	// terminal is told when quitting stopped the run.
	final doneMsg
	ended chan struct{}
}

// stop cancels the run: the batch in flight finishes and the outcome
// comes back in doneMsg.
func (j *job) stop() {
	j.cancelled = true
	j.cancel()
}

// stopAndWait cancels the run and waits (bounded) for its outcome; false
// when it did not end in time.
func (j *job) stopAndWait(bound time.Duration) (doneMsg, bool) {
	j.stop()
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case <-j.ended:
		return j.final, true
	case <-t.C:
		return doneMsg{}, false
	}
}

func (j *job) wait() tea.Cmd {
	return func() tea.Msg {
		select {
		case msg := <-j.done:
			return msg
		case msg := <-j.progress:
			return msg
		}
	}
}

// offer hands on a progress line, replacing one not yet shown.
func (j *job) offer(msg tea.Msg) {
	for {
		select {
		case j.progress <- msg:
			return
		default:
		}
		select {
		case <-j.progress:
		default:
		}
	}
}

// spec is what a run needs, captured from the model when it starts.
type spec struct {
	client    *redisops.Client
	log       *audit.Log
	auditPath string
	profile   string
	dir       string
	keepDays  int
	kind      string
}

func (s spec) start(pane uint64) *job {
	ctx, cancel := context.WithCancel(context.Background())
	j := &job{id: nextSeq(), kind: s.kind, cancel: cancel, progress: make(chan tea.Msg, 1), done: make(chan tea.Msg, 1), ended: make(chan struct{})}
	go func() {
		defer cancel()
		out, log := s.run(ctx, pane, j)
		j.final = doneMsg{pane: pane, job: j.id, kind: s.kind, out: out, log: log}
		close(j.ended)
		j.done <- j.final
	}()
	return j
}

// run makes the backup inside the audited-mutation helper (attempted,
// then done, failed or cancelled with keys, size and duration), verifies
// it, then prunes older backups of the profile.
func (s spec) run(ctx context.Context, pane uint64, j *job) (outcome, *audit.Log) {
	var out outcome
	// A refusal known before anything runs is offered as a logical backup,
	// with nothing written to the audit log.
	switch s.kind {
	case KindBGSave:
		if why := s.client.CommandRefused(ctx, "bgsave"); why != "" {
			out.Refused = &redisops.RefusedError{Command: "BGSAVE", Reason: why}
			return out, s.log
		}
	case KindDownload:
		if why := s.client.CommandRefused(ctx, "sync"); why != "" {
			out.Refused = &redisops.RefusedError{Command: "SYNC", Reason: why}
			return out, s.log
		}
	}
	if s.kind != KindBGSave {
		if err := redisops.EnsureBackupDir(s.dir); err != nil {
			out.Blocked = err
			return out, s.log
		}
	}
	path, err := s.path()
	if err != nil {
		out.Blocked = err
		return out, s.log
	}
	target := "bgsave"
	if path != "" {
		target = s.kind + " " + path
	}
	entry := audit.Entry{Server: s.client.Addr, Profile: s.profile, Action: "backup", Target: target}
	res := widgets.RunAuditedCounting(s.log, s.auditPath, entry, runTimeout, func(tctx context.Context, e *audit.Entry) error {
		rctx, stop := context.WithCancel(tctx)
		defer stop()
		go func() {
			select {
			case <-ctx.Done():
				stop()
			case <-rctx.Done():
			}
		}()
		err := s.backup(rctx, pane, j, path, &out)
		if err != nil && s.kind == KindDownload && ctx.Err() != nil {
			// esc: DownloadRDB closed the stream and removed its temp
			// file; a cancelled run, not a failed one.
			out.Cancelled, out.Summary, err = true, "download cancelled: its temp file was removed, no backup was made", nil
		}
		e.Matched, e.Bytes = max(out.Keys, 0), out.Bytes
		if out.Cancelled && err == nil {
			e.Outcome = audit.Cancelled
		}
		return err
	})
	out.Blocked, out.AuditErr = res.Blocked, res.AuditErr
	if res.Err != nil {
		out.Err = res.Err
		var re *redisops.RefusedError
		if errors.As(res.Err, &re) {
			out.Refused = re
		}
	}
	if out.Err == nil && out.Blocked == nil && !out.Cancelled && out.Path != "" {
		plan, err := redisops.Prune(s.dir, redisops.Retention{KeepDays: s.keepDays, Profile: s.profile}, time.Now(), false)
		for _, e := range plan.Remove {
			out.Pruned = append(out.Pruned, e.Name)
		}
		if err != nil && out.Err == nil {
			out.Summary += " (prune: " + err.Error() + ")"
		}
	}
	return out, res.Log
}

// path is the new backup's file: an interrupted logical backup of the
// whole keyspace is resumed.
func (s spec) path() (string, error) {
	switch s.kind {
	case KindBGSave:
		return "", nil
	case KindLogical:
		if p, _, ok := redisops.FindResumable(s.dir, s.client.Addr, nil); ok {
			return p, nil
		}
		return redisops.NewBackupPath(s.dir, s.client.Addr, redisops.KindLogical, time.Now())
	}
	return redisops.NewBackupPath(s.dir, s.client.Addr, redisops.KindRDB, time.Now())
}

func (s spec) backup(ctx context.Context, pane uint64, j *job, path string, out *outcome) error {
	report := func(text string) { j.offer(progressMsg{pane: pane, job: j.id, text: text}) }
	switch s.kind {
	case KindBGSave:
		res, err := s.client.BGSave(ctx, redisops.BGSaveOptions{Progress: func(p redisops.BGSaveProgress) {
			keys := ""
			if p.KeysTotal > 0 {
				keys = fmt.Sprintf(" %d/%d keys", p.KeysProcessed, p.KeysTotal)
			}
			report(fmt.Sprintf("BGSAVE %s%s, %s", p.Phase, keys, p.Elapsed.Round(time.Second)))
		}})
		if res == nil {
			return err
		}
		out.Keys, out.Duration, out.Cancelled = res.KeysTotal, res.Duration, res.Cancelled
		switch {
		case res.Cancelled:
			out.Summary = "stopped waiting for BGSAVE: the save goes on on the server"
		case err == nil:
			how := ""
			if res.Joined {
				how = " (joined a save already running)"
			} else if res.Scheduled {
				how = " (after the AOF rewrite)"
			}
			out.Summary = fmt.Sprintf("BGSAVE done%s in %s: fork %s, copy-on-write %s", how, res.Duration.Round(time.Millisecond),
				(time.Duration(res.ForkUsec) * time.Microsecond).String(), views.Bytes(res.COWBytes))
		}
		return err
	case KindDownload:
		res, err := s.client.DownloadRDB(ctx, path, func(received, total int64) {
			of := ""
			if total > 0 {
				of = " of " + views.Bytes(total)
			}
			report("downloading: " + views.Bytes(received) + of)
		})
		if err != nil {
			out.Bytes = res.Bytes // received before the failure, for the audit line
			return err
		}
		out.Path, out.Keys, out.Bytes, out.Duration = res.Path, res.Info.Keys, res.Bytes, res.Duration
		m := redisops.BackupManifest{Kind: redisops.KindRDB, Server: s.client.Addr, Product: s.client.Server.Product, Version: s.client.Server.Version,
			Profile: s.profile, Keys: res.Info.Keys, Bytes: res.Bytes, Created: time.Now().UTC(), DurationMs: res.Duration.Milliseconds(), Diskless: res.Diskless}
		if err := redisops.WriteManifest(res.Path, m); err != nil {
			return fmt.Errorf("manifest: %w (the RDB file is sound)", err)
		}
		out.Summary = fmt.Sprintf("RDB downloaded and verified: %d keys, %s in %s", res.Info.Keys, views.Bytes(res.Bytes), res.Duration.Round(time.Millisecond))
		return nil
	}
	gov := redisops.NewGovernor(s.client, redisops.GovernorOptions{Budget: GovernorBudget})
	gov.Start(ctx)
	defer gov.Stop()
	res, err := s.client.LogicalBackup(ctx, path, redisops.LogicalOptions{Governor: gov, Profile: s.profile, Progress: func(p redisops.LogicalProgress) {
		report(fmt.Sprintf("logical backup: %d keys, %s, %s", p.Keys, views.Bytes(p.Bytes), p.Elapsed.Round(time.Second)))
	}})
	if res == nil {
		return err
	}
	out.Keys, out.Bytes, out.Duration, out.Cancelled = res.Keys, res.Bytes, res.Duration, res.Cancelled
	if err != nil {
		return err
	}
	if res.Cancelled {
		out.Summary = fmt.Sprintf("logical backup stopped at %d keys: l resumes it", res.Keys)
		return nil
	}
	if _, err := redisops.VerifyLogical(path); err != nil {
		return fmt.Errorf("the new backup failed verification: %w", err)
	}
	out.Path = path
	resumed := ""
	if res.ResumedFrom > 0 {
		resumed = " (resumed)"
	}
	out.Summary = fmt.Sprintf("logical backup verified%s: %d keys, %s in %s", resumed, res.Keys, views.Bytes(res.Bytes), res.Duration.Round(time.Millisecond))
	return nil
}
