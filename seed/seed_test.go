package seed_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/seed"
)

func standalone(t testing.TB) *redis.Client {
	t.Helper()
	srv := redistest.Standalone(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// scanAll lists every key of one node with SCAN (never KEYS).
func scanAll(t testing.TB, ctx context.Context, rdb *redis.Client) []string {
	t.Helper()
	var keys []string
	var cursor uint64
	for {
		page, next, err := rdb.Scan(ctx, cursor, "", 1000).Result()
		require.NoError(t, err)
		keys = append(keys, page...)
		if cursor = next; cursor == 0 {
			return keys
		}
	}
}

// byKey indexes the default dataset of testKeys keys.
func byKey() map[string]seed.Entry {
	out := map[string]seed.Entry{}
	for _, e := range dataset() {
		out[e.Key] = e
	}
	return out
}

func TestSeedStandalone(t *testing.T) {
	ctx := t.Context()
	rdb := standalone(t)
	t.Parallel()
	opts := seed.Options{Keys: testKeys}

	var mu sync.Mutex
	var calls, last int
	opts.Progress = func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		assert.Equal(t, testKeys, total)
		assert.Greater(t, done, last, "progress only grows")
		last = done
	}
	start := time.Now()
	sum, err := seed.Seed(ctx, rdb, opts)
	require.NoError(t, err)
	t.Logf("seeded %d keys in %v", sum.Keys, time.Since(start))
	assert.Equal(t, testKeys, last)
	assert.Positive(t, calls)

	// Keys is exact.
	assert.Equal(t, testKeys, sum.Keys)
	n, err := rdb.DBSize(ctx).Result()
	require.NoError(t, err)
	assert.EqualValues(t, testKeys, n)

	want := byKey()
	total := 0
	for _, v := range sum.ByNamespace {
		total += v
	}
	assert.Equal(t, testKeys, total)
	byNS := map[string]int{}
	for _, e := range want {
		byNS[e.Namespace]++
	}
	assert.Equal(t, byNS, sum.ByNamespace)
	assert.Equal(t, seed.AwkwardKeys(), sum.Awkward)

	// Exactly the generated keys, byte for byte, awkward ones included; every namespace.
	got := scanAll(t, ctx, rdb)
	gotSet := map[string]bool{}
	for _, k := range got {
		gotSet[k] = true
	}
	require.Len(t, gotSet, testKeys)
	for k := range want {
		require.True(t, gotSet[k], "key %q missing", k)
	}
	for _, ns := range seed.Namespaces() {
		assert.Positive(t, sum.ByNamespace[ns.Pattern], ns.Pattern)
	}

	// Values, types and TTLs.
	pipe := rdb.Pipeline()
	gets := map[string]*redis.StringCmd{}
	types := map[string]*redis.StatusCmd{}
	ttls := map[string]*redis.DurationCmd{}
	for k, e := range want {
		if e.Kind == seed.KindString {
			gets[k] = pipe.Get(ctx, k)
		}
		types[k] = pipe.Type(ctx, k)
		ttls[k] = pipe.PTTL(ctx, k)
	}
	_, err = pipe.Exec(ctx)
	require.NoError(t, err)
	for k, e := range want {
		require.Equal(t, e.Kind.String(), types[k].Val(), "type of %q", k)
		if e.Kind == seed.KindString {
			require.Equal(t, string(e.Value), gets[k].Val(), "value of %q", k)
		}
		ttl := ttls[k].Val()
		if e.TTL == 0 {
			require.Equal(t, time.Duration(-1), ttl, "%q has no TTL", k)
		} else {
			require.True(t, ttl <= e.TTL && ttl > e.TTL-time.Minute, "%q: TTL %v, want about %v", k, ttl, e.TTL)
		}
	}

	damaged, err := rdb.Get(ctx, seed.KeyDamagedLZ).Bytes()
	require.NoError(t, err)
	assert.Contains(t, string(damaged), "\xEF\xBF\xBD")
	compressed, err := rdb.Get(ctx, seed.KeyCompressedLead).Result()
	require.NoError(t, err)
	assert.Regexp(t, "^COMPRESSED:H4sI", compressed)
	large, err := rdb.StrLen(ctx, seed.KeyLarge).Result()
	require.NoError(t, err)
	assert.EqualValues(t, seed.LargeSize, large)

	h := want[seed.KeyHash]
	assert.EqualValues(t, len(h.Items)/2, rdb.HLen(ctx, seed.KeyHash).Val())
	l := want[seed.KeyList]
	assert.Equal(t, l.Items[:3], rdb.LRange(ctx, seed.KeyList, 0, 2).Val())
	assert.EqualValues(t, len(want[seed.KeySet].Items), rdb.SCard(ctx, seed.KeySet).Val())
	assert.EqualValues(t, len(want[seed.KeyZSet].Items), rdb.ZCard(ctx, seed.KeyZSet).Val())
	s := want[seed.KeyStream]
	assert.EqualValues(t, len(s.Stream), rdb.XLen(ctx, seed.KeyStream).Val())
	first, err := rdb.XRangeN(ctx, seed.KeyStream, "-", "+", 1).Result()
	require.NoError(t, err)
	assert.Equal(t, s.Stream[0].ID, first[0].ID)
}

func TestSeedRefusesNonEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rdb := standalone(t)
	// A key of the dataset, with another type: Force must still write the dataset's version.
	require.NoError(t, rdb.Set(ctx, seed.KeyHash, "not a hash", 0).Err())

	_, err := seed.Seed(ctx, rdb, seed.Options{Keys: 500})
	require.ErrorIs(t, err, seed.ErrNotEmpty)
	assert.EqualValues(t, 1, rdb.DBSize(ctx).Val(), "nothing written")

	sum, err := seed.Seed(ctx, rdb, seed.Options{Keys: 500, Force: true})
	require.NoError(t, err)
	assert.Equal(t, 500, sum.Keys)
	assert.EqualValues(t, 500, rdb.DBSize(ctx).Val())
	assert.Equal(t, "hash", rdb.Type(ctx, seed.KeyHash).Val())

	_, err = seed.Seed(ctx, rdb, seed.Options{Keys: 500})
	assert.True(t, errors.Is(err, seed.ErrNotEmpty))
	_, err = seed.Seed(ctx, rdb, seed.Options{Keys: 500, Force: true})
	require.NoError(t, err, "seeding twice with Force overwrites")
	assert.EqualValues(t, 500, rdb.DBSize(ctx).Val())
}

func TestSeedStopsWithContext(t *testing.T) {
	t.Parallel()
	rdb := standalone(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := seed.Seed(ctx, rdb, seed.Options{Keys: testKeys})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestSeedCluster(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := redistest.Cluster(t, 3)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = rdb.Close() })

	start := time.Now()
	sum, err := seed.Seed(ctx, rdb, seed.Options{Keys: testKeys})
	require.NoError(t, err)
	t.Logf("seeded %d keys into 3 masters in %v", sum.Keys, time.Since(start))
	assert.EqualValues(t, testKeys, rdb.DBSize(ctx).Val())

	var mu sync.Mutex
	var all []string
	perNode := map[string]int{}
	require.NoError(t, rdb.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		keys := scanAll(t, ctx, node)
		mu.Lock()
		defer mu.Unlock()
		perNode[node.Options().Addr] = len(keys)
		all = append(all, keys...)
		return nil
	}))
	require.Len(t, perNode, 3)
	for addr, n := range perNode {
		assert.Greater(t, n, testKeys/5, "node %s holds its share", addr)
	}
	want := byKey()
	require.Len(t, all, len(want))
	for _, k := range all {
		_, ok := want[k]
		require.True(t, ok, "unexpected key %q", k)
	}

	for _, k := range append(seed.AwkwardKeys(), seed.KeyDamagedLZ, seed.KeyCleanLZ, seed.KeyRawSnappy) {
		v, err := rdb.Get(ctx, k).Result()
		require.NoError(t, err, "%q", k)
		assert.Equal(t, string(want[k].Value), v, "%q", k)
	}
	assert.EqualValues(t, len(want[seed.KeyZSet].Items), rdb.ZCard(ctx, seed.KeyZSet).Val())
	assert.EqualValues(t, len(want[seed.KeyStream].Stream), rdb.XLen(ctx, seed.KeyStream).Val())
}

// BenchmarkSeed reports keys per second into a standalone server (FLUSHALL between runs).
func BenchmarkSeed(b *testing.B) {
	for _, keys := range []int{100_000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			ctx := b.Context()
			rdb := standalone(b)
			for b.Loop() {
				b.StopTimer()
				require.NoError(b, rdb.FlushAll(ctx).Err())
				b.StartTimer()
				_, err := seed.Seed(ctx, rdb, seed.Options{Keys: keys})
				require.NoError(b, err)
			}
			b.ReportMetric(float64(b.N*keys)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}
