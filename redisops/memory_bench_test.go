package redisops_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
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

// benchNamespace is one key shape of the 1M-key benchmark dataset, with
// ColdCopy's names, a value size range and the share of keys with a TTL.
type benchNamespace struct {
	key      func(i int) string
	min, max int     // value bytes, uniform
	ttl      float64 // share of keys written with a TTL
	weight   int     // keys per 100
}

var benchNamespaces = []benchNamespace{
	{func(i int) string { return "lead:" + strconv.Itoa(i) }, 80, 500, 0.3, 18},
	{func(i int) string { return "lead:" + strconv.Itoa(i) + ":enrichment" }, 150, 900, 0.3, 14},
	{func(i int) string { return "user:" + uuidish(i) }, 60, 300, 0.3, 8},
	{func(i int) string { return "workspace:ws-" + strconv.Itoa(i%5000) + ":" + strconv.Itoa(i) }, 40, 250, 0.3, 6},
	{func(i int) string { return "campaign:" + strconv.Itoa(i) + ":performance" }, 100, 600, 0.3, 8},
	{func(i int) string { return "analytics:workspace:ws-" + strconv.Itoa(i%5000) + ":" + strconv.Itoa(i) }, 150, 1000, 0.3, 10},
	{func(i int) string { return "ai:gpt-4o:" + uuidish(i) }, 200, 1400, 0.3, 8},
	{func(i int) string { return "api:/api/leads:page=" + strconv.Itoa(i) + "&size=50" }, 200, 2000, 0.3, 10},
	{func(i int) string { return "coldcopy:lead_score:ws-" + strconv.Itoa(i%5000) + ":" + strconv.Itoa(i) }, 30, 120, 0.3, 12},
	{func(i int) string { return "temp:" + strconv.Itoa(i) }, 10, 60, 0.3, 6},
}

func uuidish(i int) string {
	h := uint64(i)*0x9e3779b97f4a7c15 + 1
	s := strconv.FormatUint(h, 16)
	for len(s) < 16 {
		s = "0" + s
	}
	return s[:8] + "-" + s[8:12] + "-4" + s[12:15] + "-a" + strconv.Itoa(i%1000)
}

// fillMemoryBench writes n keys with a few pipelines in flight: strings of
// varied sizes (about 400 bytes on average) with MSET, 30 % of them with
// SET PX instead, and a small hash every 200 keys. Deterministic.
func fillMemoryBench(tb testing.TB, rdb *redis.Client, n int) {
	tb.Helper()
	var pick []int
	for ns, b := range benchNamespaces {
		for range b.weight {
			pick = append(pick, ns)
		}
	}
	pad := strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 200)
	const batch = 2000
	const workers = 3
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for start := w * batch; start < n; start += workers * batch {
				rng := rand.New(rand.NewPCG(uint64(start), 7))
				pipe := rdb.Pipeline()
				mset := make([]any, 0, 2*batch)
				for i := start; i < min(start+batch, n); i++ {
					if i%200 == 199 {
						// A job record, as a Node queue library keeps them.
						fields := make([]any, 0, 40)
						for f := range 5 + rng.IntN(15) {
							fields = append(fields, "field"+strconv.Itoa(f), pad[:10+rng.IntN(50)])
						}
						pipe.HSet(ctx, "jobs:email:"+strconv.Itoa(i), fields...)
						continue
					}
					b := benchNamespaces[pick[i%len(pick)]]
					k, v := b.key(i), pad[:b.min+rng.IntN(b.max-b.min)]
					if rng.Float64() < b.ttl {
						pipe.Set(ctx, k, v, time.Duration(300+rng.IntN(86400))*time.Second)
					} else {
						mset = append(mset, k, v)
					}
				}
				if len(mset) > 0 {
					pipe.MSet(ctx, mset...)
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

// serverCPU is the server's user+sys CPU seconds (INFO cpu).
func serverCPU(tb testing.TB, rdb *redis.Client) float64 {
	m, err := rdb.InfoMap(context.Background(), "cpu").Result()
	require.NoError(tb, err)
	a, _ := strconv.ParseFloat(m["CPU"]["used_cpu_sys"], 64)
	u, _ := strconv.ParseFloat(m["CPU"]["used_cpu_user"], 64)
	return a + u
}

// BenchmarkMemoryBreakdown1M measures the breakdown of a 1M-key database
// against `redis-cli --memkeys` on the same server in the same run, plus
// the floors: a bare SCAN loop and the server-side Lua SCAN + MEMORY USAGE
// loop. The sampled runs are checked against the exact one: within 5 % for
// every namespace holding at least 5 % of the bytes.
func BenchmarkMemoryBreakdown1M(b *testing.B) {
	const keys = 1_000_000
	srv := redistest.Standalone(b)
	opts, _ := redis.ParseURL(srv.URL())
	opts.ReadTimeout = 5 * time.Minute // the Lua floors answer only at the end
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	fillMemoryBench(b, rdb, keys)
	require.Equal(b, int64(keys), rdb.DBSize(context.Background()).Val())
	c := connect(b, redisops.ConnOptions{URL: srv.URL()})

	var memkeys time.Duration
	var exact *redisops.MemoryReport
	timed := func(b *testing.B, fn func()) time.Duration {
		cpu0 := serverCPU(b, rdb)
		start := time.Now()
		for range b.N {
			fn()
		}
		d := time.Since(start) / time.Duration(b.N)
		b.ReportMetric(d.Seconds(), "s/run")
		b.ReportMetric((serverCPU(b, rdb)-cpu0)/float64(b.N), "server-cpu-s/run")
		return d
	}

	b.Run("redis-cli--memkeys", func(b *testing.B) {
		memkeys = timed(b, func() {
			out, err := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(srv.Port), "--memkeys").CombinedOutput()
			require.NoError(b, err, "%s", out)
		})
	})
	var exactTime time.Duration
	b.Run("exact", func(b *testing.B) {
		var clientCPU float64
		var mallocs uint64
		exactTime = timed(b, func() {
			cpu0 := processCPU(b)
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			r, err := c.MemoryBreakdown(context.Background(), redisops.MemoryOptions{Exact: true})
			runtime.ReadMemStats(&m1)
			clientCPU += processCPU(b) - cpu0
			mallocs += m1.Mallocs - m0.Mallocs
			require.NoError(b, err)
			require.Equal(b, int64(keys), r.MeasuredKeys)
			exact = r
		})
		// Where the time goes besides the server: this process's CPU (the
		// client: go-redis encoding and parsing, the duplicate filter, the
		// aggregation) and its allocations per key.
		b.ReportMetric(clientCPU/float64(b.N), "client-cpu-s/run")
		b.ReportMetric(float64(mallocs)/float64(b.N)/keys, "allocs/key")
		if memkeys > 0 {
			b.ReportMetric(memkeys.Seconds()/exactTime.Seconds(), "x-faster-than-memkeys")
		}
	})
	if exact == nil {
		var err error
		exact, err = c.MemoryBreakdown(context.Background(), redisops.MemoryOptions{Exact: true})
		require.NoError(b, err)
	}
	for _, mode := range []struct {
		name string
		o    redisops.MemoryOptions
	}{
		{"sampled-1pct", redisops.MemoryOptions{Sample: 0.01}},
		{"sampled-1pct-estimate-ttl", redisops.MemoryOptions{Sample: 0.01, SampleTTL: true}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			var r *redisops.MemoryReport
			timed(b, func() {
				var err error
				r, err = c.MemoryBreakdown(context.Background(), mode.o)
				require.NoError(b, err)
			})
			worst := sampledError(b, exact, r)
			b.ReportMetric(100*worst, "worst-err-%")
			b.ReportMetric(float64(r.MeasuredKeys), "measured-keys")
			require.Less(b, worst, 0.05, "every namespace with ≥5%% of the bytes within 5%% of exact")
		})
	}
	b.Run("floor-scan-loop-count1000", func(b *testing.B) {
		timed(b, func() {
			iter := rdb.Scan(context.Background(), 0, "", 1000).Iterator()
			n := 0
			for iter.Next(context.Background()) {
				n++
			}
			require.NoError(b, iter.Err())
		})
	})
	b.Run("floor-server-lua-scan-memory-usage", func(b *testing.B) {
		const script = `local c = '0' local n = 0
repeat local r = redis.call('SCAN', c, 'COUNT', 1000) c = r[1]
  for _, k in ipairs(r[2]) do n = n + redis.call('MEMORY', 'USAGE', k) end
until c == '0' return n`
		timed(b, func() { require.NoError(b, rdb.Eval(context.Background(), script, nil).Err()) })
	})
	// The floor for what the exact breakdown asks of every key: MEMORY
	// USAGE, TYPE (the type mix) and PTTL (the keys without expiry), run by
	// the server itself with no network and no client.
	b.Run("floor-server-lua-scan-memory-type-pttl", func(b *testing.B) {
		const script = `local c = '0' local n = 0
repeat local r = redis.call('SCAN', c, 'COUNT', 1000) c = r[1]
  for _, k in ipairs(r[2]) do
    n = n + redis.call('MEMORY', 'USAGE', k)
    redis.call('TYPE', k)
    redis.call('PTTL', k)
  end
until c == '0' return n`
		d := timed(b, func() { require.NoError(b, rdb.Eval(context.Background(), script, nil).Err()) })
		if exactTime > 0 {
			b.ReportMetric(100*exactTime.Seconds()/d.Seconds(), "exact-pct-of-this-floor")
		}
	})
}

// processCPU is this process's user+sys CPU seconds so far.
func processCPU(tb testing.TB) float64 {
	var ru syscall.Rusage
	require.NoError(tb, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// sampledError is the worst relative error of r's bytes against exact's,
// over the namespaces holding at least 5 % of the bytes. It also checks
// that key and no-TTL counts are exact.
func sampledError(tb testing.TB, exact, r *redisops.MemoryReport) float64 {
	got := map[string]redisops.NamespaceUsage{}
	for _, ns := range r.Namespaces {
		got[ns.Prefix] = ns
	}
	worst := 0.0
	for _, want := range exact.Namespaces {
		ns := got[want.Prefix]
		require.Equal(tb, want.Keys, ns.Keys, want.Prefix)
		if !r.NoTTLEstimate {
			require.Equal(tb, want.NoTTL, ns.NoTTL, want.Prefix)
		}
		if want.Share >= 0.05 {
			worst = max(worst, math.Abs(float64(ns.Bytes-want.Bytes))/float64(want.Bytes))
		}
	}
	return worst
}

// BenchmarkMemoryGovernedGETLoad runs an exact breakdown of 1M keys while
// an application-like load measures GET latency: 4 connections each doing
// a GET every millisecond, in a separate process (this test binary re-run
// as TestGETLoadChild) so that the breakdown's own allocations and
// goroutines do not show up in the application's latency. Governed
// (budget 5 ms) and ungoverned, against the load with no breakdown.
func BenchmarkMemoryGovernedGETLoad(b *testing.B) {
	const keys = 1_000_000
	srv := redistest.Standalone(b)
	opts, _ := redis.ParseURL(srv.URL())
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	fillMemoryBench(b, rdb, keys)
	c := connect(b, redisops.ConnOptions{URL: srv.URL()})

	report := func(b *testing.B, lat getLoadResult) {
		b.ReportMetric(lat.P50, "get-p50-ms")
		b.ReportMetric(lat.P99, "get-p99-ms")
		b.ReportMetric(lat.P999, "get-p999-ms")
	}
	b.Run("no-breakdown", func(b *testing.B) {
		stop := startGETLoad(b, srv.Addr, keys)
		time.Sleep(3 * time.Second)
		report(b, stop())
	})
	for _, mode := range []struct {
		name   string
		budget time.Duration
	}{{"ungoverned", 0}, {"governed-5ms", 5 * time.Millisecond}} {
		b.Run(mode.name, func(b *testing.B) {
			var gov *redisops.Governor
			if mode.budget > 0 {
				gov = redisops.NewGovernor(c, redisops.GovernorOptions{Budget: mode.budget})
				gov.Start(context.Background())
				defer gov.Stop()
			}
			var pauses []time.Duration
			stop := startGETLoad(b, srv.Addr, keys)
			time.Sleep(300 * time.Millisecond) // the load and the probes settle
			start := time.Now()
			for range b.N {
				done, sampled := make(chan struct{}), make(chan struct{})
				go func() {
					defer close(sampled)
					for {
						select {
						case <-done:
							return
						case <-time.After(50 * time.Millisecond):
							if gov != nil {
								pauses = append(pauses, gov.Pause())
							}
						}
					}
				}()
				r, err := c.MemoryBreakdown(context.Background(), redisops.MemoryOptions{Exact: true, Governor: gov})
				close(done)
				<-sampled
				require.NoError(b, err)
				require.Equal(b, int64(keys), r.ScannedKeys)
			}
			elapsed := time.Since(start)
			lat := stop()
			b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/run")
			report(b, lat)
			if gov != nil {
				var sum time.Duration
				for _, p := range pauses {
					sum += p
				}
				b.ReportMetric(float64(gov.P99().Microseconds())/1000, "ping-p99-ms")
				b.ReportMetric(float64(sum.Microseconds())/1000/float64(max(1, len(pauses))), "mean-pause-ms")
			}
		})
	}
}

// getLoadResult is what the load process reports, in milliseconds.
type getLoadResult struct {
	P50, P99, P999 float64
	GETs           int
	Errors         int
}

// startGETLoad starts the load process; the function it returns stops it
// and returns the latencies of the GETs done meanwhile.
func startGETLoad(tb testing.TB, addr string, keys int) func() getLoadResult {
	tb.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "CACHEDECK_GETLOAD_ADDR="+addr, "CACHEDECK_GETLOAD_KEYS="+strconv.Itoa(keys))
	stdin, err := cmd.StdinPipe()
	require.NoError(tb, err)
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	require.NoError(tb, cmd.Start())
	return func() getLoadResult {
		_ = stdin.Close()
		require.NoError(tb, cmd.Wait(), out.String())
		var res getLoadResult
		i := strings.Index(out.String(), "GETLOAD ")
		require.GreaterOrEqual(tb, i, 0, out.String())
		line, _, _ := strings.Cut(out.String()[i+len("GETLOAD "):], "\n")
		require.NoError(tb, json.Unmarshal([]byte(line), &res), line)
		require.Zero(tb, res.Errors, "GETs failed")
		require.Positive(tb, res.GETs)
		return res
	}
}

// TestMain turns the test binary into the application-like load of the
// governed benchmarks, or into the lone invalidation whose memory
// BenchmarkInvalidate2M measures, when a benchmark starts it as a child
// process; otherwise it runs the tests as usual.
func TestMain(m *testing.M) {
	if addr := os.Getenv("CACHEDECK_GETLOAD_ADDR"); addr != "" {
		runGETLoad(addr)
		os.Exit(0)
	}
	if url := os.Getenv("CACHEDECK_INVALIDATE_URL"); url != "" {
		runInvalidateChild(url)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runGETLoad GETs until stdin closes, then prints its latency percentiles.
func runGETLoad(addr string) {
	keys, _ := strconv.Atoi(os.Getenv("CACHEDECK_GETLOAD_KEYS"))
	app := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 4, Protocol: 2, DisableIdentity: true})
	defer app.Close()
	stop := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stop)
	}()
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			var mine []time.Duration
			for {
				select {
				case <-stop:
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
					return
				case <-tick.C:
				}
				k := benchNamespaces[0].key(rng.IntN(keys))
				start := time.Now()
				if err := app.Get(context.Background(), k).Err(); err != nil && err != redis.Nil {
					errs.Add(1)
				}
				mine = append(mine, time.Since(start))
			}
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)].Microseconds()) / 1000
	}
	res, _ := json.Marshal(getLoadResult{P50: pct(0.5), P99: pct(0.99), P999: pct(0.999), GETs: len(lat), Errors: int(errs.Load())})
	fmt.Printf("GETLOAD %s\n", res)
}
