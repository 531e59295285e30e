package redisops_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

// seedTypes writes one key of every type (some with a TTL, one binary
// name) plus n plain strings, and returns the names.
func seedTypes(t *testing.T, rdb redis.Cmdable, n int) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, rdb.Set(ctx, "profile:1", `{"name":"Ada"}`, time.Hour).Err())
	require.NoError(t, rdb.Set(ctx, "bin:\xff\x00\n", "\x00\x01\x02", 0).Err())
	require.NoError(t, rdb.HSet(ctx, "lead:h", "a", "1", "b", "2").Err())
	require.NoError(t, rdb.Expire(ctx, "lead:h", 30*time.Minute).Err())
	require.NoError(t, rdb.RPush(ctx, "queue:l", "x", "y", "z").Err())
	require.NoError(t, rdb.SAdd(ctx, "tags:s", "p", "q").Err())
	require.NoError(t, rdb.ZAdd(ctx, "rank:z", redis.Z{Score: 1.5, Member: "m"}, redis.Z{Score: 2, Member: "n"}).Err())
	require.NoError(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "events:x", Values: []string{"k", "v"}}).Err())
	fillKeys(t, rdb, "ai:", n)
}

// snapshot is every key's DUMP payload (type and value, exactly) and TTL.
type keyState struct {
	value  string // type and content, order-free where the type is (see content)
	ttl    time.Duration
	expiry time.Time // when the TTL runs out, by this machine's clock
}

// content is a key's type and value. Not its DUMP: a hash-table set or
// hash dumps in its table's order, which a restored copy need not share.
func content(t *testing.T, rdb redis.Cmdable, k string) string {
	t.Helper()
	ctx := context.Background()
	typ := rdb.Type(ctx, k).Val()
	var v any
	var err error
	switch typ {
	case "string":
		v, err = rdb.Get(ctx, k).Result()
	case "list":
		v, err = rdb.LRange(ctx, k, 0, -1).Result()
	case "set":
		var members []string
		members, err = rdb.SMembers(ctx, k).Result()
		sort.Strings(members)
		v = members
	case "zset":
		v, err = rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
	case "hash":
		v, err = rdb.HGetAll(ctx, k).Result() // a map prints sorted
	case "stream":
		v, err = rdb.XRange(ctx, k, "-", "+").Result()
	default:
		v, err = rdb.Dump(ctx, k).Result()
	}
	require.NoError(t, err, "reading %q", k)
	return fmt.Sprintf("%s %v", typ, v)
}

func snapshot(t *testing.T, rdb redis.Cmdable) map[string]keyState {
	t.Helper()
	ctx := context.Background()
	out := map[string]keyState{}
	iter := rdb.Scan(ctx, 0, "", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		ttl := rdb.PTTL(ctx, k).Val()
		out[k] = keyState{value: content(t, rdb, k), ttl: ttl, expiry: time.Now().Add(ttl)}
	}
	require.NoError(t, iter.Err())
	return out
}

func TestLogicalBackupRoundTrip(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	seedTypes(t, c.Redis(), 2500)
	want := snapshot(t, c.Redis())

	dir := t.TempDir()
	path, err := redisops.NewBackupPath(dir, c.Addr, redisops.KindLogical, time.Now())
	require.NoError(t, err)
	var reports int
	res, err := c.LogicalBackup(ctx, path, redisops.LogicalOptions{Profile: "prod", Count: 500, Progress: func(redisops.LogicalProgress) { reports++ }})
	require.NoError(t, err)
	assert.EqualValues(t, len(want), res.Keys)
	assert.False(t, res.Cancelled)
	assert.Positive(t, reports)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	assert.EqualValues(t, st.Size(), res.Bytes)
	assert.NoFileExists(t, path+".partial")
	assert.NoFileExists(t, path+".partial.state")

	m, ok, err := redisops.ReadManifest(path)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, redisops.KindLogical, m.Kind)
	assert.Equal(t, "prod", m.Profile)
	assert.EqualValues(t, len(want), m.Keys)
	assert.Equal(t, res.SHA256, m.SHA256)
	v, err := redisops.VerifyLogical(path)
	require.NoError(t, err)
	assert.EqualValues(t, len(want), v.Records)
	assert.True(t, v.Manifest)

	// The harness empties the throwaway server; restore reads the file.
	require.NoError(t, c.Redis().FlushAll(ctx).Err())
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rr, err := c.Restore(ctx, f, redisops.RestoreOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, len(want), rr.Restored)

	got := snapshot(t, c.Redis())
	require.Len(t, got, len(want))
	for k, w := range want {
		g, ok := got[k]
		require.True(t, ok, "key %q restored", k)
		assert.Equal(t, w.value, g.value, "type and value of %q", k)
		if w.ttl < 0 {
			assert.Equal(t, w.ttl, g.ttl, "no TTL on %q", k)
		} else {
			// The restore gives back the expiry the key had, not a fresh TTL.
			assert.WithinDuration(t, w.expiry, g.expiry, time.Second, "expiry of %q within a second", k)
		}
	}

	// Never overwritten.
	_, err = c.LogicalBackup(ctx, path, redisops.LogicalOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "never overwrites")
}

func TestLogicalBackupPatterns(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	seedTypes(t, c.Redis(), 100)
	path := filepath.Join(t.TempDir(), "p.ndjson")
	res, err := c.LogicalBackup(context.Background(), path, redisops.LogicalOptions{Patterns: []string{"lead:*", "ai:1*", "ai:*"}})
	require.NoError(t, err)
	assert.EqualValues(t, 101, res.Keys, "lead:h and the 100 ai: keys, each once although two patterns match")
	keys := fileKeys(t, path)
	assert.Len(t, keys, 101)
	assert.True(t, keys["lead:h"])
	assert.False(t, keys["profile:1"])
}

// fileKeys reads the distinct keys of a logical backup.
func fileKeys(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var rec redisops.BackupRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
		k, err := base64.StdEncoding.DecodeString(rec.KeyB64)
		require.NoError(t, err)
		out[string(k)] = true
	}
	return out
}

func TestLogicalBackupResumesAfterCancel(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fillKeys(t, c.Redis(), "k", 3000)
	path := filepath.Join(t.TempDir(), "r.ndjson")

	ctx, cancel := context.WithCancel(context.Background())
	var seenKeys int64
	res, err := c.LogicalBackup(ctx, path, redisops.LogicalOptions{Count: 200, Progress: func(p redisops.LogicalProgress) {
		seenKeys = p.Keys
		cancel()
	}})
	require.NoError(t, err)
	require.True(t, res.Cancelled)
	require.Positive(t, res.Keys)
	require.Less(t, res.Keys, int64(3000), "stopped part-way")
	assert.Equal(t, seenKeys, res.Keys)
	assert.NoFileExists(t, path)
	assert.FileExists(t, path+".partial")

	// A torn batch after the resume point (a crash mid-write) is cut off.
	f, err := os.OpenFile(path+".partial", os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"key_b64":"dG9ybg==","ttl_ms":-1,"dump`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	entries, err := redisops.ListBackups(filepath.Dir(path), false)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.True(t, entries[0].Partial)
	assert.Equal(t, "partial (resumable)", entries[0].Status())

	_, err = c.LogicalBackup(context.Background(), path, redisops.LogicalOptions{Patterns: []string{"x*"}})
	require.Error(t, err, "another pattern does not resume this backup")
	assert.Contains(t, err.Error(), "unfinished backup")

	res2, err := c.LogicalBackup(context.Background(), path, redisops.LogicalOptions{Count: 200})
	require.NoError(t, err)
	assert.Equal(t, res.Keys, res2.ResumedFrom)
	assert.GreaterOrEqual(t, res2.Keys, int64(3000))
	keys := fileKeys(t, path)
	assert.Len(t, keys, 3000, "every key once at least, the torn line gone")
	assert.False(t, keys["torn"])
	_, err = redisops.VerifyLogical(path)
	require.NoError(t, err)
	m, _, err := redisops.ReadManifest(path)
	require.NoError(t, err)
	assert.True(t, m.Resumed)
}

func TestVerifyLogicalFindsDamage(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fillKeys(t, c.Redis(), "k", 20)
	dir := t.TempDir()
	path := filepath.Join(dir, "d.ndjson")
	_, err := c.LogicalBackup(context.Background(), path, redisops.LogicalOptions{})
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")

	// A damaged payload: one byte of the value changed, CRC kept.
	var rec redisops.BackupRecord
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec))
	payload, _ := base64.StdEncoding.DecodeString(rec.DumpB64)
	payload[2] ^= 0x01
	rec.DumpB64 = base64.StdEncoding.EncodeToString(payload)
	bad, _ := json.Marshal(rec)
	damaged := filepath.Join(dir, "damaged.ndjson")
	require.NoError(t, os.WriteFile(damaged, []byte(string(bad)+"\n"+strings.Join(lines[1:], "")+"\n"), 0o600))
	_, err = redisops.VerifyLogical(damaged)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 1")
	assert.Contains(t, err.Error(), "CRC64")

	// A file cut at a line boundary: only the manifest tells.
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines[:10], "")), 0o600))
	_, err = redisops.VerifyLogical(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "incomplete")

	// A changed file with the right count.
	swapped := append([]string{lines[1], lines[0]}, lines[2:]...)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(swapped, "")+"\n"), 0o600))
	_, err = redisops.VerifyLogical(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SHA-256")
}

func TestLogicalBackupCluster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	require.True(t, c.IsCluster())
	ctx := context.Background()
	for i := range 600 {
		require.NoError(t, c.Redis().Set(ctx, "c:"+itoa(i), itoa(i), 0).Err())
	}
	path := filepath.Join(t.TempDir(), "cl.ndjson")
	res, err := c.LogicalBackup(ctx, path, redisops.LogicalOptions{Count: 100})
	require.NoError(t, err)
	assert.EqualValues(t, 600, res.Keys, "every master walked")
	assert.Len(t, fileKeys(t, path), 600)
}
