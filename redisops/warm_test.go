package redisops_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func TestCountKeysExactAndGoverned(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	fillKeys(t, c.Redis(), "coldcopy:lead_score:", 2345)
	fillKeys(t, c.Redis(), "coldcopy:lead:", 100)
	require.NoError(t, c.Redis().Set(ctx, "exact:id", "v", 0).Err())
	g := redisops.NewGovernor(c, redisops.GovernorOptions{})
	g.Start(t.Context())
	defer g.Stop()
	var reports int
	counts, err := c.CountKeys(ctx, []string{"coldcopy:lead_score:*", "coldcopy:*", "nothing:*", "exact:id", "exact:none"}, g, func(redisops.CountProgress) { reports++ })
	require.NoError(t, err)
	assert.Equal(t, []int64{2345, 2445, 0, 1, 0}, counts)
	assert.Greater(t, reports, 5)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.CountKeys(cctx, []string{"coldcopy:*"}, g, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestCountKeysOnACluster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	ctx := context.Background()
	for i := 0; i < 600; i++ {
		require.NoError(t, c.Redis().Set(ctx, fmt.Sprintf("coldcopy:workspace_dashboard:ws%d", i), "v", time.Hour).Err())
	}
	counts, err := c.CountKeys(ctx, []string{"coldcopy:workspace_dashboard:*"}, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []int64{600}, counts)
}

// Warm from a backup: only the missing keys of the chosen namespaces come
// back, with the TTL they had left.
func TestRestoreMatchingPatternsSkipsExistingKeys(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	rdb := c.Redis()
	for i := 0; i < 700; i++ {
		require.NoError(t, rdb.Set(ctx, fmt.Sprintf("coldcopy:lead_score:w:%d", i), "score", time.Hour).Err())
	}
	for i := 0; i < 50; i++ {
		require.NoError(t, rdb.Set(ctx, fmt.Sprintf("coldcopy:campaign_analytics:w:%d", i), "stats", 5*time.Minute).Err())
	}
	require.NoError(t, rdb.Set(ctx, "user:1", "profile", 0).Err())

	var backup bytes.Buffer
	_, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"*"}, Backup: &backup})
	require.NoError(t, err)
	// Meanwhile the app re-cached one lead with a new value.
	require.NoError(t, rdb.Set(ctx, "coldcopy:lead_score:w:3", "fresh", time.Hour).Err())

	patterns := []string{"coldcopy:lead_score:*"}
	later := func() time.Time { return time.Now().Add(20 * time.Minute) }
	pv, err := c.PreviewRestoreMatching(ctx, bytes.NewReader(backup.Bytes()), later, 3, patterns)
	require.NoError(t, err)
	assert.EqualValues(t, 751, pv.Records)
	assert.EqualValues(t, 51, pv.NotMatched)
	assert.EqualValues(t, 1, pv.ExistNow)
	assert.EqualValues(t, 699, pv.ToRestore(false))
	for _, k := range pv.Sample {
		assert.True(t, redisops.GlobMatch(patterns[0], k), k)
	}

	res, err := c.Restore(ctx, bytes.NewReader(backup.Bytes()), redisops.RestoreOptions{Patterns: patterns, Now: later})
	require.NoError(t, err)
	assert.Equal(t, redisops.RestoreResult{Restored: 699, Skipped: 1, NotMatched: 51}, res)
	assert.Equal(t, "fresh", rdb.Get(ctx, "coldcopy:lead_score:w:3").Val(), "a key cached now is never overwritten")
	assert.EqualValues(t, 0, rdb.Exists(ctx, "user:1", "coldcopy:campaign_analytics:w:1").Val(), "other namespaces stay out")
	// The TTL is what was left 20 minutes after the backup: about 40 min.
	ttl := rdb.TTL(ctx, "coldcopy:lead_score:w:10").Val()
	assert.True(t, ttl > 39*time.Minute && ttl <= 40*time.Minute, "remaining TTL, got %s", ttl)
	// The campaign analytics (5 minutes) would have expired by then.
	res, err = c.Restore(ctx, bytes.NewReader(backup.Bytes()), redisops.RestoreOptions{Patterns: []string{"coldcopy:campaign_analytics:*"}, Now: later})
	require.NoError(t, err)
	assert.EqualValues(t, 50, res.Expired)
	assert.Zero(t, res.Restored)
}

func TestTTLSpread(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	rdb := c.Redis()
	for i := 0; i < 1500; i++ {
		require.NoError(t, rdb.Set(ctx, fmt.Sprintf("coldcopy:lead_score:w:%d", i), "s", 30*time.Second).Err())
	}
	require.NoError(t, rdb.Set(ctx, "coldcopy:lead_score:persistent", "s", 0).Err())
	require.NoError(t, rdb.Set(ctx, "coldcopy:other", "s", 30*time.Second).Err())

	pv, err := c.PreviewTTLSpread(ctx, []string{"coldcopy:lead_score:*"}, 5, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 1501, pv.Matched)
	assert.EqualValues(t, 1500, pv.WithTTL)
	assert.EqualValues(t, 1, pv.Persistent)
	assert.True(t, pv.ExpiresLast-pv.ExpiresFirst < 5*time.Second, "written together, they expire together")
	assert.Len(t, pv.Sample, 5)

	g := redisops.NewGovernor(c, redisops.GovernorOptions{})
	g.Start(t.Context())
	defer g.Stop()
	res, err := c.TTLSpread(ctx, redisops.TTLSpreadOptions{Patterns: []string{"coldcopy:lead_score:*"}, TTL: time.Hour, Jitter: 10 * time.Minute, Governor: g, Batch: 400})
	require.NoError(t, err)
	assert.EqualValues(t, 1501, res.Matched)
	assert.EqualValues(t, 1500, res.Updated)
	assert.EqualValues(t, 1, res.Skipped, "the key without TTL keeps none")
	assert.EqualValues(t, -1, rdb.TTL(ctx, "coldcopy:lead_score:persistent").Val())
	assert.True(t, rdb.TTL(ctx, "coldcopy:other").Val() <= 30*time.Second, "other keys untouched")
	// Every TTL is within [1h, 1h10m], and they are spread out.
	distinct := map[time.Duration]bool{}
	for i := 0; i < 1500; i += 50 {
		ttl := rdb.PTTL(ctx, fmt.Sprintf("coldcopy:lead_score:w:%d", i)).Val()
		assert.True(t, ttl > 59*time.Minute && ttl <= 70*time.Minute, "got %s", ttl)
		distinct[ttl.Truncate(time.Second)] = true
	}
	assert.Greater(t, len(distinct), 20, "30 keys, spread over 10 minutes")
	assert.True(t, res.MinTTL >= time.Hour && res.MaxTTL <= 70*time.Minute && res.MaxTTL > res.MinTTL)

	// --include-persistent gives it a TTL too.
	res, err = c.TTLSpread(ctx, redisops.TTLSpreadOptions{Patterns: []string{"coldcopy:lead_score:persistent"}, TTL: time.Minute, IncludePersistent: true})
	require.NoError(t, err)
	assert.EqualValues(t, 1, res.Updated)
	assert.Greater(t, rdb.TTL(ctx, "coldcopy:lead_score:persistent").Val(), time.Duration(0))
}

func TestTTLSpreadCancelledStopsBetweenBatches(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx, cancel := context.WithCancel(context.Background())
	fillKeys(t, c.Redis(), "k:", 3000)
	pipe := c.Redis().Pipeline()
	for i := 0; i < 3000; i++ {
		pipe.Expire(context.Background(), fmt.Sprintf("k:%d", i), 100*time.Second)
	}
	_, err := pipe.Exec(context.Background())
	require.NoError(t, err)
	res, err := c.TTLSpread(ctx, redisops.TTLSpreadOptions{Patterns: []string{"k:*"}, TTL: time.Hour, Batch: 100, Progress: func(r redisops.TTLSpreadResult) {
		if r.Updated >= 100 {
			cancel()
		}
	}, Rate: 100000})
	require.NoError(t, err)
	assert.True(t, res.Cancelled)
	assert.Less(t, res.Updated, int64(3000))
	// Exact: the keys with the new TTL are the ones counted.
	var n int64
	for i := 0; i < 3000; i++ {
		if c.Redis().TTL(context.Background(), fmt.Sprintf("k:%d", i)).Val() > 100*time.Second {
			n++
		}
	}
	assert.Equal(t, res.Updated, n)
}

func TestTTLSpreadRefusesBadInput(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	_, err := c.TTLSpread(context.Background(), redisops.TTLSpreadOptions{Patterns: []string{"a*"}})
	assert.ErrorContains(t, err, "at least 1ms")
	_, err = c.TTLSpread(context.Background(), redisops.TTLSpreadOptions{TTL: time.Hour})
	assert.ErrorContains(t, err, "no pattern")
}

func TestTTLSpreadAndRestoreMatchingOnACluster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	ctx := context.Background()
	for i := 0; i < 500; i++ {
		require.NoError(t, c.Redis().Set(ctx, fmt.Sprintf("coldcopy:lead_score:w:%d", i), "s", time.Minute).Err())
	}
	res, err := c.TTLSpread(ctx, redisops.TTLSpreadOptions{Patterns: []string{"coldcopy:lead_score:*"}, TTL: time.Hour, Jitter: time.Minute})
	require.NoError(t, err)
	assert.EqualValues(t, 500, res.Updated)
	assert.Greater(t, c.Redis().TTL(ctx, "coldcopy:lead_score:w:77").Val(), 59*time.Minute)

	var backup bytes.Buffer
	_, err = c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"coldcopy:*"}, Backup: &backup})
	require.NoError(t, err)
	rr, err := c.Restore(ctx, bytes.NewReader(backup.Bytes()), redisops.RestoreOptions{Patterns: []string{"coldcopy:lead_score:w:1*"}})
	require.NoError(t, err)
	assert.EqualValues(t, 111, rr.Restored, "1, 10-19, 100-199")
	assert.EqualValues(t, 389, rr.NotMatched)
}
