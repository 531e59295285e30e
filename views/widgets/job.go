package widgets

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Job is a pane's run in the background (an invalidation, a restore, a
// warm run): progress goes to Update through one channel, the newest
// replacing one still unread (Offer), the final message always gets through
// unless the pane stopped (Send), and stopping lets the work end even if
// nobody reads its last message. Panes embed it in their own job type.
type Job struct {
	ID     uint64
	cancel context.CancelFunc
	ctx    context.Context
	// cancelled: esc, Ctrl-C or a stop asked the run to end. Only the
	// model's goroutine reads and sets it.
	cancelled bool
	events    chan tea.Msg
	quit      chan struct{}
	quitOnce  sync.Once
	ended     chan struct{} // closed when the work has returned
}

// NewJob is a job not started yet: the pane builds its own job type
// around it before Start, so that the work sees it whole.
func NewJob(id uint64) *Job {
	ctx, cancel := context.WithCancel(context.Background())
	return &Job{ID: id, ctx: ctx, cancel: cancel, events: make(chan tea.Msg, 1), quit: make(chan struct{}), ended: make(chan struct{})}
}

// Start runs work in a goroutine with the job's context, which
// RequestCancel ends.
func (j *Job) Start(work func(ctx context.Context)) {
	go func() {
		defer close(j.ended)
		defer close(j.events)
		work(j.ctx)
	}()
}

// RequestCancel asks the run to stop before its next batch; the batch in
// flight finishes, and the exact counts come back in the final message.
func (j *Job) RequestCancel() {
	j.cancelled = true
	j.cancel()
}

// Cancelled reports whether the run was asked to stop.
func (j *Job) Cancelled() bool { return j.cancelled }

// Send delivers the job's final message, or drops it once the pane
// stopped.
func (j *Job) Send(msg tea.Msg) {
	select {
	case j.events <- msg:
	case <-j.quit:
	}
}

// Offer delivers a progress message without waiting for the screen: an
// older one still unread is replaced, so the newest state (a phase change
// just before the work blocks, say) is what the pane shows next.
func (j *Job) Offer(msg tea.Msg) {
	for range 2 { // a second try only if the reader took the old one meanwhile
		select {
		case j.events <- msg:
			return
		default:
		}
		select {
		case <-j.events: // older than msg: dropped
		default:
		}
	}
}

// Wait returns the job's next message; nil once the job has ended.
func (j *Job) Wait() tea.Cmd {
	events := j.events
	return func() tea.Msg {
		msg, ok := <-events
		if !ok {
			return nil
		}
		return msg
	}
}

// Ended is closed once the work has returned.
func (j *Job) Ended() <-chan struct{} { return j.ended }

// HasEnded reports whether the run's work is over (its final message may
// still be on its way to Update).
func (j *Job) HasEnded() bool {
	select {
	case <-j.ended:
		return true
	default:
		return false
	}
}

// Stop cancels the run, lets the work end even if nobody reads its last
// message, and waits for it up to d: quitting the console mid-run must
// not leave an "attempted" audit line without its outcome. It reports
// whether the run ended in time.
func (j *Job) Stop(d time.Duration) bool {
	j.RequestCancel()
	j.quitOnce.Do(func() { close(j.quit) })
	return j.WaitEnded(d)
}

// WaitEnded waits up to d for the work to return.
func (j *Job) WaitEnded(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-j.ended:
		return true
	case <-t.C:
		return false
	}
}
