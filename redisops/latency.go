package redisops

import (
	"slices"
	"sync"
	"time"
)

// DefaultLatencyWindow is how many round trips a LatencyWindow keeps when
// NewLatencyWindow is given no size.
const DefaultLatencyWindow = 60

// LatencyWindow is a ring of the last N PING round trips. It is safe for
// concurrent use: a prober may Add while a pane reads percentiles.
type LatencyWindow struct {
	mu      sync.Mutex
	samples []time.Duration
	next    int // where the next sample goes once the ring is full
}

// NewLatencyWindow keeps the last n samples (DefaultLatencyWindow when n <= 0).
func NewLatencyWindow(n int) *LatencyWindow {
	if n <= 0 {
		n = DefaultLatencyWindow
	}
	return &LatencyWindow{samples: make([]time.Duration, 0, n)}
}

// Add records one round trip, replacing the oldest once the window is full.
func (w *LatencyWindow) Add(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.samples) < cap(w.samples) {
		w.samples = append(w.samples, d)
		return
	}
	w.samples[w.next] = d
	w.next = (w.next + 1) % len(w.samples)
}

// Len is the number of samples held (at most the window size).
func (w *LatencyWindow) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.samples)
}

// P50 is the median round trip; 0 when there are no samples.
func (w *LatencyWindow) P50() time.Duration { return w.percentile(50) }

// P99 is the 99th percentile round trip (nearest rank: with fewer than 100
// samples, the slowest one); 0 when there are no samples.
func (w *LatencyWindow) P99() time.Duration { return w.percentile(99) }

// Max is the slowest round trip in the window; 0 when there are no samples.
func (w *LatencyWindow) Max() time.Duration { return w.percentile(100) }

// percentile uses the nearest-rank method: the smallest sample with at
// least p % of the samples at or below it.
func (w *LatencyWindow) percentile(p int) time.Duration {
	w.mu.Lock()
	sorted := slices.Clone(w.samples)
	w.mu.Unlock()
	if len(sorted) == 0 {
		return 0
	}
	slices.Sort(sorted)
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}
