package redisops_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/rdbfixture"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/rdb"
	"github.com/coldcopy/cachedeck/redisops"
)

// debianQuantum: the test server is Debian's redis-server, linked to the
// shared libjemalloc (16-byte quantum).
const debianQuantum = 16

// writeLogical writes a logical backup of every key of db 0 in the format
// of redisops.BackupRecord (DUMP and PTTL of each key).
func writeLogical(t *testing.T, rdb *redis.Client, path string) {
	t.Helper()
	ctx := context.Background()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	iter := rdb.Scan(ctx, 0, "", 1000).Iterator()
	now := time.Now().UnixMilli()
	for iter.Next(ctx) {
		k := iter.Val()
		payload, err := rdb.Dump(ctx, k).Result()
		require.NoError(t, err)
		ttl := int64(-1)
		if d := rdb.PTTL(ctx, k).Val(); d > 0 {
			ttl = d.Milliseconds()
		}
		require.NoError(t, enc.Encode(redisops.BackupRecord{
			KeyB64: base64.StdEncoding.EncodeToString([]byte(k)), TTLMs: ttl, SavedMs: now,
			DumpB64: base64.StdEncoding.EncodeToString([]byte(payload)),
		}))
	}
	require.NoError(t, iter.Err())
	require.NoError(t, w.Flush())
}

// TestMemoryFromBackupMatchesLiveExact: the same data, measured by the
// live exact breakdown (MEMORY USAGE SAMPLES 0 on every key) and computed
// offline from an RDB file and from a logical backup: the same keys, TTLs
// and types per namespace, bytes within 1 %.
func TestMemoryFromBackupMatchesLiveExact(t *testing.T) {
	srv := redistest.Standalone(t, rdbfixture.Directives...)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	seedInto(t, c.Redis(), 3000)
	raw := c.Redis().(*redis.Client)
	rdbfixture.Fill(t, raw)
	db1 := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 1})
	require.NoError(t, db1.Del(ctx, "other:db", "other:hash").Err()) // the live breakdown sees db 0 only
	_ = db1.Close()

	live, err := c.MemoryBreakdown(ctx, redisops.MemoryOptions{Exact: true, Samples: redisops.MemorySamplesAll, Top: 10})
	require.NoError(t, err)

	dir := t.TempDir()
	rdbPath := filepath.Join(dir, "x.rdb")
	_, err = c.DownloadRDB(ctx, rdbPath, nil)
	require.NoError(t, err)
	logicalPath := filepath.Join(dir, "x.ndjson")
	writeLogical(t, raw, logicalPath)

	for _, path := range []string{rdbPath, logicalPath} {
		t.Run(filepath.Ext(path), func(t *testing.T) {
			off, err := redisops.MemoryFromBackup(ctx, path, redisops.MemoryOptions{SizeQuantum: debianQuantum, Top: 10})
			require.NoError(t, err)
			assert.True(t, off.Exact)
			assert.False(t, off.Cancelled)
			assert.Equal(t, live.ScannedKeys, off.ScannedKeys)
			assert.Equal(t, live.ScannedKeys, off.MeasuredKeys)
			assert.InDelta(t, float64(live.TotalBytes), float64(off.TotalBytes), 0.01*float64(live.TotalBytes),
				"total bytes: live %d, offline %d", live.TotalBytes, off.TotalBytes)
			t.Logf("%s: live %d bytes, offline %d (%+.3f%%)", filepath.Ext(path), live.TotalBytes, off.TotalBytes,
				100*(float64(off.TotalBytes)/float64(live.TotalBytes)-1))
			got := byPrefix(off)
			require.Len(t, got, len(live.Namespaces))
			for _, want := range live.Namespaces {
				ns, ok := got[want.Prefix]
				require.True(t, ok, "namespace %q", want.Prefix)
				assert.Equal(t, want.Keys, ns.Keys, want.Prefix)
				assert.Equal(t, want.NoTTL, ns.NoTTL, want.Prefix)
				assert.Equal(t, want.Types, ns.Types, want.Prefix)
				// Per namespace a few percent: a live set or hash can sit
				// half rehashed (two bucket arrays) until its next writes.
				assert.InDelta(t, float64(want.Bytes), float64(ns.Bytes), math.Max(0.05*float64(want.Bytes), 64),
					"namespace %q: live %d, offline %d", want.Prefix, want.Bytes, ns.Bytes)
			}
			// Lengths are exact, so the biggest collections are the same.
			require.Len(t, off.TopByLength, len(live.TopByLength))
			for i := range live.TopByLength {
				assert.Equal(t, live.TopByLength[i].Key, off.TopByLength[i].Key)
				assert.Equal(t, live.TopByLength[i].Length, off.TopByLength[i].Length)
			}
			assert.NotEmpty(t, off.Notes)
			assert.Contains(t, off.Notes[0], "nothing sent to a server")
		})
	}
}

func TestMemoryFromBackupLeavesOutExpiredKeysAndCountsEveryDB(t *testing.T) {
	srv := redistest.Standalone(t, rdbfixture.Directives...)
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer raw.Close()
	ctx := context.Background()
	require.NoError(t, raw.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err())
	require.NoError(t, raw.Set(ctx, "gone:1", "x", 50*time.Millisecond).Err())
	require.NoError(t, raw.Set(ctx, "live:1", "x", time.Hour).Err())
	require.NoError(t, raw.Set(ctx, "live:2", "x", 0).Err())
	db2 := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 2})
	require.NoError(t, db2.Set(ctx, "live:3", "x", 0).Err())
	_ = db2.Close()
	time.Sleep(1100 * time.Millisecond) // the RDB's ctime is in seconds
	require.NoError(t, raw.Save(ctx).Err())

	r, err := redisops.MemoryFromBackup(ctx, filepath.Join(srv.Dir, "dump.rdb"), redisops.MemoryOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(3), r.ScannedKeys)
	ns := byPrefix(r)["live:"]
	assert.Equal(t, int64(3), ns.Keys)
	assert.Equal(t, int64(2), ns.NoTTL)
	assert.Contains(t, r.Notes, "keys of every database are counted: db0 2, db2 1")
	assert.Contains(t, r.Notes, "1 keys had expired when the file was written: left out, as a server loading it drops them")
}

func TestMemoryFromBackupRefusesOtherFilesAndCancels(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	text := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(text, []byte("hello"), 0o600))
	_, err := redisops.MemoryFromBackup(ctx, text, redisops.MemoryOptions{})
	assert.ErrorContains(t, err, "neither an RDB file")

	bad := filepath.Join(dir, "bad.ndjson")
	require.NoError(t, os.WriteFile(bad, []byte(`{"key_b64":"a2V5","ttl_ms":-1,"dump_b64":"AAVoZWxsbwoA////////////"}`+"\n"), 0o600))
	_, err = redisops.MemoryFromBackup(ctx, bad, redisops.MemoryOptions{})
	assert.ErrorContains(t, err, "line 1")

	srv := redistest.Standalone(t)
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer raw.Close()
	seedInto(t, raw, 5000)
	require.NoError(t, raw.Save(ctx).Err())
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	r, err := redisops.MemoryFromBackup(cctx, filepath.Join(srv.Dir, "dump.rdb"), redisops.MemoryOptions{})
	require.NoError(t, err)
	assert.True(t, r.Cancelled)
	assert.Less(t, r.ScannedKeys, int64(5000))
}

func TestMemoryFromBackupWarnsAboutValkeyLayout(t *testing.T) {
	str := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	f := []byte("REDIS0011")
	f = append(f, 0xfa)
	f = append(f, str("valkey-ver")...)
	f = append(f, str("8.0.2")...)
	f = append(f, 0x00)
	f = append(f, str("lead:1")...)
	f = append(f, str("value")...)
	f = append(f, 0xff)
	sum := rdb.CRC64(f)
	for i := range 8 {
		f = append(f, byte(sum>>(8*i)))
	}
	path := filepath.Join(t.TempDir(), "valkey.rdb")
	require.NoError(t, os.WriteFile(path, f, 0o600))
	r, err := redisops.MemoryFromBackup(context.Background(), path, redisops.MemoryOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(1), r.ScannedKeys)
	assert.Contains(t, r.Notes[0], "RDB 11 from valkey 8.0.2")
	assert.Contains(t, strings.Join(r.Notes, "\n"), "Valkey 8 and later lay keys out differently")
}
