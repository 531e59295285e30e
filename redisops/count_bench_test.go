package redisops_test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

// BenchmarkCountKeys1M counts the 500k coldcopy:lead_score:* keys of a
// 1M-key database, as a warm-up's before/after count does: the
// runbook's `redis-cli --scan --pattern P | wc -l`, cachedeck unpaced and
// cachedeck paced by the governor (5 ms budget, no other load), all in the
// same run on the same data. Every run checks the exact count.
//
// Metric x-vs-redis-cli is redis-cli's time over cachedeck's.
func BenchmarkCountKeys1M(b *testing.B) {
	const total, matching = 1_000_000, 500_000
	const pattern = "coldcopy:lead_score:*"
	srv := redistest.Standalone(b)
	opts, _ := redis.ParseURL(srv.URL())
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	fillPrefixed(b, rdb, "coldcopy:lead_score:", matching)
	fillPrefixed(b, rdb, "lead:", total-matching)
	require.Equal(b, int64(total), rdb.DBSize(context.Background()).Val())
	c := connect(b, redisops.ConnOptions{URL: srv.URL()})

	timed := func(b *testing.B, fn func() int64) time.Duration {
		var d time.Duration
		cpu := 0.0
		for range b.N {
			cpu0 := serverCPU(b, rdb)
			start := time.Now()
			n := fn()
			d += time.Since(start)
			b.StopTimer()
			cpu += serverCPU(b, rdb) - cpu0
			require.EqualValues(b, matching, n, "counted")
			b.StartTimer()
		}
		d /= time.Duration(b.N)
		b.ReportMetric(d.Seconds(), "s/run")
		b.ReportMetric(cpu/float64(b.N), "server-cpu-s/run")
		return d
	}
	count := func(b *testing.B, gov *redisops.Governor) int64 {
		n, err := c.CountKeys(context.Background(), []string{pattern}, gov, nil)
		require.NoError(b, err)
		return n[0]
	}
	var cli time.Duration
	b.Run("redis-cli-scan-wc", func(b *testing.B) {
		rc := "redis-cli -h 127.0.0.1 -p " + strconv.Itoa(srv.Port)
		cli = timed(b, func() int64 {
			out, err := exec.Command("sh", "-c", rc+" --scan --pattern '"+pattern+"' | wc -l").CombinedOutput()
			require.NoError(b, err, "%s", out)
			n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
			require.NoError(b, err, "%s", out)
			return n
		})
	})
	b.Run("cachedeck-unpaced", func(b *testing.B) {
		d := timed(b, func() int64 { return count(b, nil) })
		if cli > 0 {
			b.ReportMetric(cli.Seconds()/d.Seconds(), "x-vs-redis-cli")
		}
	})
	b.Run("cachedeck-governed-5ms", func(b *testing.B) {
		gov := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: 5 * time.Millisecond})
		gov.Start(context.Background())
		defer gov.Stop()
		time.Sleep(300 * time.Millisecond) // the probes settle
		d := timed(b, func() int64 { return count(b, gov) })
		if cli > 0 {
			b.ReportMetric(cli.Seconds()/d.Seconds(), "x-vs-redis-cli")
		}
	})
	// Under an app-like GET load (a child process, 4 workers, 1 GET/ms
	// each): what the app sees while a warm-up counts, unpaced and paced.
	for _, budget := range []time.Duration{0, 5 * time.Millisecond} {
		name := "unpaced-get-load"
		if budget > 0 {
			name = "governed-5ms-get-load"
		}
		b.Run(name, func(b *testing.B) {
			var gov *redisops.Governor
			if budget > 0 {
				gov = redisops.NewGovernor(c, redisops.GovernorOptions{Budget: budget})
				gov.Start(context.Background())
				defer gov.Stop()
			}
			var p50, p99, p999, secs float64
			for range b.N {
				b.StopTimer()
				stop := startGETLoad(b, srv.Addr, total-matching)
				time.Sleep(300 * time.Millisecond) // the load and the probes settle
				b.StartTimer()
				start := time.Now()
				require.EqualValues(b, matching, count(b, gov))
				secs += time.Since(start).Seconds()
				b.StopTimer()
				lat := stop()
				p50, p99, p999 = p50+lat.P50, p99+lat.P99, p999+lat.P999
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(secs/n, "s/run")
			b.ReportMetric(p50/n, "get-p50-ms")
			b.ReportMetric(p99/n, "get-p99-ms")
			b.ReportMetric(p999/n, "get-p999-ms")
		})
	}
}
