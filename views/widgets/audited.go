package widgets

import (
	"context"
	"sync"
	"time"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/redisops"
)

// Audited is what an audited mutation did.
type Audited struct {
	Log      *audit.Log // the audit log, opened here when it was not yet
	Blocked  error      // the audit log could not be written: nothing ran
	Err      error      // the mutation failed
	AuditErr error      // the outcome line could not be written
}

// RunAudited writes entry as attempted to log (opening the log at path
// when log is nil; a log that cannot be opened or written stops the
// mutation before it starts), runs run with a timeout, then writes the
// outcome with its duration. It blocks: call it inside a tea.Cmd.
func RunAudited(log *audit.Log, path string, entry audit.Entry, timeout time.Duration, run func(context.Context) error) Audited {
	return RunAuditedCounting(log, path, entry, timeout, func(ctx context.Context, _ *audit.Entry) error { return run(ctx) })
}

// RunAuditedCounting is RunAudited for a mutation whose reply says what it
// did (UNLINK's count): run records it in outcome (Deleted…), the line
// written after it, whether it succeeded or not.
func RunAuditedCounting(log *audit.Log, path string, entry audit.Entry, timeout time.Duration, run func(ctx context.Context, outcome *audit.Entry) error) Audited {
	inFlight.Add(1)
	defer inFlight.Done()
	res := Audited{Log: log}
	if log == nil {
		l, err := audit.Open(path)
		if err != nil {
			res.Blocked = err
			return res
		}
		res.Log = l
	}
	entry.Outcome = audit.Attempted
	if err := res.Log.Append(entry); err != nil {
		res.Blocked = err
		return res
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	res.Err = run(ctx, &entry)
	entry.DurationMs = time.Since(start).Milliseconds()
	entry.Outcome = audit.Done
	if res.Err != nil {
		entry.Outcome, entry.Error = audit.Failed, redisops.Describe(res.Err)
	}
	res.AuditErr = res.Log.Append(entry)
	return res
}

// inFlight counts the audited mutations running now: the console waits
// for them on exit, so that no "attempted" line is left without its
// outcome.
var inFlight sync.WaitGroup

// WaitAudited waits up to d for the audited mutations in flight to write
// their outcome, and reports whether they all did.
func WaitAudited(d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		inFlight.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
