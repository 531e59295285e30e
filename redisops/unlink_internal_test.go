package redisops

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

// A refused UNLINK and a lost one in the same batch: the lost one is
// settled (resent, its keys counted) before the refusal stops the run.
func TestUnlinkBatchRefusedAndLost(t *testing.T) {
	srv := redistest.Standalone(t)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer admin.Close()
	require.NoError(t, admin.Do(ctx, "ACL", "SETUSER", "onlya", "on", ">pw", "~a:*", "+@all").Err())
	var keys []string
	for _, prefix := range []string{"b:", "a:"} {
		for i := range unlinkChunk {
			k := fmt.Sprintf("%s%d", prefix, i)
			keys = append(keys, k)
			require.NoError(t, admin.Set(ctx, k, "v", 0).Err())
		}
	}
	proxy := redistest.NewProxy(t, srv.Addr)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := Connect(cctx, ConnOptions{URL: "redis://" + proxy.Addr(), User: "onlya", Password: "pw", Standalone: true, DB: -1})
	require.NoError(t, err)
	defer c.Close()
	proxy.LoseRepliesAfter("unlink", 1, 1) // the refusal of the b: group gets through, the a: group's answer is lost

	deleted, unconfirmed, err := c.unlinkBatch(ctx, keys)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NOPERM")
	assert.EqualValues(t, unlinkChunk, deleted, "the a: keys are gone and counted")
	assert.EqualValues(t, unlinkChunk, unconfirmed)
	assert.Zero(t, admin.Exists(ctx, "a:0", "a:1").Val())
	assert.EqualValues(t, 2, admin.Exists(ctx, "b:0", "b:1").Val())
}

func TestLiteralKey(t *testing.T) {
	for pattern, want := range map[string]string{
		"lead:42":        "lead:42",
		`temp:\*`:        "temp:*",
		`a\?\[b\]\\`:     `a?[b]\`,
		"x]y":            "x]y",
		`trailing\`:      `trailing\`,
		"":               "",
		`lead:\4\2`:      "lead:42",
		"bin:\xff\x00ok": "bin:\xff\x00ok",
	} {
		got, ok := literalKey(pattern)
		assert.True(t, ok, pattern)
		assert.Equal(t, want, got, pattern)
	}
	for _, pattern := range []string{"lead:*", "a?b", "x[ab]", `\\*`, "*"} {
		_, ok := literalKey(pattern)
		assert.False(t, ok, pattern)
	}
}
