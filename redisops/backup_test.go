package redisops_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func TestBackupRestoreRoundTrip(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	rdb := c.Redis()
	require.NoError(t, rdb.Set(ctx, "temp:ttl", "with ttl", time.Hour).Err())
	require.NoError(t, rdb.Set(ctx, "temp:\xff\x00bin", "binary", 0).Err())
	require.NoError(t, rdb.HSet(ctx, "temp:hash", "f", "v").Err())
	fillKeys(t, rdb, "temp:n", 700)

	var buf bytes.Buffer
	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"temp:*"}, Backup: &buf, Batch: 250})
	require.NoError(t, err)
	assert.EqualValues(t, 703, res.Deleted)
	assert.Equal(t, 703, strings.Count(buf.String(), "\n"))
	assert.Contains(t, buf.String(), `"key_b64"`)
	assert.Zero(t, rdb.DBSize(ctx).Val())

	// One key came back meanwhile with a new value: skipped unless replace.
	require.NoError(t, rdb.Set(ctx, "temp:n1", "new", 0).Err())
	rr, err := c.Restore(ctx, bytes.NewReader(buf.Bytes()), false)
	require.NoError(t, err)
	assert.Equal(t, redisops.RestoreResult{Restored: 702, Skipped: 1}, rr)
	assert.Equal(t, "new", rdb.Get(ctx, "temp:n1").Val())
	assert.Equal(t, "binary", rdb.Get(ctx, "temp:\xff\x00bin").Val())
	assert.Equal(t, "v", rdb.HGet(ctx, "temp:hash", "f").Val())
	ttl := rdb.PTTL(ctx, "temp:ttl").Val()
	assert.Greater(t, ttl, 59*time.Minute)
	assert.LessOrEqual(t, ttl, time.Hour)
	assert.EqualValues(t, -1, rdb.PTTL(ctx, "temp:n2").Val())

	rr, err = c.Restore(ctx, bytes.NewReader(buf.Bytes()), true)
	require.NoError(t, err)
	assert.Equal(t, redisops.RestoreResult{Restored: 703}, rr)
	assert.Equal(t, "v", rdb.Get(ctx, "temp:n1").Val())

	_, err = c.Restore(ctx, strings.NewReader("not json\n"), false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 1")
}
