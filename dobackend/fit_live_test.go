package dobackend_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/dobackend"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

// fillTo writes n values of size bytes each.
func fillTo(t *testing.T, c *redisops.Client, n, size int) {
	t.Helper()
	ctx := context.Background()
	val := strings.Repeat("x", size)
	pipe := c.Redis().Pipeline()
	for i := range n {
		pipe.Set(ctx, fmt.Sprintf("fill:%d", i), val, 0)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
}

// The fit check on live figures: a real redis-server filled with 24 MiB
// of values, judged against sizes whose usable memory is set around it.
func TestFitOnALiveServerFilledToAKnownSize(t *testing.T) {
	srv := redistest.Standalone(t, "maxmemory 256mb", "maxmemory-policy allkeys-lru")
	ctx := context.Background()
	c, err := redisops.Connect(ctx, redisops.ConnOptions{URL: srv.URL(), DB: -1})
	require.NoError(t, err)
	defer c.Close()

	before, err := c.MemoryUse(ctx)
	require.NoError(t, err)
	// Just under 1 MiB, so that each value takes one 1 MiB allocation
	// (jemalloc rounds 1 MiB plus the string header up to 1.25 MiB).
	fillTo(t, c, 24, 1<<20-64)
	use, err := c.MemoryUse(ctx)
	require.NoError(t, err)
	grew := use.Used - before.Used
	assert.GreaterOrEqual(t, grew, int64(24*mib-24*64), "24 values of 1 MiB")
	assert.Less(t, grew, int64(26*mib), "plus bounded overhead")
	assert.GreaterOrEqual(t, use.Peak, use.Used)
	assert.Equal(t, int64(256*mib), use.MaxMemory)
	assert.Equal(t, "allkeys-lru", use.Policy)
	assert.Equal(t, 1, use.Nodes)

	used := use.Used
	table := dobackend.PriceTable{Date: "2026-12-03", Sizes: map[string]dobackend.SizeInfo{
		"now":    {RAM: 256 * mib, Usable: 200 * mib, MonthlyUSD: 30},
		"snug":   {RAM: 64 * mib, Usable: used * 110 / 100, MonthlyUSD: 15}, // 9 % free
		"tight":  {RAM: 64 * mib, Usable: used * 135 / 100, MonthlyUSD: 15}, // 26 % free
		"roomy":  {RAM: 128 * mib, Usable: used * 3, MonthlyUSD: 20},
		"toosml": {RAM: 16 * mib, Usable: 16 * mib, MonthlyUSD: 10},
	}}
	check := func(size string) dobackend.Fit {
		return dobackend.CheckFit(dobackend.FitInput{Used: use.Used, Peak: use.Peak, MaxMemory: use.MaxMemory, Policy: use.Policy,
			Current: dobackend.Plan{Size: "now", Nodes: 1}, Target: dobackend.Plan{Size: size, Nodes: 1}}, table)
	}
	f := check("snug")
	assert.Equal(t, dobackend.Refused, f.Verdict, f.Reasons)
	assert.Contains(t, f.Reasons[0], "under the 20 % headroom required")
	f = check("tight")
	assert.Equal(t, dobackend.Tight, f.Verdict, f.Reasons)
	f = check("roomy")
	assert.Equal(t, dobackend.Fits, f.Verdict, f.Reasons)
	assert.Equal(t, -10.0, f.CostDelta)
	f = check("toosml")
	assert.Equal(t, dobackend.Refused, f.Verdict)
	assert.Equal(t, use.Used-16*mib, f.Evicted)
	assert.Contains(t, f.Reasons[0], "allkeys-lru would evict about")
}

func TestMemoryUseSumsTheMastersOfACluster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	ctx := context.Background()
	c, err := redisops.Connect(ctx, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0], DB: -1})
	require.NoError(t, err)
	defer c.Close()
	use, err := c.MemoryUse(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, use.Nodes)
	assert.Zero(t, use.MaxMemory, "no maxmemory set")
	// Three idle servers use about a megabyte each.
	assert.Greater(t, use.Used, int64(3*512*1024))
}

func TestLoadPrices(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := dir + "/p.json"
		require.NoError(t, writeFile(p, s))
		return p
	}
	tbl, err := dobackend.LoadPrices(write(`{"date":"2027-01-05","verified":true,"source":"pricing page","sizes":[{"slug":"db-s-1vcpu-1gb","ram_mib":1024,"usable_mib":512,"monthly_usd":16}]}`))
	require.NoError(t, err)
	assert.Equal(t, "prices of 2027-01-05", tbl.DateNote())
	info, ok := tbl.Lookup("db-s-1vcpu-1gb")
	require.True(t, ok)
	assert.Equal(t, 16.0, info.MonthlyUSD)
	assert.Equal(t, int64(512*mib), info.Usable)

	_, err = dobackend.LoadPrices(write(`{"date":"soon","sizes":[]}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "YYYY-MM-DD")
	_, err = dobackend.LoadPrices(write(`{"date":"2027-01-05","sizes":[{"slug":"x","ram_mib":10,"usable_mib":20}]}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "usable_mib <= ram_mib")
}
