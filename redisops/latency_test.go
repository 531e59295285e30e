package redisops_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/coldcopy/cachedeck/redisops"
)

func TestLatencyWindowPercentiles(t *testing.T) {
	w := redisops.NewLatencyWindow(0)
	assert.Zero(t, w.Len())
	assert.Zero(t, w.P50(), "no samples: zero, not a panic")
	assert.Zero(t, w.P99())

	for i := 1; i <= 100; i++ {
		w.Add(time.Duration(i) * time.Millisecond)
	}
	assert.Equal(t, redisops.DefaultLatencyWindow, w.Len(), "only the last 60 are kept")
	// 41..100 ms are left.
	assert.Equal(t, 70*time.Millisecond, w.P50())
	assert.Equal(t, 100*time.Millisecond, w.P99())
	assert.Equal(t, 100*time.Millisecond, w.Max())

	w = redisops.NewLatencyWindow(200)
	for i := 200; i >= 1; i-- { // order of arrival does not matter
		w.Add(time.Duration(i) * time.Microsecond)
	}
	assert.Equal(t, 100*time.Microsecond, w.P50())
	assert.Equal(t, 198*time.Microsecond, w.P99())

	w = redisops.NewLatencyWindow(3)
	w.Add(5 * time.Millisecond)
	assert.Equal(t, 5*time.Millisecond, w.P50())
	assert.Equal(t, 5*time.Millisecond, w.P99())
	w.Add(time.Millisecond)
	w.Add(time.Millisecond)
	w.Add(time.Millisecond) // pushes out the 5 ms spike
	assert.Equal(t, time.Millisecond, w.P99())
	assert.Equal(t, 3, w.Len())
}

func TestLatencyWindowConcurrentUse(t *testing.T) {
	w := redisops.NewLatencyWindow(10)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				w.Add(time.Duration(i))
				_ = w.P99()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 10, w.Len())
}
