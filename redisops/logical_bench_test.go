package redisops_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

// BenchmarkLogicalBackup1M makes a logical backup of 1M string keys (48
// bytes each) into a temp dir: unpaced, then paced by the governor (5 ms
// budget), with `redis-cli --rdb` (a snapshot of the same data, the other
// kind of backup) timed in the same run for scale. Metrics: keys/s,
// file-MiB, heap-MiB (Go heap in use after the run, for flat memory), and
// x-of-rdb (the logical backup's time over redis-cli's).
func BenchmarkLogicalBackup1M(b *testing.B) {
	const n = 1_000_000
	srv := redistest.Standalone(b)
	c := connect(b, redisops.ConnOptions{URL: srv.URL()})
	fill := redis.NewClient(&redis.Options{Addr: srv.Addr})
	fillPrefixed(b, fill, "lead:", n)
	_ = fill.Close()
	dir := b.TempDir()

	cliStart := time.Now()
	out, err := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(srv.Port), "--rdb", filepath.Join(dir, "cli.rdb")).CombinedOutput()
	require.NoError(b, err, string(out))
	cli := time.Since(cliStart)
	b.ReportMetric(cli.Seconds(), "redis-cli-rdb-s")

	for _, paced := range []bool{false, true} {
		name := "unpaced"
		if paced {
			name = "governed-5ms"
		}
		b.Run(name, func(b *testing.B) {
			for i := range b.N {
				path := filepath.Join(dir, name+strconv.Itoa(i)+".ndjson")
				o := redisops.LogicalOptions{}
				if paced {
					g := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: 5 * time.Millisecond})
					g.Start(context.Background())
					defer g.Stop()
					o.Governor = g
				}
				start := time.Now()
				res, err := c.LogicalBackup(context.Background(), path, o)
				d := time.Since(start)
				require.NoError(b, err)
				require.EqualValues(b, n, res.Keys)
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b.ReportMetric(float64(n)/d.Seconds(), "keys/s")
				b.ReportMetric(float64(res.Bytes)/(1<<20), "file-MiB")
				b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
				b.ReportMetric(d.Seconds()/cli.Seconds(), "x-of-rdb")
				_ = os.Remove(path)
				_ = os.Remove(redisops.ManifestPath(path))
			}
		})
	}
}
