package redisops_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

// awkwardKeys are binary-unsafe in naive tools.
var awkwardKeys = []string{"", "with space", "quote\"d", "new\nline", "glob*?[x]\\", "temp:*", "\xff\xfe invalid", "esc\x1b[31m", "emoji 🚀"}

func fill(t testing.TB, rdb redis.UniversalClient, n int) []string {
	t.Helper()
	ctx := context.Background()
	keys := append([]string{}, awkwardKeys...)
	for i := 0; i < n; i++ {
		keys = append(keys, fmt.Sprintf("lead:%d:enrichment", i))
	}
	for i := 0; i < len(keys); i += 500 {
		pipe := rdb.Pipeline()
		for _, k := range keys[i:min(i+500, len(keys))] {
			pipe.Set(ctx, k, "v", 0)
		}
		_, err := pipe.Exec(ctx)
		require.NoError(t, err)
	}
	return keys
}

func keyNames(ks []redisops.ScannedKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Key
	}
	sort.Strings(out)
	return out
}

func TestScanReturnsEveryKeyExactlyOnce(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	want := fill(t, c.Redis(), 3000)
	sort.Strings(want)

	got, res := scanAll(t, c, redisops.ScanOptions{Count: 50})
	assert.Equal(t, want, keyNames(got))
	assert.True(t, res.Complete)
	assert.Equal(t, len(want), res.Keys)
	assert.Greater(t, res.Calls, 10, "a small COUNT takes many round trips")
}

func TestScanFilters(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	fill(t, c.Redis(), 100)
	require.NoError(t, c.Redis().HSet(ctx, "lead:h", "f", "v").Err())
	require.NoError(t, c.Redis().Set(ctx, "lead:ttl", "v", time.Hour).Err())

	t.Run("match honours glob escapes", func(t *testing.T) {
		got, _ := scanAll(t, c, redisops.ScanOptions{Match: `temp:\*`})
		assert.Equal(t, []string{"temp:*"}, keyNames(got))
	})
	t.Run("type filter", func(t *testing.T) {
		got, _ := scanAll(t, c, redisops.ScanOptions{Type: "hash"})
		require.Len(t, got, 1)
		assert.Equal(t, "lead:h", got[0].Key)
		assert.Equal(t, "hash", got[0].Type)
	})
	t.Run("meta gives type and TTL", func(t *testing.T) {
		got, _ := scanAll(t, c, redisops.ScanOptions{Match: "lead:[ht]*", WithMeta: true})
		byKey := map[string]redisops.ScannedKey{}
		for _, k := range got {
			byKey[k.Key] = k
		}
		assert.Equal(t, "hash", byKey["lead:h"].Type)
		assert.Equal(t, int64(-1), byKey["lead:h"].TTL)
		assert.Equal(t, "string", byKey["lead:ttl"].Type)
		assert.InDelta(t, time.Hour.Milliseconds(), byKey["lead:ttl"].TTL, 60_000)
	})
}

func TestScanStopsEarly(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fill(t, c.Redis(), 5000)

	t.Run("limit", func(t *testing.T) {
		got, res := scanAll(t, c, redisops.ScanOptions{Limit: 1234, Count: 100})
		assert.Len(t, got, 1234)
		assert.Equal(t, 1234, res.Keys)
		assert.False(t, res.Complete)
	})
	t.Run("consumer stop", func(t *testing.T) {
		batches := 0
		res, err := c.Scan(context.Background(), redisops.ScanOptions{Count: 100}, func([]redisops.ScannedKey) error {
			batches++
			return redisops.ErrStopScan
		})
		require.NoError(t, err)
		assert.Equal(t, 1, batches)
		assert.False(t, res.Complete)
	})
	t.Run("consumer error", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := c.Scan(context.Background(), redisops.ScanOptions{}, func([]redisops.ScannedKey) error { return boom })
		assert.ErrorIs(t, err, boom)
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		_, err := c.Scan(ctx, redisops.ScanOptions{Count: 10}, func([]redisops.ScannedKey) error {
			cancel()
			return nil
		})
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestScanCoversEveryClusterMaster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	require.True(t, c.IsCluster())
	want := fill(t, c.Redis(), 2000)
	sort.Strings(want)

	got, res := scanAll(t, c, redisops.ScanOptions{Count: 100, WithMeta: true})
	assert.Equal(t, want, keyNames(got))
	assert.True(t, res.Complete)
	for _, k := range got {
		assert.Equal(t, "string", k.Type, "meta is fetched from the node that holds the key")
	}
}

func TestScanRefusedByACL(t *testing.T) {
	srv := redistest.Standalone(t)
	admin := connect(t, redisops.ConnOptions{URL: srv.URL()})
	require.NoError(t, admin.Redis().Do(context.Background(), "ACL", "SETUSER", "noscan", "on", ">pw", "~*", "+@all", "-scan").Err())
	c := connect(t, redisops.ConnOptions{URL: srv.URL(), User: "noscan", Password: "pw"})
	_, err := c.Scan(context.Background(), redisops.ScanOptions{}, func([]redisops.ScannedKey) error { return nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SCAN denied by ACL")
}
