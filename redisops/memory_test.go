package redisops_test

import (
	"context"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
)

// truthKey is one key as measured independently of MemoryBreakdown: one
// plain command at a time.
type truthKey struct {
	key, typ   string
	bytes, len int64
	noTTL      bool
	namespace  string
}

// truthNS is the expected NamespaceUsage.
type truthNS struct {
	keys, bytes, noTTL int64
	biggest            int64 // bytes of the namespace's largest key
	types              map[string]int64
}

// measureTruth SCANs every master and runs MEMORY USAGE, TYPE, PTTL and the
// length command on each key, one by one.
func measureTruth(t *testing.T, rdb redis.UniversalClient, depth int) ([]truthKey, map[string]*truthNS) {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[string]bool{}
	var keys []string
	collect := func(ctx context.Context, node *redis.Client) error {
		iter := node.Scan(ctx, 0, "", 500).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			if !seen[iter.Val()] {
				seen[iter.Val()] = true
				keys = append(keys, iter.Val())
			}
			mu.Unlock()
		}
		return iter.Err()
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		require.NoError(t, cc.ForEachMaster(ctx, collect))
	} else {
		require.NoError(t, collect(ctx, rdb.(*redis.Client)))
	}
	out := make([]truthKey, 0, len(keys))
	byNS := map[string]*truthNS{}
	for i := 0; i < len(keys); i += 500 {
		chunk := keys[i:min(i+500, len(keys))]
		pipe := rdb.Pipeline()
		mem := make([]*redis.IntCmd, len(chunk))
		typ := make([]*redis.StatusCmd, len(chunk))
		ttl := make([]*redis.DurationCmd, len(chunk))
		for j, k := range chunk {
			mem[j] = pipe.MemoryUsage(ctx, k)
			typ[j] = pipe.Type(ctx, k)
			ttl[j] = pipe.PTTL(ctx, k)
		}
		_, err := pipe.Exec(ctx)
		require.NoError(t, err)
		pipe = rdb.Pipeline()
		lens := make([]*redis.IntCmd, len(chunk))
		for j, k := range chunk {
			switch typ[j].Val() {
			case "string":
				lens[j] = pipe.StrLen(ctx, k)
			case "hash":
				lens[j] = pipe.HLen(ctx, k)
			case "list":
				lens[j] = pipe.LLen(ctx, k)
			case "set":
				lens[j] = pipe.SCard(ctx, k)
			case "zset":
				lens[j] = pipe.ZCard(ctx, k)
			case "stream":
				lens[j] = pipe.XLen(ctx, k)
			default:
				t.Fatalf("unexpected type %q of %q", typ[j].Val(), k)
			}
		}
		_, err = pipe.Exec(ctx)
		require.NoError(t, err)
		for j, k := range chunk {
			tk := truthKey{key: k, namespace: prefixAt(k, depth), bytes: mem[j].Val(), typ: typ[j].Val(), noTTL: ttl[j].Val() == -1, len: lens[j].Val()}
			out = append(out, tk)
			ns := byNS[tk.namespace]
			if ns == nil {
				ns = &truthNS{types: map[string]int64{}}
				byNS[tk.namespace] = ns
			}
			ns.keys++
			ns.bytes += tk.bytes
			ns.biggest = max(ns.biggest, tk.bytes)
			ns.types[tk.typ]++
			if tk.noTTL {
				ns.noTTL++
			}
		}
	}
	return out, byNS
}

// prefixAt is the namespace of key at depth, written independently of
// the package's.
func prefixAt(key string, depth int) string {
	parts := strings.SplitAfter(key, ":")
	if len(parts) <= 1 {
		return ""
	}
	n := min(depth, len(parts)-1)
	return strings.Join(parts[:n], "")
}

func seedInto(t *testing.T, rdb redis.UniversalClient, keys int) {
	t.Helper()
	_, err := seed.Seed(context.Background(), rdb, seed.Options{Keys: keys})
	require.NoError(t, err)
}

func byPrefix(r *redisops.MemoryReport) map[string]redisops.NamespaceUsage {
	out := map[string]redisops.NamespaceUsage{}
	for _, ns := range r.Namespaces {
		out[ns.Prefix] = ns
	}
	return out
}

func TestMemoryBreakdownExactMatchesMemoryUsage(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	seedInto(t, c.Redis(), 3000)
	truth, truthNS := measureTruth(t, c.Redis(), 1)

	var progress []redisops.MemoryProgress
	r, err := c.MemoryBreakdown(context.Background(), redisops.MemoryOptions{
		Exact: true, Count: 50, Top: 10,
		Progress: func(p redisops.MemoryProgress) { progress = append(progress, p) },
	})
	require.NoError(t, err)
	assert.True(t, r.Exact)
	assert.False(t, r.Cancelled)
	assert.Equal(t, float64(1), r.Sample)
	assert.Equal(t, int64(len(truth)), r.TotalKeys)
	assert.Equal(t, int64(len(truth)), r.ScannedKeys)
	assert.Equal(t, int64(len(truth)), r.MeasuredKeys)

	var total int64
	for _, k := range truth {
		total += k.bytes
	}
	assert.Equal(t, total, r.TotalBytes, "the sum of MEMORY USAGE over every key")

	got := byPrefix(r)
	require.Len(t, got, len(truthNS))
	var shares float64
	for prefix, want := range truthNS {
		ns, ok := got[prefix]
		require.True(t, ok, "namespace %q", prefix)
		assert.Equal(t, want.keys, ns.Keys, prefix)
		assert.Equal(t, want.keys, ns.Measured, prefix)
		assert.Equal(t, want.bytes, ns.Bytes, prefix)
		assert.Equal(t, want.noTTL, ns.NoTTL, prefix)
		assert.Equal(t, want.types, ns.Types, prefix)
		assert.Equal(t, want.bytes/want.keys, ns.AvgBytes, prefix)
		assert.InDelta(t, float64(want.bytes)/float64(total), ns.Share, 1e-9, prefix)
		shares += ns.Share
	}
	assert.InDelta(t, 1, shares, 1e-9)
	for i := 1; i < len(r.Namespaces); i++ {
		assert.GreaterOrEqual(t, r.Namespaces[i-1].Bytes, r.Namespaces[i].Bytes, "namespaces by bytes, largest first")
	}
	assert.Contains(t, got, "", "keys without a delimiter count under the empty prefix")

	// Top lists: the same keys, in the same order, as sorting the truth.
	sort.Slice(truth, func(i, j int) bool {
		if truth[i].bytes != truth[j].bytes {
			return truth[i].bytes > truth[j].bytes
		}
		return truth[i].key < truth[j].key
	})
	require.Len(t, r.TopByBytes, 10)
	for i, u := range r.TopByBytes {
		assert.Equal(t, truth[i].key, u.Key, "top by bytes #%d", i)
		assert.Equal(t, truth[i].bytes, u.Bytes)
		assert.Equal(t, truth[i].typ, u.Type)
		assert.Equal(t, truth[i].len, u.Length, "length of %q", u.Key)
	}
	var colls []truthKey
	for _, k := range truth {
		if k.typ != "string" {
			colls = append(colls, k)
		}
	}
	sort.Slice(colls, func(i, j int) bool {
		if colls[i].len != colls[j].len {
			return colls[i].len > colls[j].len
		}
		return colls[i].key < colls[j].key
	})
	require.NotEmpty(t, colls, "the seeded dataset holds every type")
	require.Len(t, r.TopByLength, min(10, len(colls)))
	for i, u := range r.TopByLength {
		assert.Equal(t, colls[i].key, u.Key, "top by length #%d", i)
		assert.Equal(t, colls[i].len, u.Length)
		assert.Equal(t, colls[i].typ, u.Type)
		assert.NotEqual(t, "string", u.Type)
	}

	// Progress: Total is DBSIZE, Scanned never goes back.
	for i, p := range progress {
		assert.Equal(t, int64(len(truth)), p.Total)
		if i > 0 {
			assert.GreaterOrEqual(t, p.Scanned, progress[i-1].Scanned)
			assert.GreaterOrEqual(t, p.Elapsed, 100*time.Millisecond*time.Duration(i))
		}
	}
}

func TestMemoryBreakdownSampledCountsExactlyAndEstimatesBytes(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	seedInto(t, c.Redis(), 40_000)
	_, truthNS := measureTruth(t, c.Redis(), 1)
	var total int64
	for _, ns := range truthNS {
		total += ns.bytes
	}

	for _, fraction := range []float64{0.05, 0.2} {
		r, err := c.MemoryBreakdown(context.Background(), redisops.MemoryOptions{Sample: fraction})
		require.NoError(t, err)
		assert.False(t, r.Exact)
		assert.Equal(t, fraction, r.Sample)
		assert.Equal(t, int64(40_000), r.ScannedKeys)
		assert.InDelta(t, fraction*40_000, r.MeasuredKeys, fraction*40_000*0.1+float64(3*len(truthNS)), "about the fraction is measured")
		got := byPrefix(r)
		require.Len(t, got, len(truthNS))
		worst := 0.0
		for prefix, want := range truthNS {
			ns := got[prefix]
			assert.Equal(t, want.keys, ns.Keys, "keys of %q are counted, not estimated", prefix)
			assert.Equal(t, want.noTTL, ns.NoTTL, "no-TTL keys of %q are counted", prefix)
			assert.Positive(t, ns.Measured, "every namespace gets an estimate: %q", prefix)
			// A namespace one key dominates (api: holds the seed's 2 MiB
			// value) cannot be estimated from a sample that misses the key:
			// that is what --exact is for.
			if float64(want.bytes) >= 0.05*float64(total) && want.biggest < want.bytes/10 {
				e := math.Abs(float64(ns.Bytes-want.bytes)) / float64(want.bytes)
				worst = max(worst, e)
				assert.Less(t, e, 0.15, "%q: estimated %d, true %d (sample %g)", prefix, ns.Bytes, want.bytes, fraction)
			}
		}
		t.Logf("sample %g: measured %d keys, worst error over namespaces ≥5%% of bytes without a dominating key %.1f%%, total %d vs %d",
			fraction, r.MeasuredKeys, 100*worst, r.TotalBytes, total)
		assert.InEpsilon(t, total-truthNS["api:"].biggest, r.TotalBytes, 0.1)
	}

	// SampleTTL trades the exact no-TTL counts for speed: estimates, flagged.
	r, err := c.MemoryBreakdown(context.Background(), redisops.MemoryOptions{Sample: 0.2, SampleTTL: true})
	require.NoError(t, err)
	assert.True(t, r.NoTTLEstimate)
	assert.Equal(t, int64(40_000), r.ScannedKeys)
}

func TestMemoryBreakdownDepthDelimiterAndCap(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	rdb := c.Redis()
	for _, k := range []string{"a:1:x", "a:1:y", "a:2:x", "b:1", "b", "c/1/z", "", "new\nline:1"} {
		require.NoError(t, rdb.Set(ctx, k, "value", 0).Err())
	}
	require.NoError(t, rdb.Expire(ctx, "a:1:x", time.Hour).Err())

	r, err := c.MemoryBreakdown(ctx, redisops.MemoryOptions{Exact: true, Depth: 2})
	require.NoError(t, err)
	got := byPrefix(r)
	keys := map[string]int64{}
	for p, ns := range got {
		keys[p] = ns.Keys
	}
	assert.Equal(t, map[string]int64{"a:1:": 2, "a:2:": 1, "b:": 1, "": 3, "new\nline:": 1}, keys)
	assert.Equal(t, int64(1), got["a:1:"].NoTTL)
	assert.Equal(t, 2, r.Depth)
	assert.Equal(t, ":", r.Delimiter)

	r, err = c.MemoryBreakdown(ctx, redisops.MemoryOptions{Exact: true, Delimiter: "/"})
	require.NoError(t, err)
	assert.Equal(t, int64(1), byPrefix(r)["c/"].Keys)
	assert.Equal(t, int64(7), byPrefix(r)[""].Keys)

	// Past MaxNamespaces, keys count in one (other) bucket; nothing is lost.
	r, err = c.MemoryBreakdown(ctx, redisops.MemoryOptions{Exact: true, Depth: 2, MaxNamespaces: 2})
	require.NoError(t, err)
	require.Len(t, r.Namespaces, 3)
	var sum, bytes int64
	var other *redisops.NamespaceUsage
	for i, ns := range r.Namespaces {
		sum += ns.Keys
		bytes += ns.Bytes
		if ns.Other {
			other = &r.Namespaces[i]
		}
	}
	require.NotNil(t, other)
	assert.Equal(t, redisops.OtherNamespace, other.Prefix)
	assert.Equal(t, int64(8), sum)
	assert.Equal(t, r.TotalBytes, bytes)

	_, err = c.MemoryBreakdown(ctx, redisops.MemoryOptions{Sample: 1.5})
	assert.ErrorContains(t, err, "not between 0 and 1")
}

func TestMemoryBreakdownCancelReturnsPartialReport(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fill(t, c.Redis(), 20_000)
	// A governor with a fixed 20 ms pause per batch makes the walk take
	// seconds; cancel it after a few batches.
	g := redisops.NewGovernor(c, redisops.GovernorOptions{MinPause: 20 * time.Millisecond})
	g.Start(t.Context())
	defer g.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	r, err := c.MemoryBreakdown(ctx, redisops.MemoryOptions{Exact: true, Count: 100, Governor: g})
	require.NoError(t, err, "cancellation is not a failure")
	require.NotNil(t, r)
	assert.True(t, r.Cancelled)
	assert.Less(t, time.Since(start), 2*time.Second, "stops promptly")
	assert.Positive(t, r.ScannedKeys)
	assert.Less(t, r.ScannedKeys, r.TotalKeys)
	assert.Equal(t, r.ScannedKeys, r.MeasuredKeys)
	var sum int64
	for _, ns := range r.Namespaces {
		sum += ns.Bytes
	}
	assert.Equal(t, r.TotalBytes, sum)
}

func TestMemoryBreakdownCoversEveryClusterMaster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	require.True(t, c.IsCluster())
	seedInto(t, c.Redis(), 3000)
	truth, truthNS := measureTruth(t, c.Redis(), 1)

	g := redisops.NewGovernor(c, redisops.GovernorOptions{})
	g.Start(t.Context())
	defer g.Stop()
	r, err := c.MemoryBreakdown(context.Background(), redisops.MemoryOptions{Exact: true, Governor: g})
	require.NoError(t, err)
	assert.Equal(t, int64(len(truth)), r.TotalKeys, "DBSIZE summed over the masters")
	assert.Equal(t, int64(len(truth)), r.ScannedKeys)
	var total int64
	for _, k := range truth {
		total += k.bytes
	}
	assert.Equal(t, total, r.TotalBytes)
	for prefix, want := range truthNS {
		assert.Equal(t, want.bytes, byPrefix(r)[prefix].Bytes, prefix)
	}
	// Each master holds part of the keyspace: all of it was walked.
	for _, addr := range cl.Addrs() {
		n, err := redis.NewClient(&redis.Options{Addr: addr}).DBSize(context.Background()).Result()
		require.NoError(t, err)
		assert.Positive(t, n, addr)
	}
	for _, u := range r.TopByBytes {
		if u.Type == "string" {
			assert.Positive(t, u.Length, "STRLEN of %q reached the right master", u.Key)
		}
	}

	facts, err := c.MemoryFacts(context.Background())
	require.NoError(t, err)
	assert.Len(t, facts.Nodes, 3)
	for addr, f := range facts.Nodes {
		assert.Equal(t, addr, f.Node)
		assert.NotEmpty(t, f.Info["used_memory"], addr)
	}
}

func TestMemoryBreakdownRefused(t *testing.T) {
	srv := redistest.Restricted(t)
	admin := connect(t, redisops.ConnOptions{URL: "redis://" + srv.Addr, Password: srv.DefaultPassword})
	require.NoError(t, admin.Redis().Set(context.Background(), "lead:1", "v", 0).Err())

	noMemory := connect(t, redisops.ConnOptions{URL: "redis://" + srv.Addr, User: srv.NoInfoUser, Password: srv.NoInfoPassword})
	_, err := noMemory.MemoryBreakdown(context.Background(), redisops.MemoryOptions{Exact: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MEMORY USAGE denied by ACL")
	assert.Contains(t, err.Error(), "cannot work without it")
	assert.NotContains(t, err.Error(), "\n", "one line")

	// MEMORY USAGE is in @read: a read-only user gets a breakdown, and the
	// server facts it may not read are marked unavailable.
	ro := connect(t, redisops.ConnOptions{URL: "redis://" + srv.Addr, User: srv.ReadOnlyUser, Password: srv.ReadOnlyPassword})
	r, err := ro.MemoryBreakdown(context.Background(), redisops.MemoryOptions{Exact: true})
	require.NoError(t, err)
	assert.Equal(t, int64(1), r.ScannedKeys)
	facts, err := ro.MemoryFacts(context.Background())
	require.NoError(t, err)
	assert.Contains(t, facts.Unavailable["info"], "INFO denied by ACL")
	assert.Contains(t, facts.Unavailable["stats"], "MEMORY STATS denied by ACL")
	assert.Empty(t, facts.Info)

	facts, err = noMemory.MemoryFacts(context.Background())
	require.NoError(t, err)
	assert.Contains(t, facts.Unavailable["doctor"], "MEMORY DOCTOR denied by ACL")
}

func TestMemoryFacts(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fill(t, c.Redis(), 100)
	f, err := c.MemoryFacts(context.Background())
	require.NoError(t, err)
	assert.Empty(t, f.Unavailable)
	assert.Equal(t, srv.Addr, f.Node)
	assert.Nil(t, f.Nodes)
	assert.NotEmpty(t, f.Info["used_memory"])
	assert.NotEmpty(t, f.Info["maxmemory_policy"])
	assert.NotEmpty(t, f.Stats["dataset.bytes"])
	assert.NotEmpty(t, f.Stats["db.0.overhead.hashtable.main"], "nested entries are flattened: %v", f.Stats)
	assert.NotEmpty(t, f.Doctor)
}

// MEMORY USAGE's SAMPLES argument reaches the server: a big hash (a
// hashtable, which MEMORY USAGE samples) measures as MEMORY USAGE with the
// same SAMPLES says, with SAMPLES 0 (every field) and with a custom count.
func TestMemoryBreakdownSamplesArgument(t *testing.T) {
	srv := redistest.Standalone(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()
	fields := make([]any, 0, 4000)
	for i := range 2000 {
		// Values of varied length, so that a sample differs from the whole.
		fields = append(fields, "f"+itoa(i), strings.Repeat("v", 1+i%300))
	}
	require.NoError(t, rdb.HSet(ctx, "jobs:big", fields...).Err())
	require.NoError(t, rdb.Set(ctx, "lead:1", "x", 0).Err())
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	for _, tc := range []struct {
		samples, server int
	}{{redisops.MemorySamplesAll, 0}, {3, 3}, {0, 5}} {
		want, err := rdb.MemoryUsage(ctx, "jobs:big", tc.server).Result()
		require.NoError(t, err)
		t.Logf("MEMORY USAGE jobs:big SAMPLES %d: %d", tc.server, want)
		r, err := c.MemoryBreakdown(ctx, redisops.MemoryOptions{Exact: true, Samples: tc.samples})
		require.NoError(t, err)
		require.EqualValues(t, 2, r.MeasuredKeys)
		require.NotEmpty(t, r.TopByBytes)
		assert.Equal(t, "jobs:big", r.TopByBytes[0].Key)
		assert.Equal(t, want, r.TopByBytes[0].Bytes, "Samples %d = SAMPLES %d", tc.samples, tc.server)
		assert.EqualValues(t, 2000, r.TopByBytes[0].Length)
	}
}
