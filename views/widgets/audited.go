package widgets

import (
	"context"
	"errors"
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
// written after it, whether it succeeded or not, and may set its Outcome
// to audit.Cancelled.
func RunAuditedCounting(log *audit.Log, path string, entry audit.Entry, timeout time.Duration, run func(ctx context.Context, outcome *audit.Entry) error) Audited {
	res := Audited{Log: log}
	if !mutations.begin() {
		res.Blocked = errExiting
		return res
	}
	defer mutations.end()
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
	// A run that stopped on the operator's cancel says so (outcome.Outcome
	// = audit.Cancelled) with its counts; anything else is done or failed.
	if entry.Outcome != audit.Cancelled {
		entry.Outcome = audit.Done
	}
	if res.Err != nil {
		if entry.Outcome != audit.Cancelled {
			entry.Outcome = audit.Failed
		}
		entry.Error = redisops.Describe(res.Err)
	}
	res.AuditErr = res.Log.Append(entry)
	return res
}

// errExiting blocks a mutation whose command only started once the
// console had begun to exit: nothing is attempted, nothing is logged.
var errExiting = errors.New("the console is exiting: nothing was changed")

// mutations counts the audited mutations running now. The console waits
// for them on exit (FinishAudited), so that no "attempted" line is left
// without its outcome, and none may start after that.
var mutations = &inFlight{}

type inFlight struct {
	mu      sync.Mutex
	n       int
	idle    chan struct{} // closed while n == 0
	exiting bool
}

// begin registers a mutation about to write its attempted line; false once
// the console is exiting.
func (f *inFlight) begin() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.exiting {
		return false
	}
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
	return true
}

func (f *inFlight) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 {
		close(f.idle)
	}
}

// OpenAudited is called as a console starts: audited mutations may run
// again. A process can show more than one console (tests, a reopened
// console), and each one's exit closed the gate behind it.
func OpenAudited() {
	mutations.mu.Lock()
	mutations.exiting = false
	mutations.mu.Unlock()
}

// FinishAudited is called once, as the console exits: no audited mutation
// may start any more, and it waits up to d for those running to write
// their outcome. It reports whether they all did.
func FinishAudited(d time.Duration) bool {
	mutations.mu.Lock()
	mutations.exiting = true
	idle := mutations.idle
	running := mutations.n > 0
	mutations.mu.Unlock()
	if !running {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-idle:
		return true
	case <-t.C:
		return false
	}
}

// TrackMutation registers a mutation that writes its own audit lines (a
// DigitalOcean resize: attempted, then accepted or failed), so that the
// console waits for it on exit as it does for RunAudited's. ok is false
// once the console is exiting: then nothing may start. Call done when its
// last line is written.
func TrackMutation() (done func(), ok bool) {
	if !mutations.begin() {
		return func() {}, false
	}
	return mutations.end, true
}
