package invalidate

import (
	"errors"
	"sync"
	"time"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/redisops"
)

// unknownOutcome is the error of the outcome line Stop writes for a run
// that had not ended when the console exited.
const unknownOutcome = "the console exited before the run ended: its outcome is unknown (check the keys)"

// errExiting stops a run that had not yet logged its attempt when Stop
// gave up waiting for it: the process is about to end.
var errExiting = errors.New("the console is exiting")

// afterAttempt, when set, runs right after a run's attempted line is
// written, before anything changes: tests hold a run there.
var afterAttempt func()

// runAudit is a run's pair of audit lines. The job's goroutine writes both;
// when the run outlasts stopWait, Stop writes the outcome instead, from the
// attempted line kept here, so that the log never holds an attempt without
// its outcome. One outcome line per attempt, whoever writes it: a reader
// pairs them.
type runAudit struct {
	mu        sync.Mutex
	log       *audit.Log
	entry     *audit.Entry // the attempted line; nil until it is written
	started   time.Time
	abandoned bool // Stop gave up waiting: the run must not start now
	settled   bool // the outcome line is written, or being written
	// final is the outcome line, whoever wrote it: quitting mid-run
	// prints it on the terminal too.
	final *audit.Entry
}

// finalEntry is the run's outcome line, once one was written.
func (a *runAudit) finalEntry() (audit.Entry, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.final == nil {
		return audit.Entry{}, false
	}
	return *a.final, true
}

// attempt writes the attempted line e to log. It is kept before it is
// written, so that an attempt is never in the log without Stop knowing
// of it.
func (a *runAudit) attempt(log *audit.Log, e audit.Entry) error {
	a.mu.Lock()
	if a.abandoned {
		a.mu.Unlock()
		return errExiting
	}
	a.log, a.entry, a.started = log, &e, time.Now()
	a.mu.Unlock()
	if err := log.Append(e); err != nil {
		a.mu.Lock()
		a.entry = nil
		a.mu.Unlock()
		return err
	}
	if afterAttempt != nil {
		afterAttempt()
	}
	return nil
}

// outcome writes the run's outcome line e, unless Stop already wrote one.
func (a *runAudit) outcome(e audit.Entry) error {
	a.mu.Lock()
	if a.settled {
		a.mu.Unlock()
		return nil
	}
	a.settled = true
	a.final = &e
	log := a.log
	a.mu.Unlock()
	return log.Append(e)
}

// abandon is Stop's part for a run that did not end within stopWait: no
// run may start any more, and a run that logged its attempt gets its
// outcome line now, as unknown, since the process is about to end. It
// reports whether the run's goroutine is writing its own outcome line
// right now (then Stop waits a little longer for it).
func (a *runAudit) abandon() (writing bool) {
	a.mu.Lock()
	a.abandoned = true
	if a.entry == nil || a.settled {
		writing = a.settled
		a.mu.Unlock()
		return writing
	}
	a.settled = true
	e, log, started := *a.entry, a.log, a.started
	a.mu.Unlock()
	// Same action, patterns, target, profile and server as the attempt;
	// no counts: none is known.
	e.Outcome, e.Error = audit.Failed, unknownOutcome
	e.Matched, e.Deleted, e.Restored, e.Unconfirmed = 0, 0, 0, 0
	e.DurationMs = time.Since(started).Milliseconds()
	a.mu.Lock()
	a.final = &e
	a.mu.Unlock()
	_ = log.Append(e) // nowhere left to report a failure: the console is exiting
	return false
}

// setOutcome fills the outcome of a run's audit line from how it ended.
func setOutcome(e *audit.Entry, err error, cancelled bool) {
	switch {
	case err != nil:
		e.Outcome, e.Error = audit.Failed, redisops.Describe(err)
	case cancelled:
		e.Outcome = audit.Cancelled
	default:
		e.Outcome = audit.Done
	}
}
