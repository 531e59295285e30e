package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/cli"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

// TestMain turns the test binary into cachedeck itself when a benchmark
// starts it with CACHEDECK_MAIN_ARGS (a JSON list of arguments), so that
// a command's memory is measured in a process of its own.
func TestMain(m *testing.M) {
	if raw := os.Getenv("CACHEDECK_MAIN_ARGS"); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			panic(err)
		}
		os.Exit(cli.Main(args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// BenchmarkInvalidateCommandMemory runs `cachedeck invalidate --pattern
// 'temp:*' --yes --json` over 1M temp:* keys among 2M, preview included,
// in a process of its own, and reports its peak resident set (getrusage
// maxrss) against the 50 MiB target; then the same with --dry-run.
func BenchmarkInvalidateCommandMemory(b *testing.B) {
	const temps, total = 1_000_000, 2_000_000
	srv := redistest.Standalone(b)
	opts, _ := redis.ParseURL(srv.URL())
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	fillFast(b, rdb, total-temps) // lead:N:enrichment
	fillTemps := func() {
		require.NoError(b, rdb.Eval(ctx, "for i=1,ARGV[1] do redis.call('SET','temp:'..i,'v') end return 1", nil, temps).Err())
		require.EqualValues(b, total, rdb.DBSize(ctx).Val())
	}
	run := func(b *testing.B, args ...string) (maxRSS int64, out string) {
		args = append(args, "--url", srv.URL(), "--audit-log", filepath.Join(b.TempDir(), "audit.jsonl"))
		raw, _ := json.Marshal(args)
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "CACHEDECK_MAIN_ARGS="+string(raw))
		o, err := cmd.Output()
		require.NoError(b, err, "%s", o)
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		require.True(b, ok)
		return ru.Maxrss << 10, string(o) // KiB on Linux
	}
	const mib = 1 << 20
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"run", []string{"invalidate", "--pattern", "temp:*", "--yes", "--json"}},
		{"dry-run", []string{"invalidate", "--pattern", "temp:*", "--dry-run", "--json"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var peak int64
			for range b.N {
				b.StopTimer()
				if rdb.Exists(ctx, "temp:1").Val() == 0 {
					fillTemps()
				}
				b.StartTimer()
				rss, out := run(b, tc.args...)
				b.StopTimer()
				var res struct{ Matched, Deleted int64 }
				require.NoError(b, json.Unmarshal([]byte(strings.TrimSpace(out)), &res), out)
				require.EqualValues(b, temps, res.Matched)
				peak = max(peak, rss)
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/mib, "rss-peak-MiB")
		})
	}
}
