package redisops_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func compressedValue(t *testing.T, json string) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(json))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return "COMPRESSED:" + base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestInspectEveryType(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	rdb := c.Redis()
	lead := `{"id":"lead-1","score":12345678901234567890,"tags":["a","b"]}`
	require.NoError(t, rdb.Set(ctx, "lead:1:enrichment", compressedValue(t, lead), 7*24*time.Hour).Err())
	require.NoError(t, rdb.HSet(ctx, "workspace:1:members", "u1", `{"role":"owner"}`, "u2", "plain").Err())
	require.NoError(t, rdb.RPush(ctx, "queue", "a", "b", "c").Err())
	require.NoError(t, rdb.SAdd(ctx, "tags", "x", "y").Err())
	require.NoError(t, rdb.ZAdd(ctx, "rank", redis.Z{Score: 2.5, Member: "m"}).Err())
	require.NoError(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "events", ID: "1-1", Values: []string{"zeta", "1", "alpha", `{"k":1}`}}).Err())

	t.Run("compressed string", func(t *testing.T) {
		r, err := c.Inspect(ctx, "lead:1:enrichment", redisops.InspectOptions{})
		require.NoError(t, err)
		assert.Equal(t, "string", r.Type)
		assert.InDelta(t, (7 * 24 * time.Hour).Milliseconds(), r.TTL, 60_000)
		assert.NotEmpty(t, r.Encoding)
		assert.Positive(t, r.MemoryBytes)
		assert.Equal(t, int64(len(r.Raw)), r.Length)
		require.NotNil(t, r.Value)
		assert.Equal(t, []string{"coldcopy-compressed", "base64", "gzip"}, r.Value.Layers)
		assert.Equal(t, "json", r.Value.Format)
		assert.Contains(t, r.Value.Text, "12345678901234567890", "big integers stay exact")
		assert.Empty(t, r.Unavailable)
	})
	t.Run("hash", func(t *testing.T) {
		r, err := c.Inspect(ctx, "workspace:1:members", redisops.InspectOptions{})
		require.NoError(t, err)
		assert.Equal(t, int64(2), r.Length)
		require.Len(t, r.Items, 2)
		fields := map[string]string{}
		for _, it := range r.Items {
			fields[it.Field] = it.Value.Format
		}
		assert.Equal(t, map[string]string{"u1": "json", "u2": "text"}, fields)
		assert.Equal(t, int64(-1), r.TTL)
	})
	t.Run("list", func(t *testing.T) {
		r, err := c.Inspect(ctx, "queue", redisops.InspectOptions{})
		require.NoError(t, err)
		require.Len(t, r.Items, 3)
		assert.Equal(t, "a", string(r.Items[0].Raw))
		assert.Empty(t, r.Cursor)
	})
	t.Run("set", func(t *testing.T) {
		r, err := c.Inspect(ctx, "tags", redisops.InspectOptions{})
		require.NoError(t, err)
		assert.Len(t, r.Items, 2)
		assert.Equal(t, int64(2), r.Length)
	})
	t.Run("zset", func(t *testing.T) {
		r, err := c.Inspect(ctx, "rank", redisops.InspectOptions{})
		require.NoError(t, err)
		require.Len(t, r.Items, 1)
		require.NotNil(t, r.Items[0].Score)
		assert.Equal(t, 2.5, *r.Items[0].Score)
	})
	t.Run("stream keeps field order", func(t *testing.T) {
		r, err := c.Inspect(ctx, "events", redisops.InspectOptions{})
		require.NoError(t, err)
		require.Len(t, r.Items, 1)
		assert.Equal(t, "1-1", r.Items[0].Field)
		require.Len(t, r.Items[0].Entry, 2)
		assert.Equal(t, "zeta", r.Items[0].Entry[0].Name)
		assert.Equal(t, "json", r.Items[0].Entry[1].Value.Format)
	})
	t.Run("missing key", func(t *testing.T) {
		_, err := c.Inspect(ctx, "nope", redisops.InspectOptions{})
		assert.ErrorIs(t, err, redisops.ErrNoSuchKey)
	})
}

func TestInspectBoundsBigValues(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	rdb := c.Redis()
	big := strings.Repeat("x", 3<<20)
	require.NoError(t, rdb.Set(ctx, "big", big, 0).Err())

	r, err := c.Inspect(ctx, "big", redisops.InspectOptions{MaxBytes: 1 << 20})
	require.NoError(t, err)
	assert.Len(t, r.Raw, 1<<20)
	assert.True(t, r.Truncated)
	assert.Equal(t, int64(3<<20), r.Length)
	assert.True(t, r.Value.Truncated)

	t.Run("collections page with a cursor", func(t *testing.T) {
		pipe := rdb.Pipeline()
		for i := 0; i < 1000; i++ {
			pipe.HSet(ctx, "bighash", fmt.Sprintf("f%04d", i), i)
			pipe.RPush(ctx, "biglist", i)
			pipe.SAdd(ctx, "bigset", i)
			pipe.ZAdd(ctx, "bigzset", redis.Z{Score: float64(i), Member: i})
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: "bigstream", Values: []string{"n", fmt.Sprint(i)}})
		}
		_, err := pipe.Exec(ctx)
		require.NoError(t, err)
		for _, key := range []string{"bighash", "biglist", "bigset", "bigzset", "bigstream"} {
			seen := map[string]bool{}
			cursor := ""
			for pages := 0; pages < 200; pages++ {
				r, err := c.Inspect(ctx, key, redisops.InspectOptions{PageSize: 100, Cursor: cursor})
				require.NoError(t, err, key)
				assert.Equal(t, int64(1000), r.Length, key)
				assert.LessOrEqual(t, len(r.Items), 300, "%s: one page stays near the page size", key)
				for _, it := range r.Items {
					id := it.Field + string(it.Raw)
					if len(it.Entry) > 0 {
						id = string(it.Field)
					}
					seen[id] = true
				}
				if r.Cursor == "" {
					break
				}
				cursor = r.Cursor
			}
			assert.Len(t, seen, 1000, "%s: paging reaches every member", key)
		}
	})
}

func TestInspectDegradesWhenCommandsAreRefused(t *testing.T) {
	srv := redistest.Restricted(t)
	admin := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.AdminUser, Password: srv.AdminPassword})
	ctx := context.Background()
	require.NoError(t, admin.Redis().Set(ctx, "user:1", `{"name":"Ada"}`, time.Minute).Err())

	c := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.NoInfoUser, Password: srv.NoInfoPassword})
	r, err := c.Inspect(ctx, "user:1", redisops.InspectOptions{})
	require.NoError(t, err, "inspection still succeeds")
	assert.Equal(t, "string", r.Type)
	assert.Positive(t, r.TTL)
	assert.Equal(t, "json", r.Value.Format)
	assert.Equal(t, int64(-1), r.MemoryBytes)
	assert.Contains(t, r.Unavailable["memory_bytes"], "MEMORY USAGE denied by ACL")
	assert.Contains(t, r.Unavailable["encoding"], "OBJECT ENCODING denied by ACL")
}

func TestInspectInCluster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		key := fmt.Sprintf("user:%d", i)
		require.NoError(t, c.Redis().Set(ctx, key, "v", 0).Err())
		r, err := c.Inspect(ctx, key, redisops.InspectOptions{})
		require.NoError(t, err)
		assert.Equal(t, "v", string(r.Raw))
	}
}
