package invalidate

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// runJob is one mutation (an invalidation or a restore) running in the
// background, shaped like the memory pane's breakdown: a widgets.Job
// (progress dropped when Update lags, the final message always delivered
// unless the pane stopped) with the run's audit lines.
type runJob struct {
	*widgets.Job
	action string // "an invalidation", "a restore": for "… is running"

	audit runAudit // the run's audit lines, shared with Stop
}

// stopWait bounds how long stopping waits for a run to end. Cancelling
// stops a run within one batch (milliseconds); the wait is what lets it
// write its outcome to the audit log before the console exits. A batch
// stuck on a dead connection can outlast it: Stop then writes the outcome
// as unknown (runAudit.abandon). A variable so that tests can shorten it.
var stopWait = 10 * time.Second

func startJob(id uint64, action string, work func(ctx context.Context, j *runJob)) *runJob {
	j := &runJob{Job: widgets.NewJob(id), action: action}
	j.Start(func(ctx context.Context) { work(ctx, j) })
	return j
}

// stop cancels the run and waits for it up to stopWait; it reports
// whether the run ended in time.
func (j *runJob) stop() bool { return j.Stop(stopWait) }

// openAudit is log, or the audit log at path opened now. Its error is
// the reason a mutation is blocked, so it names the remedy.
func openAudit(log *audit.Log, path string) (*audit.Log, error) {
	if log != nil {
		return log, nil
	}
	l, err := audit.Open(path)
	if err != nil {
		return nil, auditBlocked(err)
	}
	return l, nil
}

func auditBlocked(err error) error {
	return fmt.Errorf("cannot write the audit log: %w (make the file and its directory writable)", err)
}

// runSpec is what an invalidation needs, captured from the model when it
// starts.
type runSpec struct {
	client    *redisops.Client
	log       *audit.Log
	auditPath string
	profile   string
	patterns  []string
	matched   int64 // the previewed count: what the operator confirmed
	rate      int
	backupDir string    // where the backup file goes; empty: no backup
	now       time.Time // names the backup file
}

func (s runSpec) run(ctx context.Context, pane uint64, j *runJob) {
	done := doneMsg{pane: pane, job: j.ID}
	log, err := openAudit(s.log, s.auditPath)
	if err != nil {
		done.blocked = err
		j.Send(done)
		return
	}
	done.log = log
	o := redisops.InvalidateOptions{Patterns: s.patterns, Rate: s.rate}
	// Patterns in display form, as the CLI logs them: control bytes in a
	// pattern never reach the log raw.
	entry := audit.Entry{Server: s.client.Addr, Profile: s.profile, Action: "invalidate", Patterns: decode.DisplayKeys(s.patterns),
		Matched: s.matched, Outcome: audit.Attempted}
	// The backup file exists before the attempt is logged, so that the
	// attempt names the file it wrote to.
	var backup *os.File
	if s.backupDir != "" {
		f, path, err := redisops.CreateBackupFile(s.backupDir, s.now)
		if err != nil {
			done.blocked = err
			j.Send(done)
			return
		}
		backup, done.backup = f, path
		entry.Target = "backup " + path
		o.Backup = f
	}
	if err := j.audit.attempt(log, entry); err != nil {
		done.blocked = auditBlocked(err)
		if backup != nil {
			_ = backup.Close()
			_ = os.Remove(done.backup) // still empty: nothing was deleted
			done.backup = ""
		}
		j.Send(done)
		return
	}
	gov := redisops.NewGovernor(s.client, redisops.GovernorOptions{Budget: GovernorBudget})
	gov.Start(ctx)
	o.Governor = gov
	o.Progress = func(p redisops.InvalidateProgress) {
		j.Offer(progressMsg{pane: pane, job: j.ID, p: p})
	}
	start := time.Now()
	res, err := s.client.Invalidate(ctx, o)
	gov.Stop()
	if backup != nil {
		if cerr := closeBackup(backup); err == nil && cerr != nil {
			err = cerr
		}
	}
	if res == nil {
		res = &redisops.InvalidateResult{Patterns: s.patterns, Duration: time.Since(start)}
	}
	done.res, done.err = res, err
	entry.Matched, entry.Deleted, entry.Unconfirmed = res.Matched, res.Deleted, res.Unconfirmed
	entry.DurationMs = res.Duration.Milliseconds()
	setOutcome(&entry, err, res.Cancelled)
	done.auditErr = j.audit.outcome(entry)
	j.Send(done)
}

func closeBackup(f *os.File) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
