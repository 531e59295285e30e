package redisops_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/rdb"
	"github.com/coldcopy/cachedeck/redisops"
)

// BenchmarkRDB1M: on one server holding the 1M keys of the memory
// benchmark, the RDB download against `redis-cli --rdb` (same server, same
// run), and `memory --from-backup` on that file against the live exact
// breakdown. alloc-MiB/run is what the Go side allocated per run: flat
// when the transfer streams.
func BenchmarkRDB1M(b *testing.B) {
	const keys = 1_000_000
	srv := redistest.Standalone(b, "repl-diskless-sync no")
	opts, _ := redis.ParseURL(srv.URL())
	raw := redis.NewClient(opts)
	defer raw.Close()
	fillMemoryBench(b, raw, keys)
	require.Equal(b, int64(keys), raw.DBSize(context.Background()).Val())
	c := connect(b, redisops.ConnOptions{URL: srv.URL()})
	dir := b.TempDir()
	n := 0
	next := func() string {
		n++
		return filepath.Join(dir, "dump-"+strconv.Itoa(n)+".rdb")
	}
	var file string
	timed := func(b *testing.B, fn func()) time.Duration {
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		start := time.Now()
		for range b.N {
			fn()
		}
		d := time.Since(start) / time.Duration(b.N)
		runtime.ReadMemStats(&ms1)
		b.ReportMetric(d.Seconds(), "s/run")
		b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MiB/run")
		return d
	}

	// Downloads are timed in pairs, redis-cli then cachedeck then the
	// other way round, on the same server: most of the time is the
	// server's fork and save, which moves with the machine's load, so
	// only same-moment pairs compare. Reported: medians of each side and
	// the median of the per-pair ratios.
	for _, diskless := range []bool{false, true} {
		mode := map[bool]string{false: "disk", true: "diskless"}[diskless]
		require.NoError(b, raw.ConfigSet(context.Background(), "repl-diskless-sync", map[bool]string{false: "no", true: "yes"}[diskless]).Err())
		require.NoError(b, raw.ConfigSet(context.Background(), "repl-diskless-sync-delay", "0").Err())
		b.Run("download-pairs-"+mode, func(b *testing.B) {
			var cli, ours, ratios []float64
			var size int64
			var alloc uint64
			runCLI := func() {
				p := next()
				start := time.Now()
				out, err := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(srv.Port), "--rdb", p).CombinedOutput()
				require.NoError(b, err, "%s", out)
				cli = append(cli, time.Since(start).Seconds())
				_ = os.Remove(p)
			}
			runOurs := func() {
				p := next()
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				start := time.Now()
				res, err := c.DownloadRDB(context.Background(), p, nil)
				require.NoError(b, err)
				ours = append(ours, time.Since(start).Seconds())
				runtime.ReadMemStats(&ms1)
				alloc = max(alloc, ms1.TotalAlloc-ms0.TotalAlloc)
				require.Equal(b, int64(keys), res.Info.Keys)
				size = res.Bytes
				if file == "" {
					file = p // kept for the offline breakdown
				} else {
					_ = os.Remove(p)
				}
			}
			for i := range 3 * b.N {
				if i%2 == 0 {
					runCLI()
					runOurs()
				} else {
					runOurs()
					runCLI()
				}
				ratios = append(ratios, cli[len(cli)-1]/ours[len(ours)-1])
			}
			b.ReportMetric(median(cli), "redis-cli-s")
			b.ReportMetric(median(ours), "cachedeck-s")
			b.ReportMetric(median(ratios), "x-vs-redis-cli")
			b.ReportMetric(float64(size)/(1<<20), "rdb-MiB")
			b.ReportMetric(float64(alloc)/(1<<20), "alloc-MiB/run")
		})
	}
	require.NoError(b, raw.ConfigSet(context.Background(), "repl-diskless-sync", "no").Err())
	if file == "" {
		file = next()
		_, err := c.DownloadRDB(context.Background(), file, nil)
		require.NoError(b, err)
	}

	var live *redisops.MemoryReport
	var liveDur time.Duration
	b.Run("memory-live-exact", func(b *testing.B) {
		liveDur = timed(b, func() {
			r, err := c.MemoryBreakdown(context.Background(), redisops.MemoryOptions{Exact: true})
			require.NoError(b, err)
			live = r
		})
	})
	b.Run("memory-from-backup-rdb", func(b *testing.B) {
		var r *redisops.MemoryReport
		d := timed(b, func() {
			var err error
			r, err = redisops.MemoryFromBackup(context.Background(), file, redisops.MemoryOptions{SizeQuantum: 16})
			require.NoError(b, err)
		})
		require.Equal(b, int64(keys), r.ScannedKeys)
		if live != nil {
			require.Equal(b, live.ScannedKeys, r.ScannedKeys)
			errPct := 100 * math.Abs(float64(r.TotalBytes)/float64(live.TotalBytes)-1)
			b.ReportMetric(errPct, "bytes-err-%")
			b.ReportMetric(liveDur.Seconds()/d.Seconds(), "x-faster-than-live-exact")
		}
	})
	logical := filepath.Join(dir, "logical.ndjson")
	writeLogicalPipelined(b, raw, logical)
	b.Run("memory-from-backup-logical", func(b *testing.B) {
		var r *redisops.MemoryReport
		d := timed(b, func() {
			var err error
			r, err = redisops.MemoryFromBackup(context.Background(), logical, redisops.MemoryOptions{SizeQuantum: 16})
			require.NoError(b, err)
		})
		require.Equal(b, int64(keys), r.ScannedKeys)
		if live != nil {
			errPct := 100 * math.Abs(float64(r.TotalBytes)/float64(live.TotalBytes)-1)
			b.ReportMetric(errPct, "bytes-err-%")
			b.ReportMetric(liveDur.Seconds()/d.Seconds(), "x-faster-than-live-exact")
		}
	})
	b.Run("verify-rdb", func(b *testing.B) {
		timed(b, func() {
			_, err := rdb.VerifyFile(file)
			require.NoError(b, err)
		})
	})
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// writeLogicalPipelined writes a logical backup (BackupRecord lines) of
// every key, DUMP and PTTL pipelined per SCAN batch.
func writeLogicalPipelined(tb testing.TB, raw *redis.Client, path string) {
	tb.Helper()
	ctx := context.Background()
	f, err := os.Create(path)
	require.NoError(tb, err)
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	now := time.Now().UnixMilli()
	var cursor uint64
	for {
		keys, next, err := raw.Scan(ctx, cursor, "", 1000).Result()
		require.NoError(tb, err)
		pipe := raw.Pipeline()
		dumps := make([]*redis.StringCmd, len(keys))
		ttls := make([]*redis.DurationCmd, len(keys))
		for i, k := range keys {
			dumps[i] = pipe.Dump(ctx, k)
			ttls[i] = pipe.PTTL(ctx, k)
		}
		_, err = pipe.Exec(ctx)
		require.NoError(tb, err)
		for i, k := range keys {
			ttl := int64(-1)
			if d := ttls[i].Val(); d > 0 {
				ttl = d.Milliseconds()
			}
			require.NoError(tb, enc.Encode(redisops.BackupRecord{
				KeyB64: base64.StdEncoding.EncodeToString([]byte(k)), TTLMs: ttl, SavedMs: now,
				DumpB64: base64.StdEncoding.EncodeToString([]byte(dumps[i].Val())),
			}))
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	require.NoError(tb, w.Flush())
}
