package redisops_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

// fillPrefixed writes prefix+0 … prefix+(n-1) with MSET pipelines, a few in
// flight. The lead: keys are the ones the GET load of startGETLoad reads.
func fillPrefixed(tb testing.TB, rdb *redis.Client, prefix string, n int) {
	tb.Helper()
	const perMSET, perPipe, workers = 1000, 10, 4
	val := strings.Repeat("v", 48)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for {
				start := int(next.Add(perMSET*perPipe)) - perMSET*perPipe
				if start >= n {
					return
				}
				pipe := rdb.Pipeline()
				for s := start; s < min(start+perMSET*perPipe, n); s += perMSET {
					kv := make([]any, 0, 2*perMSET)
					for i := s; i < min(s+perMSET, n); i++ {
						kv = append(kv, prefix+strconv.Itoa(i), val)
					}
					pipe.MSet(ctx, kv...)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(tb, err)
	}
}

const luaScanUnlink = `local c = '0' local n = 0
repeat local r = redis.call('SCAN', c, 'MATCH', ARGV[1], 'COUNT', 1000) c = r[1]
  if #r[2] > 0 then n = n + redis.call('UNLINK', unpack(r[2])) end
until c == '0' return n`

// BenchmarkInvalidate2M deletes the 1M temp:* keys of a 2M-key database
// (1M lead:* keys stay), refilled before every run outside the timer:
// cachedeck unpaced, the runbook's `redis-cli --scan | xargs redis-cli DEL`
// and the server's own limit (one EVAL looping SCAN + UNLINK: it blocks the
// server for its whole length, which is what makes it a floor), all in the
// same run. Then the paced run under a GET load in a child process, and
// cachedeck's own memory during a run.
//
// Metrics: x-vs-redis-cli is redis-cli's time over cachedeck's;
// pct-of-lua-floor is cachedeck's time as a percentage of the floor's
// (115 = 15 % slower than the floor).
func BenchmarkInvalidate2M(b *testing.B) {
	const total, temps = 2_000_000, 1_000_000
	srv := redistest.Standalone(b)
	opts, _ := redis.ParseURL(srv.URL())
	opts.ReadTimeout = 5 * time.Minute // the Lua floor answers only at the end
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	fillPrefixed(b, rdb, "lead:", total-temps)
	refill := func(b *testing.B) {
		b.Helper()
		fillPrefixed(b, rdb, "temp:", temps)
		require.Equal(b, int64(total), rdb.DBSize(ctx).Val())
	}
	c := connect(b, redisops.ConnOptions{URL: srv.URL()})

	// timed runs fn b.N times, each on a freshly refilled database, and
	// reports s/run and keys/s; fn returns the keys it deleted.
	timed := func(b *testing.B, fn func() int64) time.Duration {
		var d time.Duration
		cpu := 0.0
		for range b.N {
			b.StopTimer()
			refill(b)
			cpu0 := serverCPU(b, rdb)
			b.StartTimer()
			start := time.Now()
			n := fn()
			d += time.Since(start)
			b.StopTimer()
			cpu += serverCPU(b, rdb) - cpu0
			require.EqualValues(b, temps, n, "deleted")
			require.Equal(b, int64(total-temps), rdb.DBSize(ctx).Val())
			b.StartTimer()
		}
		d /= time.Duration(b.N)
		b.ReportMetric(d.Seconds(), "s/run")
		b.ReportMetric(float64(temps)/d.Seconds(), "keys/s")
		b.ReportMetric(cpu/float64(b.N), "server-cpu-s/run")
		return d
	}
	invalidate := func(b *testing.B, gov *redisops.Governor) int64 {
		r, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"temp:*"}, Governor: gov})
		require.NoError(b, err)
		return r.Deleted
	}

	var cli, floor time.Duration
	b.Run("redis-cli-scan-xargs-del", func(b *testing.B) {
		rc := "redis-cli -h 127.0.0.1 -p " + strconv.Itoa(srv.Port)
		cli = timed(b, func() int64 {
			out, err := exec.Command("sh", "-c", rc+" --scan --pattern 'temp:*' | xargs "+rc+" DEL").CombinedOutput()
			require.NoError(b, err, "%s", out)
			var n int64
			for _, f := range strings.Fields(string(out)) {
				v, err := strconv.ParseInt(f, 10, 64)
				require.NoError(b, err, "%s", f)
				n += v
			}
			return n
		})
	})
	b.Run("floor-server-lua-scan-unlink", func(b *testing.B) {
		floor = timed(b, func() int64 {
			n, err := rdb.Eval(ctx, luaScanUnlink, nil, "temp:*").Int64()
			require.NoError(b, err)
			return n
		})
	})
	b.Run("cachedeck-unpaced", func(b *testing.B) {
		d := timed(b, func() int64 { return invalidate(b, nil) })
		if cli > 0 {
			b.ReportMetric(cli.Seconds()/d.Seconds(), "x-vs-redis-cli")
		}
		if floor > 0 {
			b.ReportMetric(100*d.Seconds()/floor.Seconds(), "pct-of-lua-floor")
		}
	})
	// The server's CPU time for the same work moves by ±15 % between runs on
	// a shared two-core machine, so two sub-benchmarks a minute apart can
	// disagree by that much. Here each cachedeck run is timed right after a
	// floor run on the same refilled data, and the median of the pairs'
	// ratios is reported.
	b.Run("cachedeck-vs-floor-pairs", func(b *testing.B) {
		var ratios []float64
		for range b.N {
			b.StopTimer()
			refill(b)
			start := time.Now()
			n, err := rdb.Eval(ctx, luaScanUnlink, nil, "temp:*").Int64()
			require.NoError(b, err)
			require.EqualValues(b, temps, n)
			floorRun := time.Since(start)
			refill(b)
			b.StartTimer()
			start = time.Now()
			require.EqualValues(b, temps, invalidate(b, nil))
			ratios = append(ratios, time.Since(start).Seconds()/floorRun.Seconds())
		}
		slices.Sort(ratios)
		b.ReportMetric(100*ratios[len(ratios)/2], "median-pct-of-floor")
		b.ReportMetric(100*ratios[len(ratios)-1], "worst-pct-of-floor")
	})
	// The default governed run (the CLI's --yes without --rate: a 5 ms
	// budget) on an idle server must cost little over an unpaced one: each
	// governed run is timed right after an unpaced run on freshly refilled
	// data, with a governor started just before it (so its first PINGs fall
	// inside the run), and the median of the pairs' ratios is reported with
	// what the governor did: slow samples and how many batches it paused.
	b.Run("governed-vs-unpaced-pairs-idle", func(b *testing.B) {
		var ratios []float64
		var st redisops.GovernorStats
		for range b.N {
			b.StopTimer()
			refill(b)
			start := time.Now()
			require.EqualValues(b, temps, invalidate(b, nil))
			unpaced := time.Since(start)
			refill(b)
			b.StartTimer()
			start = time.Now()
			gov := redisops.NewGovernor(c, redisops.GovernorOptions{})
			gov.Start(ctx)
			n := invalidate(b, gov)
			governed := time.Since(start)
			gov.Stop()
			require.EqualValues(b, temps, n)
			ratios = append(ratios, governed.Seconds()/unpaced.Seconds())
			s := gov.Stats()
			st.Samples += s.Samples
			st.Slow += s.Slow
			st.Waits += s.Waits
			st.PausedWaits += s.PausedWaits
			st.MaxPause = max(st.MaxPause, s.MaxPause)
		}
		slices.Sort(ratios)
		b.ReportMetric(100*ratios[len(ratios)/2], "median-pct-of-unpaced")
		b.ReportMetric(100*ratios[len(ratios)-1], "worst-pct-of-unpaced")
		b.ReportMetric(float64(st.Slow)/float64(b.N), "slow-samples/run")
		b.ReportMetric(float64(st.PausedWaits)/float64(b.N), "paused-batches/run")
		b.ReportMetric(float64(st.Waits)/float64(b.N), "batches/run")
		b.ReportMetric(float64(st.MaxPause.Microseconds())/1000, "max-pause-ms")
	})
	b.Run("cachedeck-paced-5ms-get-load", func(b *testing.B) {
		gov := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: 5 * time.Millisecond})
		gov.Start(ctx)
		defer gov.Stop()
		var lat getLoadResult
		for range b.N {
			b.StopTimer()
			refill(b)
			stop := startGETLoad(b, srv.Addr, total-temps)
			time.Sleep(300 * time.Millisecond) // the load and the probes settle
			b.StartTimer()
			start := time.Now()
			n := invalidate(b, gov)
			b.ReportMetric(time.Since(start).Seconds(), "s/run")
			b.StopTimer()
			lat = stop()
			require.EqualValues(b, temps, n)
			b.StartTimer()
		}
		b.ReportMetric(lat.P50, "get-p50-ms")
		b.ReportMetric(lat.P99, "get-p99-ms")
		b.ReportMetric(lat.P999, "get-p999-ms")
		b.ReportMetric(float64(gov.P99().Microseconds())/1000, "ping-p99-ms")
	})
	// Memory of the invalidation alone (redisops.Invalidate, no preview),
	// measured in a fresh process: its peak resident set (getrusage maxrss)
	// is the whole cost, runtime and connections included. The command's
	// own figure, preview included, is cli's BenchmarkInvalidateCommandMemory.
	b.Run("cachedeck-memory", func(b *testing.B) {
		const mib = 1 << 20
		var rssPeak, heapPeak int64
		for range b.N {
			b.StopTimer()
			refill(b)
			b.StartTimer()
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "CACHEDECK_INVALIDATE_URL="+srv.URL())
			out, err := cmd.CombinedOutput()
			b.StopTimer()
			require.NoError(b, err, "%s", out)
			var res invalidateChildResult
			i := strings.Index(string(out), "INVALIDATE ")
			require.GreaterOrEqual(b, i, 0, "%s", out)
			line, _, _ := strings.Cut(string(out[i+len("INVALIDATE "):]), "\n")
			require.NoError(b, json.Unmarshal([]byte(line), &res), line)
			require.EqualValues(b, temps, res.Deleted)
			require.EqualValues(b, temps, res.Matched)
			ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			require.True(b, ok)
			rssPeak = max(rssPeak, ru.Maxrss<<10) // KiB on Linux
			heapPeak = max(heapPeak, res.HeapPeak)
			b.StartTimer()
		}
		b.ReportMetric(float64(rssPeak)/mib, "rss-peak-MiB")
		b.ReportMetric(float64(heapPeak)/mib, "heap-peak-MiB")
	})
}

type invalidateChildResult struct {
	Matched, Deleted, HeapPeak int64
}

// runInvalidateChild is the child process of the cachedeck-memory
// benchmark: one unpaced invalidation of temp:*, its counts and the peak
// Go heap printed on one line.
func runInvalidateChild(url string) {
	ctx := context.Background()
	c, err := redisops.Connect(ctx, redisops.ConnOptions{URL: url, DB: -1})
	if err != nil {
		fmt.Println("connect:", err)
		os.Exit(1)
	}
	defer c.Close()
	var heapPeak atomic.Int64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heapPeak.Store(max(heapPeak.Load(), int64(ms.HeapInuse)))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"temp:*"}})
	close(done)
	if err != nil {
		fmt.Println("invalidate:", err)
		os.Exit(1)
	}
	line, _ := json.Marshal(invalidateChildResult{Matched: res.Matched, Deleted: res.Deleted, HeapPeak: heapPeak.Load()})
	fmt.Printf("INVALIDATE %s\n", line)
}
