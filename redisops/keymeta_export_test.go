package redisops_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func TestKeyMeta(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	rdb := c.Redis()
	require.NoError(t, rdb.Set(ctx, "s:ttl", "v", time.Hour).Err())
	require.NoError(t, rdb.Set(ctx, "s:none", "v", 0).Err())
	require.NoError(t, rdb.HSet(ctx, "h", "f", "v").Err())
	require.NoError(t, rdb.RPush(ctx, "l", "a").Err())
	require.NoError(t, rdb.SAdd(ctx, "set", "a").Err())
	require.NoError(t, rdb.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "a"}).Err())
	require.NoError(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "x", Values: []string{"f", "v"}}).Err())
	awkward := "esc\x1b[31m\xff\n"
	require.NoError(t, rdb.Set(ctx, awkward, "v", 90*time.Second).Err())

	keys := []string{"s:ttl", "s:none", "h", "l", "set", "z", "x", "missing", awkward}
	got, err := c.KeyMeta(ctx, keys)
	require.NoError(t, err)
	require.Len(t, got, len(keys))
	for i, k := range keys {
		assert.Equal(t, k, got[i].Key, "results keep the order of the keys")
	}
	types := []string{"string", "string", "hash", "list", "set", "zset", "stream", "none", "string"}
	for i, want := range types {
		assert.Equal(t, want, got[i].Type, keys[i])
	}
	assert.InDelta(t, time.Hour.Milliseconds(), got[0].TTL, 60_000)
	assert.Equal(t, int64(-1), got[1].TTL)
	assert.Equal(t, int64(-2), got[7].TTL, "a missing key answers -2")
	assert.InDelta(t, 90_000, got[8].TTL, 60_000)

	empty, err := c.KeyMeta(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestKeyMetaInCluster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	require.True(t, c.IsCluster())
	ctx := context.Background()
	var keys []string
	for i := range 300 {
		k := fmt.Sprintf("lead:%d", i)
		keys = append(keys, k)
		if i%2 == 0 {
			require.NoError(t, c.Redis().Set(ctx, k, "v", time.Hour).Err())
		} else {
			require.NoError(t, c.Redis().HSet(ctx, k, "f", "v").Err())
		}
	}
	got, err := c.KeyMeta(ctx, keys)
	require.NoError(t, err)
	for i, k := range got {
		require.Equal(t, keys[i], k.Key)
		if i%2 == 0 {
			assert.Equal(t, "string", k.Type, "key on whichever master holds its slot")
			assert.Greater(t, k.TTL, int64(0))
		} else {
			assert.Equal(t, "hash", k.Type)
			assert.Equal(t, int64(-1), k.TTL)
		}
	}
}

func TestKeyMetaRefused(t *testing.T) {
	srv := redistest.Standalone(t)
	admin := connect(t, redisops.ConnOptions{URL: srv.URL()})
	require.NoError(t, admin.Redis().Do(context.Background(), "ACL", "SETUSER", "notype", "on", ">pw", "~*", "+@all", "-type").Err())
	c := connect(t, redisops.ConnOptions{URL: srv.URL(), User: "notype", Password: "pw"})
	_, err := c.KeyMeta(context.Background(), []string{"a", "b"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TYPE/PTTL")
	assert.Contains(t, err.Error(), "denied by ACL")
}
