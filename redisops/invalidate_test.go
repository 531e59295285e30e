package redisops_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

// fillKeys writes n keys prefix0..prefix<n-1> in one pipeline.
func fillKeys(t *testing.T, rdb redis.Cmdable, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	pipe := rdb.Pipeline()
	for i := 0; i < n; i++ {
		pipe.Set(ctx, fmt.Sprintf("%s%d", prefix, i), "v", 0)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
}

func TestInvalidateExactCountsStandalone(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	rdb := c.Redis()
	fillKeys(t, rdb, "temp:", 2500)
	fillKeys(t, rdb, "lead:", 300)
	// A literal "temp:*" key, binary keys.
	for _, k := range []string{"temp:*", "temp:\xff\xfe", "temp:new\nline", "temp:with space"} {
		require.NoError(t, rdb.Set(ctx, k, "v", 0).Err())
	}

	prev, err := c.Preview(ctx, []string{"temp:*", "lead:1*"}, 5)
	require.NoError(t, err)
	assert.EqualValues(t, 2504+111, prev.Matched)
	assert.Len(t, prev.Sample, 5)
	assert.EqualValues(t, 2504, prev.Namespaces["temp:"])
	assert.EqualValues(t, 111, prev.Namespaces["lead:"])
	assert.Positive(t, prev.BytesEstimate)
	assert.Empty(t, prev.Warnings)

	p2, err := c.Preview(ctx, []string{"*:1"}, 1)
	require.NoError(t, err)
	assert.Contains(t, p2.Warnings[0], "leading wildcard: scans the whole keyspace")

	// The literal key alone.
	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{`temp:\*`}})
	require.NoError(t, err)
	assert.EqualValues(t, 1, res.Matched)
	assert.EqualValues(t, 1, res.Deleted)
	assert.EqualValues(t, 0, rdb.Exists(ctx, "temp:*").Val())
	assert.EqualValues(t, 1, rdb.Exists(ctx, "temp:0").Val())

	// Dry run deletes nothing.
	res, err = c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"temp:*"}, DryRun: true})
	require.NoError(t, err)
	assert.EqualValues(t, 2503, res.Matched)
	assert.Zero(t, res.Deleted)

	// Overlapping patterns: counted once.
	var progress int
	res, err = c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"temp:*", "temp:1*"}, Batch: 200, Progress: func(redisops.InvalidateProgress) { progress++ }})
	require.NoError(t, err)
	assert.EqualValues(t, 2503, res.Matched)
	assert.EqualValues(t, 2503, res.Deleted)
	assert.False(t, res.Cancelled)
	assert.Positive(t, progress)
	assert.EqualValues(t, 300, rdb.DBSize(ctx).Val())
}

func TestInvalidateCluster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	require.True(t, c.IsCluster())
	ctx := context.Background()
	fillKeys(t, c.Redis(), "temp:", 3000)
	fillKeys(t, c.Redis(), "keep:", 100)
	var backup bytes.Buffer
	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"temp:*"}, Batch: 100, Backup: &backup})
	require.NoError(t, err)
	assert.EqualValues(t, 3000, res.Matched)
	assert.EqualValues(t, 3000, res.Deleted)
	keys, _ := scanAll(t, c, redisops.ScanOptions{})
	assert.Len(t, keys, 100)

	// The backup goes back to every master: RESTORE and EXISTS are routed
	// by slot.
	pv, err := c.PreviewRestore(ctx, bytes.NewReader(backup.Bytes()), nil, 0)
	require.NoError(t, err)
	assert.EqualValues(t, 3000, pv.ToRestore(false))
	rr, err := c.Restore(ctx, bytes.NewReader(backup.Bytes()), redisops.RestoreOptions{})
	require.NoError(t, err)
	assert.Equal(t, redisops.RestoreResult{Restored: 3000}, rr)
	keys, _ = scanAll(t, c, redisops.ScanOptions{})
	assert.Len(t, keys, 3100)
}

func TestInvalidateCancelKeepsExactCount(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fillKeys(t, c.Redis(), "temp:", 5000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"temp:*"}, Batch: 100,
		Progress: func(p redisops.InvalidateProgress) {
			if p.Deleted > 0 {
				cancel() // after the first batch
			}
		}})
	require.NoError(t, err)
	assert.True(t, res.Cancelled)
	left := c.Redis().DBSize(context.Background()).Val()
	assert.Less(t, res.Deleted, int64(5000))
	assert.Positive(t, res.Deleted)
	assert.EqualValues(t, 5000-left, res.Deleted, "the reported count is exactly what was deleted")
	assert.LessOrEqual(t, res.Deleted, int64(200), "stops within one batch")
}

func TestInvalidateRatePaced(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fillKeys(t, c.Redis(), "temp:", 300)
	g := redisops.NewGovernor(c, redisops.GovernorOptions{})
	g.Start(context.Background())
	defer g.Stop()
	res, err := c.Invalidate(context.Background(), redisops.InvalidateOptions{Patterns: []string{"temp:*"}, Rate: 1000, Governor: g})
	require.NoError(t, err)
	assert.EqualValues(t, 300, res.Deleted)
	assert.GreaterOrEqual(t, res.Duration.Milliseconds(), int64(150), "300 keys at 1000/s take about 0.3 s")
}

func TestInvalidateSurvivesDroppedConnections(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fillKeys(t, c.Redis(), "temp:", 4000)
	killer := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	kills := 0
	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"temp:*"}, Batch: 100,
		Progress: func(p redisops.InvalidateProgress) {
			if kills < 3 {
				kills++
				// Drop every connection but the killer's own.
				require.NoError(t, killer.Redis().Do(ctx, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").Err())
			}
		}})
	require.NoError(t, err)
	assert.Positive(t, kills)
	assert.EqualValues(t, 0, c.Redis().DBSize(ctx).Val())
	assert.EqualValues(t, 4000, res.Deleted, "reconnected and carried on; counted once")
	assert.EqualValues(t, 4000, res.Matched)
}

func TestInvalidateDryRunOverlappingPatterns(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fillKeys(t, c.Redis(), "temp:", 500)
	res, err := c.Invalidate(context.Background(), redisops.InvalidateOptions{Patterns: []string{"temp:*", "temp:1*"}, DryRun: true})
	require.NoError(t, err)
	assert.EqualValues(t, 500, res.Matched)
	assert.Zero(t, res.Deleted)
	assert.EqualValues(t, 500, c.Redis().DBSize(context.Background()).Val())
}

// A lost reply (the connection drops after the server ran the UNLINKs)
// must not make the count wrong: go-redis would resend the batch and get
// 0 back for keys already deleted. cachedeck resends it itself and counts
// the keys it no longer finds as deleted and unconfirmed.
func TestInvalidateLostReplyKeepsTheCountRight(t *testing.T) {
	c, admin, proxy := throughProxy(t)
	ctx := context.Background()
	fillKeys(t, admin, "drop:", 5000)
	proxy.LoseRepliesTo("unlink", 1)

	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"drop:*"}})
	require.NoError(t, err)
	require.Equal(t, 1, proxy.Lost(), "a reply was lost")
	assert.EqualValues(t, 5000, res.Matched)
	assert.EqualValues(t, 5000, res.Deleted, "every key is gone and counted")
	assert.Positive(t, res.Unconfirmed, "the lost batch is marked")
	assert.LessOrEqual(t, res.Unconfirmed, int64(redisops.DefaultInvalidateBatch))
	assert.Zero(t, admin.DBSize(ctx).Val())
}

func TestRestoreLostReplyKeepsTheCountRight(t *testing.T) {
	c, admin, proxy := throughProxy(t)
	ctx := context.Background()
	fillKeys(t, admin, "temp:", 1200)
	var backup bytes.Buffer
	_, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"temp:*"}, Backup: &backup})
	require.NoError(t, err)
	proxy.LoseRepliesTo("restore", 1)

	rr, err := c.Restore(ctx, bytes.NewReader(backup.Bytes()), redisops.RestoreOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, proxy.Lost())
	assert.EqualValues(t, 1200, rr.Restored, "every key is back and counted")
	assert.Zero(t, rr.Skipped, "a key the lost RESTORE wrote is not 'existing'")
	assert.Positive(t, rr.Unconfirmed)
	assert.EqualValues(t, 1200, admin.DBSize(ctx).Val())
}

// The governor paces the walk itself, not only the deletes: a pattern that
// matches nothing still waits before every SCAN call.
func TestInvalidateGovernorPacesTheScan(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fillKeys(t, c.Redis(), "keep:", 5000)
	const pause = 40 * time.Millisecond
	g := redisops.NewGovernor(c, redisops.GovernorOptions{MinPause: pause})
	ctx := context.Background()
	start := time.Now()
	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"*:nomatch:*"}, Governor: g, Batch: 1000})
	require.NoError(t, err)
	assert.Zero(t, res.Matched)
	// 5000 keys at COUNT 1000 take at least 5 SCAN calls, each after a
	// pause. A lower bound only: a slow machine can only add to it.
	assert.GreaterOrEqual(t, time.Since(start), 5*pause)

	// A rate does not shrink the SCAN COUNT: the walk stays a few calls.
	before := scanCalls(t, c.Redis())
	_, err = c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"*:nomatch:*"}, Rate: 5})
	require.NoError(t, err)
	assert.LessOrEqual(t, scanCalls(t, c.Redis())-before, int64(10), "COUNT 1 would take 5000 calls")
}

// scanCalls is the server's count of SCAN calls (INFO commandstats).
func scanCalls(t *testing.T, rdb redis.UniversalClient) int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	require.NoError(t, err)
	_, rest, ok := strings.Cut(info, "cmdstat_scan:calls=")
	require.True(t, ok, "no SCAN in commandstats")
	n, err := strconv.ParseInt(rest[:strings.IndexByte(rest, ',')], 10, 64)
	require.NoError(t, err)
	return n
}

// A connection that drops halfway through a pipeline's replies: the
// answered UNLINK counts as confirmed, only the unanswered one is resent.
func TestInvalidateHalfAnsweredPipeline(t *testing.T) {
	c, admin, proxy := throughProxy(t)
	ctx := context.Background()
	fillKeys(t, admin, "drop:", 1000)
	proxy.LoseRepliesAfter("unlink", 1, 1) // a batch is two UNLINKs of 500: the first answer gets through

	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"drop:*"}, Batch: 1000})
	require.NoError(t, err)
	require.Equal(t, 1, proxy.Lost())
	assert.EqualValues(t, 1000, res.Deleted)
	assert.EqualValues(t, 500, res.Unconfirmed, "only the UNLINK whose answer was lost")
	assert.Zero(t, admin.DBSize(ctx).Val())
}

// throughProxy is a client that reaches a fresh server through a proxy
// that can lose replies, and a direct client for checking what happened.
func throughProxy(t *testing.T) (*redisops.Client, *redis.Client, *redistest.Proxy) {
	t.Helper()
	srv := redistest.Standalone(t)
	proxy := redistest.NewProxy(t, srv.Addr)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + proxy.Addr(), Standalone: true})
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = admin.Close() })
	return c, admin, proxy
}
