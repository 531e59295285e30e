package redisops_test

import (
	"context"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/policy"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
)

// BenchmarkPolicyAudit times the exact policy audit of the demo dataset
// (200k keys: real ColdCopy values, compressed, LZ:, big ones) against
// `redis-cli --memkeys` on the same server in the same run. --memkeys
// sends SCAN, TYPE and MEMORY USAGE per key; the audit sends those plus
// PTTL, and STRLEN and a bounded GETRANGE per string, then classifies.
func BenchmarkPolicyAudit(b *testing.B) {
	const keys = 200_000
	srv := redistest.Standalone(b)
	opts, _ := redis.ParseURL(srv.URL())
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	_, err := seed.Seed(context.Background(), rdb, seed.Options{Keys: keys})
	require.NoError(b, err)
	c := connect(b, redisops.ConnOptions{URL: srv.URL()})
	p := policy.Default()

	var memkeys time.Duration
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
	b.Run("audit-exact", func(b *testing.B) {
		d := timed(b, func() {
			r, err := c.Audit(context.Background(), redisops.AuditOptions{Policy: p, Exact: true})
			require.NoError(b, err)
			require.Equal(b, int64(keys), r.AuditedKeys)
		})
		if memkeys > 0 {
			b.ReportMetric(memkeys.Seconds()/d.Seconds(), "x-memkeys-speed")
		}
	})
	b.Run("audit-exact-governed", func(b *testing.B) {
		gov := redisops.NewGovernor(c, redisops.GovernorOptions{})
		gov.Start(context.Background())
		defer gov.Stop()
		timed(b, func() {
			r, err := c.Audit(context.Background(), redisops.AuditOptions{Policy: p, Exact: true, Governor: gov})
			require.NoError(b, err)
			require.Equal(b, int64(keys), r.AuditedKeys)
		})
	})
	b.Run("audit-sample-10pct", func(b *testing.B) {
		timed(b, func() {
			r, err := c.Audit(context.Background(), redisops.AuditOptions{Policy: p, Sample: 0.1})
			require.NoError(b, err)
			require.Equal(b, int64(keys), r.ScannedKeys)
		})
	})
}
