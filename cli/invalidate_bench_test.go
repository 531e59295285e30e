package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

// BenchmarkInvalidateCommandGoverned times the whole command an on-call
// engineer runs, `cachedeck invalidate --pattern 'temp:*' --yes --json`
// (preview included, the default 5 ms governor pacing both), against the
// same with `--budget 0` (no governor), over 1M temp:* keys among 2M on an
// otherwise idle server, each in a process of its own. Each governed run
// follows an unpaced one on freshly refilled keys; the median of the
// pairs' ratios is reported (the target: within 120 %).
func BenchmarkInvalidateCommandGoverned(b *testing.B) {
	const temps, total = 1_000_000, 2_000_000
	srv := redistest.Standalone(b)
	opts, _ := redis.ParseURL(srv.URL())
	opts.ReadTimeout = time.Minute // the refill script answers at the end
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	fillFast(b, rdb, total-temps) // lead:N:enrichment
	refill := func() {
		require.NoError(b, rdb.Eval(ctx, "for i=1,ARGV[1] do redis.call('SET','temp:'..i,'v') end return 1", nil, temps).Err())
		require.EqualValues(b, total, rdb.DBSize(ctx).Val())
	}
	run := func(args ...string) time.Duration {
		args = append(args, "--url", srv.URL(), "--audit-log", filepath.Join(b.TempDir(), "audit.jsonl"))
		raw, _ := json.Marshal(args)
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "CACHEDECK_MAIN_ARGS="+string(raw))
		start := time.Now()
		out, err := cmd.Output()
		d := time.Since(start)
		require.NoError(b, err, "%s", out)
		var res struct{ Matched, Deleted int64 }
		require.NoError(b, json.Unmarshal([]byte(strings.TrimSpace(string(out))), &res), "%s", out)
		require.EqualValues(b, temps, res.Deleted)
		require.EqualValues(b, total-temps, rdb.DBSize(ctx).Val())
		return d
	}
	var ratios []float64
	var unpaced, governed time.Duration
	for range b.N {
		b.StopTimer()
		refill()
		u := run("invalidate", "--pattern", "temp:*", "--yes", "--json", "--budget", "0")
		refill()
		b.StartTimer()
		g := run("invalidate", "--pattern", "temp:*", "--yes", "--json")
		unpaced += u
		governed += g
		ratios = append(ratios, g.Seconds()/u.Seconds())
	}
	slices.Sort(ratios)
	b.ReportMetric(unpaced.Seconds()/float64(b.N), "unpaced-s/run")
	b.ReportMetric(governed.Seconds()/float64(b.N), "governed-s/run")
	b.ReportMetric(100*ratios[len(ratios)/2], "median-pct-of-unpaced")
	b.ReportMetric(100*ratios[len(ratios)-1], "worst-pct-of-unpaced")
}
