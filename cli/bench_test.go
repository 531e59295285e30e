package cli_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/cli"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

// fillFast writes n small string keys shaped like ColdCopy's, with two
// pipelines in flight.
func fillFast(b testing.TB, rdb *redis.Client, n int) {
	ctx := context.Background()
	const batch = 2000
	errs := make(chan error, 2)
	for w := 0; w < 2; w++ {
		go func(w int) {
			for start := w * batch; start < n; start += 2 * batch {
				pipe := rdb.Pipeline()
				args := make([]any, 0, 2*batch)
				for i := start; i < min(start+batch, n); i++ {
					args = append(args, "lead:"+strconv.Itoa(i)+":enrichment", "v")
				}
				pipe.MSet(ctx, args...)
				if _, err := pipe.Exec(ctx); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < 2; w++ {
		require.NoError(b, <-errs)
	}
}

// BenchmarkScan1M lists 1M keys end to end (connect, SCAN, format, write)
// with cachedeck and with the baselines, in the same run against the same
// server: `redis-cli --scan` and a bare go-redis SCAN loop with COUNT 1000.
func BenchmarkScan1M(b *testing.B) {
	const keys = 1_000_000
	srv := redistest.Standalone(b)
	opts, _ := redis.ParseURL(srv.URL())
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	fillFast(b, rdb, keys)
	require.Equal(b, int64(keys), rdb.DBSize(context.Background()).Val())

	report := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(keys)*float64(b.N)/time.Since(start).Seconds(), "keys/s")
	}
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"cachedeck-text", []string{"scan", "--url", srv.URL()}},
		{"cachedeck-json", []string{"scan", "--json", "--url", srv.URL()}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if code := cli.Main(mode.args, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			report(b, start)
		})
	}
	b.Run("redis-cli--scan", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			cmd := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(srv.Port), "--scan")
			out, err := cmd.StdoutPipe()
			require.NoError(b, err)
			require.NoError(b, cmd.Start())
			lines := 0
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines++
			}
			require.NoError(b, cmd.Wait())
			require.Equal(b, keys, lines)
		}
		report(b, start)
	})
	b.Run("scan-loop-count1000", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			var cursor uint64
			n := 0
			for {
				ks, next, err := rdb.Scan(context.Background(), cursor, "", 1000).Result()
				require.NoError(b, err)
				n += len(ks)
				if cursor = next; cursor == 0 {
					break
				}
			}
			fmt.Fprint(io.Discard, n)
		}
		report(b, start)
	})
}
