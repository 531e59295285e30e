package memory

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/redisops"
)

// memJob is one breakdown running in the background. Its goroutine hands
// progress and the final report to Update through events, the way the
// keys pane streams a scan: Update re-arms wait after each message.
// Progress is dropped rather than queued when Update lags (the next one
// is 100 ms away); the final report always gets through unless the pane
// stopped.
type memJob struct {
	id       uint64
	cancel   context.CancelFunc
	events   chan tea.Msg
	quit     chan struct{}
	quitOnce sync.Once
}

func startJob(c *redisops.Client, pane, id uint64, o redisops.MemoryOptions) *memJob {
	ctx, cancel := context.WithCancel(context.Background())
	j := &memJob{id: id, cancel: cancel, events: make(chan tea.Msg, 1), quit: make(chan struct{})}
	go j.run(ctx, c, pane, o)
	return j
}

func (j *memJob) run(ctx context.Context, c *redisops.Client, pane uint64, o redisops.MemoryOptions) {
	defer close(j.events)
	gov := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: GovernorBudget})
	gov.Start(ctx)
	defer gov.Stop()
	o.Governor = gov
	o.Progress = func(p redisops.MemoryProgress) {
		select {
		case j.events <- progressMsg{pane: pane, job: j.id, p: p, p99: gov.P99(), pause: gov.Pause()}:
		default:
		}
	}
	start := time.Now()
	// The first progress report comes after 100 ms of work: say at once
	// that the walk started.
	o.Progress(redisops.MemoryProgress{Total: -1})
	// A restart or a slot move during the walk fails it: its sums would be
	// wrong without a word.
	var r *redisops.MemoryReport
	err := c.Unchanged(ctx, "memory breakdown", func(ctx context.Context) error {
		var err error
		r, err = c.MemoryBreakdown(ctx, o)
		return err
	})
	if r != nil && r.Duration == 0 {
		r.Duration = time.Since(start)
	}
	select {
	case j.events <- doneMsg{pane: pane, job: j.id, report: r, err: err, p99: gov.P99(), pause: gov.Pause()}:
	case <-j.quit:
	}
}

// wait returns the job's next message; nil once the job has ended.
func (j *memJob) wait() tea.Cmd {
	events := j.events
	return func() tea.Msg {
		msg, ok := <-events
		if !ok {
			return nil
		}
		return msg
	}
}

// stop cancels the walk and lets the goroutine end even if nobody reads
// its last message.
func (j *memJob) stop() {
	j.cancel()
	j.quitOnce.Do(func() { close(j.quit) })
}
