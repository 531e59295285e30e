package invalidate

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// invalidate previews patterns, confirms them and waits for the run.
func invalidate(t *testing.T, h *harness, patterns ...string) {
	t.Helper()
	previewOf(t, h, patterns...)
	h.Key("x")
	require.True(t, h.m.Confirming())
	typeText(h, strings.Join(patterns, " "))
	h.Key("enter")
	h.Until("the run", func() bool { return !h.m.Running() })
	require.NoError(t, h.m.RunErr())
}

// backupKeys are the keys a backup file holds, in file order.
func backupKeys(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec redisops.BackupRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
		k, err := base64.StdEncoding.DecodeString(rec.KeyB64)
		require.NoError(t, err)
		out = append(out, string(k))
	}
	require.NoError(t, sc.Err())
	return out
}

// previewRestore opens the restore form (R), puts path in its file line
// unless it is empty (then the prefilled one stays) and previews it.
func previewRestore(t *testing.T, h *harness, path string) {
	t.Helper()
	h.Key("R")
	require.True(t, h.m.Restoring())
	require.True(t, h.m.Capturing(), "the file line is being edited")
	if path != "" {
		h.Dispatch(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		typeText(h, path)
	}
	h.Key("enter")
	h.Until("the restore preview", func() bool {
		p, err := h.m.RestorePreview()
		return p != nil || err != nil
	})
}

// confirmRestore answers the dialog with the word and waits for the run.
func confirmRestore(t *testing.T, h *harness) {
	t.Helper()
	h.Key("x")
	require.True(t, h.m.Capturing(), "the confirmation dialog is up")
	typeText(h, "restore")
	h.Key("enter")
	h.Until("the restore", func() bool { return !h.m.Running() })
}

func TestBackupsInTheSameSecondGetTheirOwnFiles(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 300, 10)
	h := newHarness(t, c, 90, 24, false)
	h.Key("b")
	invalidate(t, h, "temp:1*")
	first := h.m.LastBackup()
	invalidate(t, h, "temp:2*")
	second := h.m.LastBackup()
	require.True(t, h.m.BackupOn(), "b stays on for the next run")

	dir := filepath.Join(os.Getenv("XDG_STATE_HOME"), "cachedeck")
	assert.Equal(t, filepath.Join(dir, "backup-20261125T120000Z.ndjson"), first)
	assert.Equal(t, filepath.Join(dir, "backup-20261125T120000Z-2.ndjson"), second, "the same pinned second: a new name")
	for _, f := range []struct {
		path, prefix string
	}{{first, "temp:1"}, {second, "temp:2"}} {
		keys := backupKeys(t, f.path)
		assert.Len(t, keys, 111, f.path) // temp:1, temp:1x, temp:1xx among 0..299
		for _, k := range keys {
			assert.True(t, strings.HasPrefix(k, f.prefix), "%s holds %s", f.path, k)
		}
	}
	assert.Contains(t, wideView(t, h), "backup written to "+second+" (R restores it)")
}

// unwritableAuditPath is under a regular file: no one, root included, can
// create it.
func unwritableAuditPath(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "not-a-dir")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	return filepath.Join(file, "audit.jsonl")
}

func TestUnwritableAuditLogBlocksInvalidation(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 100, 10)
	h := newHarness(t, c, 200, 24, false, func(m *Model) { m.c.AuditPath = unwritableAuditPath(t) })
	previewOf(t, h, "temp:*")
	h.Key("x")
	typeText(h, "temp:*")
	h.Key("enter")
	h.Until("the blocked run", func() bool { return !h.m.Running() })
	assert.Nil(t, h.m.Result())
	assert.Equal(t, int64(110), count(t, c, "*"), "nothing deleted")
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 200, 24))
	assert.Contains(t, v, "nothing deleted: cannot write the audit log: audit log: mkdir ")
	assert.Contains(t, v, "not a directory")
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), "nothing deleted: cannot write the audit log")

	// An audit log that opened but cannot take the attempt blocks too,
	// and the backup file made for the run is removed again.
	closed, err := audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	require.NoError(t, err)
	require.NoError(t, closed.Close())
	h.m.log = closed
	h.m.c.AuditPath = filepath.Join(t.TempDir(), "audit.jsonl")
	h.Key("b")
	require.True(t, h.m.BackupOn())
	previewOf(t, h, "temp:*")
	h.Key("x")
	typeText(h, "temp:*")
	h.Key("enter")
	h.Until("the blocked run", func() bool { return !h.m.Running() })
	assert.Equal(t, int64(110), count(t, c, "*"), "nothing deleted")
	assert.Contains(t, ansi.Strip(h.m.View()), "nothing deleted: cannot write the audit log: audit log: closed")
	backups, err := filepath.Glob(filepath.Join(filepath.Dir(h.m.c.AuditPath), "backup-*"))
	require.NoError(t, err)
	assert.Empty(t, backups, "no backup file left behind by a run that did not happen")
	assert.Empty(t, h.m.LastBackup())
}

// writeBackup deletes the keys matching pattern with a backup to a file of
// the test's, through redisops: what the pane restores from.
func writeBackup(t *testing.T, c *redisops.Client, pattern string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.ndjson")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = c.Invalidate(context.Background(), redisops.InvalidateOptions{Patterns: []string{pattern}, Backup: f})
	require.NoError(t, err)
	return path
}

func TestUnwritableAuditLogBlocksRestore(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 50, 10)
	backup := writeBackup(t, c, "temp:*")
	require.Equal(t, int64(10), count(t, c, "*"))
	h := newHarness(t, c, 200, 24, false, func(m *Model) { m.c.AuditPath = unwritableAuditPath(t) })
	previewRestore(t, h, backup)
	p, err := h.m.RestorePreview()
	require.NoError(t, err)
	assert.Equal(t, int64(50), p.Records)
	confirmRestore(t, h)
	res, runErr := h.m.RestoreResult()
	assert.Nil(t, res)
	require.Error(t, runErr)
	assert.Equal(t, int64(10), count(t, c, "*"), "nothing restored")
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 200, 24))
	assert.Contains(t, v, "nothing restored: cannot write the audit log: audit log: mkdir ")
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), "nothing restored: cannot write the audit log")
}

func TestInvalidateWithBackupThenRestore(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 30, 5) // temp:0..29 without expiry
	ctx := context.Background()
	for i := range 20 {
		require.NoError(t, c.Redis().Set(ctx, fmt.Sprintf("temp:ttl:%d", i), "v", time.Hour).Err())
	}
	h := newHarness(t, c, 100, 30, false, func(m *Model) { m.c.Profile = "test" })
	h.Key("b")
	invalidate(t, h, "temp:*")
	require.Equal(t, int64(50), h.m.Result().Deleted)
	backup := h.m.LastBackup()
	require.NotEmpty(t, backup)
	// One key comes back before the restore: it exists now.
	require.NoError(t, c.Redis().Set(ctx, "temp:7", "new", 0).Err())

	previewRestore(t, h, "") // prefilled with the backup just written
	p, err := h.m.RestorePreview()
	require.NoError(t, err)
	assert.Equal(t, int64(50), p.Records)
	assert.Equal(t, int64(1), p.ExistNow)
	assert.Zero(t, p.Expired)
	assert.Positive(t, p.PayloadBytes(false))
	assert.Len(t, p.Sample, previewSample)
	v := wideView(t, h)
	assert.Contains(t, v, "file "+backup)
	assert.Contains(t, v, "preview: 50 keys in the backup · 49 to restore · 1 exist now (skipped) · 0 expired since the backup (left out)")
	assert.Contains(t, v, "sample")

	// Replace shows what it would overwrite; off again before the run.
	h.Key("o")
	assert.Contains(t, wideView(t, h), "50 to restore · 1 exist now (REPLACED)")
	h.Key("o")

	h.Key("x")
	require.True(t, h.m.Capturing())
	assert.Equal(t, "RESTORE 49 keys from "+backup+" on "+c.Addr+", skipping 1 that exists now", h.m.restoreEffect())
	v = wideView(t, h)
	assert.Contains(t, v, "Restore keys")
	assert.Contains(t, v, "Type restore to confirm")
	typeText(h, "yes")
	h.Key("enter")
	h.Drain()
	assert.True(t, h.m.Capturing(), "a wrong word keeps the dialog")
	assert.Equal(t, int64(6), count(t, c, "*"), "nothing restored yet")
	h.Key("esc")
	require.False(t, h.m.Capturing())
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), "restore cancelled: nothing restored")

	confirmRestore(t, h)
	res, err := h.m.RestoreResult()
	require.NoError(t, err)
	require.NotNil(t, res)
	assert.Equal(t, redisops.RestoreResult{Restored: 49, Skipped: 1}, *res)
	assert.Equal(t, int64(55), count(t, c, "*"))
	assert.Equal(t, "new", c.Redis().Get(ctx, "temp:7").Val(), "a key that exists now is skipped")
	assert.Equal(t, "v", c.Redis().Get(ctx, "temp:8").Val())
	for i := range 20 {
		ttl := c.Redis().PTTL(ctx, fmt.Sprintf("temp:ttl:%d", i)).Val()
		assert.Greater(t, ttl, 59*time.Minute, "the expiry it had")
		assert.LessOrEqual(t, ttl, time.Hour)
	}
	assert.Equal(t, time.Duration(-1), c.Redis().PTTL(ctx, "temp:8").Val(), "no expiry stays none")
	v = wideView(t, h)
	assert.Contains(t, v, "restore done in ")
	assert.Contains(t, v, ": 49 restored, 1 skipped (exist now), 0 expired since the backup, 0 failed")

	lines := auditLines(t)
	require.Len(t, lines, 4) // invalidate attempted, done; restore attempted, done
	attempt, done := lines[2], lines[3]
	for _, e := range []audit.Entry{attempt, done} {
		assert.Equal(t, "restore", e.Action)
		assert.Equal(t, backup, e.Target)
		assert.Equal(t, "test", e.Profile)
		assert.Equal(t, c.Addr, e.Server)
		assert.Equal(t, int64(50), e.Matched)
	}
	assert.Equal(t, audit.Attempted, attempt.Outcome)
	assert.Equal(t, audit.Done, done.Outcome)

	h.Key("esc")
	assert.False(t, h.m.Restoring(), "esc goes back to the invalidation form")
}

func TestRestoreCancelReportsExactCounts(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	const n = 3000
	c := server(t, n, 10)
	h := newHarness(t, c, 100, 24, false)
	h.Key("b")
	invalidate(t, h, "temp:*")
	require.Equal(t, int64(10), count(t, c, "*"))
	// 500 keys a batch at 2000 keys/s: a quarter second before each batch,
	// time enough to cancel after the first.
	h.m.rate.SetValue("2000")
	previewRestore(t, h, "")
	h.Key("x")
	typeText(h, "restore")
	h.Key("enter")
	require.True(t, h.m.Running())
	h.Until("the first batch", func() bool { return h.m.restore.progress.Restored > 0 })
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 100, 24))
	assert.Contains(t, v, "restoring ")
	assert.Contains(t, v, "/3,000")
	assert.Contains(t, v, "esc cancels")
	h.Key("esc")
	h.Until("the cancelled restore", func() bool { return !h.m.Running() })
	res, err := h.m.RestoreResult()
	require.NoError(t, err)
	require.NotNil(t, res)
	assert.True(t, res.Cancelled)
	assert.Less(t, res.Restored, int64(n))
	dbsize, err := c.Redis().DBSize(context.Background()).Result()
	require.NoError(t, err)
	assert.Equal(t, 10+res.Restored, dbsize, "the count is exact")
	want := restoreCancelledText(*res)
	assert.Contains(t, wideView(t, h), want)
	assert.Contains(t, h.Flashes(), want)
	lines := auditLines(t)
	last := lines[len(lines)-1]
	assert.Equal(t, "restore", last.Action)
	assert.Equal(t, audit.Cancelled, last.Outcome)
	assert.Equal(t, res.Restored, last.Matched)
}

func TestReadOnlyHasNoRestore(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 5, 0)
	h := newHarness(t, c, 80, 20, true)
	hasR := func(bs []key.Binding) bool {
		for _, b := range bs {
			for _, k := range b.Keys() {
				if k == "R" {
					return true
				}
			}
		}
		return false
	}
	assert.False(t, hasR(h.m.ShortHelp()))
	for _, col := range h.m.FullHelp() {
		assert.False(t, hasR(col))
	}
	h.Key("R")
	assert.False(t, h.m.Restoring())
	assert.False(t, h.m.Capturing())
	assert.Empty(t, h.Flashes())
	assert.NotContains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 80, 20)), "restore")

	// A writable session offers it.
	rw := newHarness(t, c, 80, 20, false)
	assert.True(t, hasR(rw.m.ShortHelp()))
}

func TestRestoreBadFileIsOneLine(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 5, 0)
	dir := t.TempDir()
	bad := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(bad, []byte("hello\n"), 0o600))
	for _, tc := range []struct {
		name, path, want string
	}{
		{"malformed", bad, "restore preview failed: restore: line 1: not a JSON backup record (is this a file written by invalidate --backup?)"},
		{"missing", filepath.Join(dir, "gone.ndjson"), "restore preview failed: backup file: open " + filepath.Join(dir, "gone.ndjson") + ": no such file or directory (check the path)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, c, 240, 20, false)
			previewRestore(t, h, tc.path)
			p, err := h.m.RestorePreview()
			assert.Nil(t, p)
			require.Error(t, err)
			v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 240, 20))
			assert.Contains(t, v, tc.want)
			assert.Contains(t, h.Flashes(), tc.want)
			h.Key("x")
			assert.False(t, h.m.Capturing(), "no confirmation without a preview")
			assert.Equal(t, int64(5), count(t, c, "*"))
			for _, size := range [][2]int{{0, 0}, {10, 3}, {40, 8}} {
				h.m.SetSize(size[0], size[1])
				viewtest.RequireSafeView(t, h.m, size[0], size[1])
			}
		})
	}
}
