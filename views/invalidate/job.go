package invalidate

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/redisops"
)

// runJob is one invalidation running in the background, shaped like the
// memory pane's breakdown: progress goes to Update through events (dropped
// when Update lags), the final message always gets through unless the
// pane stopped.
type runJob struct {
	id       uint64
	cancel   context.CancelFunc
	events   chan tea.Msg
	quit     chan struct{}
	quitOnce sync.Once
}

// runSpec is what a run needs, captured from the model when it starts.
type runSpec struct {
	client    *redisops.Client
	log       *audit.Log
	auditPath string
	profile   string
	patterns  []string
	rate      int
	backup    string // file path; empty: no backup
}

func startRun(pane, id uint64, s runSpec) *runJob {
	ctx, cancel := context.WithCancel(context.Background())
	j := &runJob{id: id, cancel: cancel, events: make(chan tea.Msg, 1), quit: make(chan struct{})}
	go j.run(ctx, pane, s)
	return j
}

func (j *runJob) send(msg tea.Msg) {
	select {
	case j.events <- msg:
	case <-j.quit:
	}
}

func (j *runJob) run(ctx context.Context, pane uint64, s runSpec) {
	defer close(j.events)
	done := doneMsg{pane: pane, job: j.id, log: s.log}
	// The attempt is in the audit log before anything is deleted: a log
	// that cannot be written stops the run.
	if done.log == nil {
		l, err := audit.Open(s.auditPath)
		if err != nil {
			done.blocked = err
			j.send(done)
			return
		}
		done.log = l
	}
	entry := audit.Entry{Server: s.client.Addr, Profile: s.profile, Action: "invalidate", Patterns: s.patterns, Outcome: audit.Attempted}
	if s.backup != "" {
		entry.Target = "backup " + s.backup
	}
	if err := done.log.Append(entry); err != nil {
		done.blocked = err
		j.send(done)
		return
	}
	o := redisops.InvalidateOptions{Patterns: s.patterns, Rate: s.rate}
	var bf *os.File
	if s.backup != "" {
		f, err := createBackup(s.backup)
		if err != nil {
			done.err = err
			entry.Outcome, entry.Error = audit.Failed, err.Error()
			done.auditErr = done.log.Append(entry)
			j.send(done)
			return
		}
		bf = f
		o.Backup = f
	}
	gov := redisops.NewGovernor(s.client, redisops.GovernorOptions{Budget: GovernorBudget})
	gov.Start(ctx)
	o.Governor = gov
	o.Progress = func(p redisops.InvalidateProgress) {
		select {
		case j.events <- progressMsg{pane: pane, job: j.id, p: p}:
		default:
		}
	}
	start := time.Now()
	res, err := s.client.Invalidate(ctx, o)
	gov.Stop()
	if bf != nil {
		if cerr := closeBackup(bf); err == nil && cerr != nil {
			err = cerr
		}
	}
	if res == nil {
		res = &redisops.InvalidateResult{Patterns: s.patterns, Duration: time.Since(start)}
	}
	done.res, done.err = res, err
	entry.Matched, entry.Deleted, entry.DurationMs = res.Matched, res.Deleted, res.Duration.Milliseconds()
	switch {
	case err != nil:
		entry.Outcome, entry.Error = audit.Failed, redisops.Describe(err)
	case res.Cancelled:
		entry.Outcome = audit.Cancelled
	default:
		entry.Outcome = audit.Done
	}
	done.auditErr = done.log.Append(entry)
	j.send(done)
}

func createBackup(path string) (*os.File, error) {
	if path == "" {
		return nil, errors.New("backup: no path")
	}
	if err := os.MkdirAll(dirOf(path), 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

func closeBackup(f *os.File) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// wait returns the job's next message; nil once the job has ended.
func (j *runJob) wait() tea.Cmd {
	events := j.events
	return func() tea.Msg {
		msg, ok := <-events
		if !ok {
			return nil
		}
		return msg
	}
}

// stop cancels the run and lets the goroutine end even if nobody reads
// its last message.
func (j *runJob) stop() {
	j.cancel()
	j.quitOnce.Do(func() { close(j.quit) })
}
