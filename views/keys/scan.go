package keys

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/redisops"
)

// seqs numbers every request the pane makes (scans, metadata fetches,
// filters, sorts, ticks). One counter for the whole process, so a message
// can never be taken for another pane's or an older request's.
var seqs atomic.Uint64

func nextSeq() uint64 { return seqs.Add(1) }

// ScanBatchMsg carries keys found by the scan numbered Scan. Tests and
// benchmarks build one with Model.ScanBatch to load keys without Redis.
type ScanBatchMsg struct {
	Scan uint64
	Keys []redisops.ScannedKey
}

// ScanDoneMsg ends the scan numbered Scan: complete, stopped or failed.
type ScanDoneMsg struct {
	Scan   uint64
	Result redisops.ScanResult
	Err    error
}

// scanPausedMsg: the scan reached the loaded-keys cap and waits for L.
type scanPausedMsg struct{ scan uint64 }

type dbsizeMsg struct {
	scan uint64
	n    int64
	at   time.Time // when the request left
	err  error
}

// scanJob is one background SCAN. Its goroutine hands batches to Update
// through events (a small buffer: a scan that outruns the screen waits
// instead of piling keys up) and stops handing them out once allowance
// keys have gone out, until more raises it.
type scanJob struct {
	id     uint64
	cancel context.CancelFunc
	events chan tea.Msg
	more   chan int
}

func startScanJob(c *redisops.Client, id uint64, opts redisops.ScanOptions, allowance int) *scanJob {
	ctx, cancel := context.WithCancel(context.Background())
	j := &scanJob{id: id, cancel: cancel, events: make(chan tea.Msg, 4), more: make(chan int, 1)}
	go j.run(ctx, c, opts, allowance)
	return j
}

func (j *scanJob) run(ctx context.Context, c *redisops.Client, opts redisops.ScanOptions, allowance int) {
	defer close(j.events)
	send := func(msg tea.Msg) bool {
		select {
		case j.events <- msg:
			return true
		case <-ctx.Done():
			return false
		}
	}
	sent := 0
	res, err := c.Scan(ctx, opts, func(batch []redisops.ScannedKey) error {
		for len(batch) > 0 {
			// Pausing here, inside the consumer, keeps the scan's cursors
			// where they are: SCAN holds no state on the server, so resuming
			// minutes later continues the walk with SCAN's usual guarantee.
			for sent >= allowance {
				if !send(scanPausedMsg{scan: j.id}) {
					return ctx.Err()
				}
				select {
				case a := <-j.more:
					allowance = max(allowance, a)
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			n := min(len(batch), allowance-sent)
			if !send(ScanBatchMsg{Scan: j.id, Keys: batch[:n:n]}) {
				return ctx.Err()
			}
			sent += n
			batch = batch[n:]
		}
		return nil
	})
	send(ScanDoneMsg{Scan: j.id, Result: res, Err: err})
}

// wait returns the scan's next message; nil once the job has ended.
func (j *scanJob) wait() tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-j.events
		if !ok {
			return nil
		}
		return msg
	}
}

// raise lets a paused (or running) scan deliver up to allowance keys.
// Only Update calls it, so the drain-then-send never blocks.
func (j *scanJob) raise(allowance int) {
	select {
	case <-j.more:
	default:
	}
	j.more <- allowance
}

// dbsizeCmd sums DBSIZE over every node: the "~N keys" of the status line.
func dbsizeCmd(c *redisops.Client, scan uint64, clock func() time.Time) tea.Cmd {
	return func() tea.Msg {
		at := clock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var total atomic.Int64
		err := c.ForEachNode(ctx, func(ctx context.Context, node *redis.Client) error {
			n, err := node.DBSize(ctx).Result()
			if err != nil {
				return fmt.Errorf("dbsize %s: %w", node.Options().Addr, err)
			}
			total.Add(n)
			return nil
		})
		return dbsizeMsg{scan: scan, n: total.Load(), at: at, err: err}
	}
}
