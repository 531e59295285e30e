package memory

import (
	"context"
	"time"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// memJob is one breakdown running in the background. Its goroutine hands
// progress and the final report to Update through events, the way the
// keys pane streams a scan: Update re-arms Wait after each message.
// Progress is dropped rather than queued when Update lags (the next one
// is 100 ms away); the final report always gets through unless the pane
// stopped.
type memJob struct{ *widgets.Job }

func startJob(c *redisops.Client, pane, id uint64, o redisops.MemoryOptions) *memJob {
	j := &memJob{widgets.NewJob(id)}
	j.Start(func(ctx context.Context) { j.run(ctx, c, pane, o) })
	return j
}

func (j *memJob) run(ctx context.Context, c *redisops.Client, pane uint64, o redisops.MemoryOptions) {
	gov := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: GovernorBudget})
	gov.Start(ctx)
	defer gov.Stop()
	o.Governor = gov
	o.Progress = func(p redisops.MemoryProgress) {
		j.Offer(progressMsg{pane: pane, job: j.ID, p: p, p99: gov.P99(), pause: gov.Pause()})
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
	j.Send(doneMsg{pane: pane, job: j.ID, report: r, err: err, p99: gov.P99(), pause: gov.Pause()})
}

// stop cancels the walk and lets the goroutine end even if nobody reads
// its last message; it does not wait for it (a walk writes nothing).
func (j *memJob) stop() { j.Stop(0) }
