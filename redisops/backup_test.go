package redisops_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	pv, err := c.PreviewRestore(ctx, bytes.NewReader(buf.Bytes()), nil, 2)
	require.NoError(t, err)
	assert.EqualValues(t, 703, pv.Records)
	assert.EqualValues(t, 1, pv.ExistNow)
	assert.Zero(t, pv.Expired)
	assert.EqualValues(t, 702, pv.ToRestore(false))
	assert.EqualValues(t, 703, pv.ToRestore(true), "replace writes the key that exists too")
	assert.Greater(t, pv.PayloadBytes(true), pv.PayloadBytes(false))
	assert.Len(t, pv.Sample, 2)
	assert.EqualValues(t, 1, rdb.DBSize(ctx).Val(), "a preview writes nothing")

	var progress []redisops.RestoreResult
	rr, err := c.Restore(ctx, bytes.NewReader(buf.Bytes()), redisops.RestoreOptions{
		Progress: func(r redisops.RestoreResult) { progress = append(progress, r) },
	})
	require.NoError(t, err)
	assert.Equal(t, redisops.RestoreResult{Restored: 702, Skipped: 1}, rr)
	require.Len(t, progress, 2, "one report per batch of 500")
	assert.Equal(t, rr, progress[1])
	assert.Equal(t, "new", rdb.Get(ctx, "temp:n1").Val())
	assert.Equal(t, "binary", rdb.Get(ctx, "temp:\xff\x00bin").Val())
	assert.Equal(t, "v", rdb.HGet(ctx, "temp:hash", "f").Val())
	ttl := rdb.PTTL(ctx, "temp:ttl").Val()
	assert.Greater(t, ttl, 59*time.Minute)
	assert.LessOrEqual(t, ttl, time.Hour)
	assert.EqualValues(t, -1, rdb.PTTL(ctx, "temp:n2").Val())

	rr, err = c.Restore(ctx, bytes.NewReader(buf.Bytes()), redisops.RestoreOptions{Replace: true})
	require.NoError(t, err)
	assert.Equal(t, redisops.RestoreResult{Restored: 703}, rr)
	assert.Equal(t, "v", rdb.Get(ctx, "temp:n1").Val())

	_, err = c.Restore(ctx, strings.NewReader("not json\n"), redisops.RestoreOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 1")
	// A big file that is not a backup is refused on its first byte, before
	// its first "line" is read.
	_, err = c.PreviewRestore(ctx, io.MultiReader(strings.NewReader("\n  \x89PNG"), failingReader{}), nil, 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a JSON backup record")
	rr, err = c.Restore(ctx, strings.NewReader(""), redisops.RestoreOptions{})
	require.NoError(t, err, "an empty backup restores nothing")
	assert.Zero(t, rr)
}

// A key restored later gets the expiry it would have had, not a new TTL:
// one whose TTL ran out since the backup stays gone, and a TTL of under a
// millisecond never becomes RESTORE's 0 (no expiry).
func TestRestoreKeepsTheOriginalExpiry(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	rdb := c.Redis()
	payload, err := func() (string, error) {
		require.NoError(t, rdb.Set(ctx, "src", "v", 0).Err())
		return rdb.Dump(ctx, "src").Result()
	}()
	require.NoError(t, err)
	saved := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	line := func(key string, ttlMs int64) string {
		return fmt.Sprintf(`{"key_b64":%q,"ttl_ms":%d,"saved_ms":%d,"dump_b64":%q}`+"\n",
			base64.StdEncoding.EncodeToString([]byte(key)), ttlMs, saved.UnixMilli(), base64.StdEncoding.EncodeToString([]byte(payload)))
	}
	file := line("k:later", int64(2*time.Hour/time.Millisecond)) + // 1 h left at restore time
		line("k:gone", int64(30*time.Minute/time.Millisecond)) + // ran out 30 min ago
		line("k:edge", int64(time.Hour/time.Millisecond)) + // runs out exactly now
		line("k:forever", -1)
	now := func() time.Time { return saved.Add(time.Hour) }
	pv, err := c.PreviewRestore(ctx, strings.NewReader(file), now, 0)
	require.NoError(t, err)
	assert.EqualValues(t, 2, pv.Expired)
	assert.EqualValues(t, 2, pv.ToRestore(false))
	rr, err := c.Restore(ctx, strings.NewReader(file), redisops.RestoreOptions{Now: now})
	require.NoError(t, err)
	assert.Equal(t, redisops.RestoreResult{Restored: 2, Expired: 2}, rr)
	ttl := rdb.PTTL(ctx, "k:later").Val()
	assert.InDelta(t, time.Hour.Seconds(), ttl.Seconds(), 1)
	assert.EqualValues(t, -1, rdb.PTTL(ctx, "k:forever").Val())
	assert.Zero(t, rdb.Exists(ctx, "k:gone", "k:edge").Val())
}

func TestRestoreCancelledStopsBetweenBatches(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	rdb := c.Redis()
	bg := context.Background()
	fillKeys(t, rdb, "temp:n", 1200)
	var buf bytes.Buffer
	_, err := c.Invalidate(bg, redisops.InvalidateOptions{Patterns: []string{"temp:*"}, Backup: &buf})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(bg)
	rr, err := c.Restore(ctx, bytes.NewReader(buf.Bytes()), redisops.RestoreOptions{
		Progress: func(redisops.RestoreResult) { cancel() },
	})
	require.NoError(t, err)
	assert.True(t, rr.Cancelled)
	assert.EqualValues(t, 500, rr.Restored, "the first batch, then nothing")
	assert.EqualValues(t, 500, rdb.DBSize(bg).Val())

	// Cancelled after the last batch: nothing was left undone.
	ctx, cancel = context.WithCancel(bg)
	rr, err = c.Restore(ctx, bytes.NewReader(buf.Bytes()), redisops.RestoreOptions{Replace: true,
		Progress: func(r redisops.RestoreResult) {
			if r.Restored == 1200 {
				cancel()
			}
		}})
	require.NoError(t, err)
	assert.False(t, rr.Cancelled)
	assert.EqualValues(t, 1200, rr.Restored)
}

func TestRestoreRatePaced(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	rdb := c.Redis()
	ctx := context.Background()
	fillKeys(t, rdb, "temp:n", 1500)
	var buf bytes.Buffer
	_, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"temp:*"}, Backup: &buf})
	require.NoError(t, err)
	start := time.Now()
	rr, err := c.Restore(ctx, bytes.NewReader(buf.Bytes()), redisops.RestoreOptions{Rate: 3000})
	require.NoError(t, err)
	assert.EqualValues(t, 1500, rr.Restored)
	// 1500 keys at 3000 keys/s: the last batch of 500 is not sent before
	// 0.5 s. A lower bound only: a loaded machine may be slower.
	assert.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond)
}

func TestCreateBackupFileNeverReusesAName(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 25, 22, 6, 4, 0, time.UTC)
	var paths []string
	for range 3 {
		f, path, err := redisops.CreateBackupFile(dir, now)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		paths = append(paths, filepath.Base(path))
	}
	assert.Equal(t, []string{"backup-20261125T220604Z.ndjson", "backup-20261125T220604Z-2.ndjson", "backup-20261125T220604Z-3.ndjson"}, paths)
	info, err := os.Stat(filepath.Join(dir, paths[0]))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	_, _, err = redisops.CreateBackupFile(filepath.Join(dir, "missing"), now)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "writable directory")
}

// failingReader fails every read: reading past the first bytes is a bug.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("read past the first bytes") }
