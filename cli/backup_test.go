package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

type backupOut struct {
	Kind       string   `json:"kind"`
	Path       string   `json:"path"`
	Bytes      int64    `json:"bytes"`
	Keys       int64    `json:"keys"`
	DurationMs int64    `json:"duration_ms"`
	Verified   bool     `json:"verified"`
	Cancelled  bool     `json:"cancelled"`
	Fallback   string   `json:"fallback"`
	Pruned     []string `json:"pruned"`
	Error      string   `json:"error"`
	BGSave     *struct {
		Joined        bool  `json:"joined"`
		ForkUsec      int64 `json:"fork_usec"`
		ChangesBefore int64 `json:"changes_before"`
	} `json:"bgsave"`
}

func decodeBackup(t *testing.T, out string) backupOut {
	t.Helper()
	var b backupOut
	require.NoError(t, json.Unmarshal([]byte(out), &b), out)
	return b
}

func backupAudit(t *testing.T, path string) []audit.Entry {
	t.Helper()
	entries, err := audit.ReadTail(path, 100)
	require.NoError(t, err)
	var out []audit.Entry
	for _, e := range entries {
		if e.Action == "backup" {
			out = append(out, e)
		}
	}
	return out
}

func TestBackupLogicalRoundTripThroughRestore(t *testing.T) {
	auditPath := opsEnv(t)
	src := redistest.Standalone(t)
	rdb := client(t, src.URL())
	ctx := context.Background()
	fillTemp(t, rdb, "lead:", 1200)
	require.NoError(t, rdb.HSet(ctx, "ws:1", "plan", "pro").Err())
	dir := t.TempDir()

	code, out, stderr := run(t, "backup", "--logical", "--dir", dir, "--json", "--url", src.URL())
	require.Equal(t, 0, code, stderr)
	b := decodeBackup(t, out)
	assert.Equal(t, "logical", b.Kind)
	assert.EqualValues(t, 1201, b.Keys)
	assert.True(t, b.Verified)
	assert.Equal(t, dir, filepath.Dir(b.Path))
	assert.Contains(t, filepath.Base(b.Path), strings.ReplaceAll(strings.TrimPrefix(src.URL(), "redis://"), ":", "_")+"-", "named with the server")
	st, err := os.Stat(b.Path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	assert.Equal(t, st.Size(), b.Bytes)

	lines := backupAudit(t, auditPath)
	require.Len(t, lines, 2)
	assert.Equal(t, audit.Attempted, lines[0].Outcome)
	assert.Equal(t, audit.Done, lines[1].Outcome)
	assert.Equal(t, "logical "+b.Path, lines[1].Target)
	assert.Equal(t, b.Bytes, lines[1].Bytes)
	assert.EqualValues(t, 1201, lines[1].Matched)

	// The listing sees it, verified, with its key count.
	code, out, stderr = run(t, "backups", "--dir", dir, "--json")
	require.Equal(t, 0, code, stderr)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 1)
	assert.Equal(t, "logical", list[0]["kind"])
	assert.Equal(t, "ok", list[0]["status"])
	assert.Equal(t, 1201.0, list[0]["keys"])

	// Restore into an empty throwaway server: every key comes back.
	dst := redistest.Standalone(t)
	code, _, stderr = run(t, "restore", b.Path, "--yes", "--url", dst.URL())
	require.Equal(t, 0, code, stderr)
	drdb := client(t, dst.URL())
	assert.EqualValues(t, 1201, drdb.DBSize(ctx).Val())
	assert.Equal(t, "pro", drdb.HGet(ctx, "ws:1", "plan").Val())
	assert.InDelta(t, time.Hour.Seconds(), drdb.TTL(ctx, "lead:7").Val().Seconds(), 60)
}

func TestBackupFallsBackToLogicalWhenSyncAndBGSaveAreRenamed(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t, `rename-command SYNC ""`, `rename-command PSYNC ""`, `rename-command BGSAVE ""`)
	fillTemp(t, client(t, srv.URL()), "k:", 50)
	dir := t.TempDir()

	code, out, stderr := run(t, "backup", "--dir", dir, "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	b := decodeBackup(t, out)
	assert.Equal(t, "logical", b.Kind, "no RDB to be had: a logical backup instead")
	assert.Contains(t, b.Fallback, "SYNC renamed or blocked")
	assert.EqualValues(t, 50, b.Keys)
	assert.True(t, b.Verified)

	// Asked for BGSAVE explicitly, headless: the reason and the way out.
	code, out, _ = run(t, "backup", "--bgsave", "--json", "--url", srv.URL())
	assert.Equal(t, 1, code)
	b = decodeBackup(t, out)
	assert.Contains(t, b.Error, "BGSAVE renamed or blocked")
	_, _, stderr = run(t, "backup", "--bgsave", "--url", srv.URL())
	assert.Contains(t, stderr, "cachedeck backup --logical")

	lines := backupAudit(t, auditPath)
	require.Len(t, lines, 2, "only the backup that ran is audited")
}

func TestBackupBGSave(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t)
	fillTemp(t, client(t, srv.URL()), "k:", 100)

	code, out, stderr := run(t, "backup", "--bgsave", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	b := decodeBackup(t, out)
	assert.Equal(t, "bgsave", b.Kind)
	assert.True(t, b.Verified)
	require.NotNil(t, b.BGSave)
	assert.EqualValues(t, 100, b.BGSave.ChangesBefore)
	assert.GreaterOrEqual(t, b.BGSave.ForkUsec, int64(0))
	assert.FileExists(t, filepath.Join(srv.Dir, "dump.rdb"))
	lines := backupAudit(t, auditPath)
	require.Len(t, lines, 2)
	assert.Equal(t, "bgsave", lines[1].Target)
	assert.Equal(t, audit.Done, lines[1].Outcome)

	// Read-only: BGSAVE writes on the server, a logical backup does not.
	code, _, stderr = run(t, "backup", "--bgsave", "--read-only", "--url", srv.URL())
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "read-only mode")
	code, _, stderr = run(t, "backup", "--logical", "--read-only", "--dir", t.TempDir(), "--url", srv.URL())
	assert.Equal(t, 0, code, stderr)
}

func TestBackupFailedSaveIsAuditedAsFailed(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t)
	fillTemp(t, client(t, srv.URL()), "k:", 10)
	target := filepath.Join(srv.Dir, "dump.rdb")
	require.NoError(t, os.Mkdir(target, 0o700)) // the rename into place fails, even as root
	t.Cleanup(func() { _ = os.Remove(target) })

	code, out, _ := run(t, "backup", "--bgsave", "--json", "--url", srv.URL())
	assert.Equal(t, 1, code)
	b := decodeBackup(t, out)
	assert.Contains(t, b.Error, "rdb_last_bgsave_status:err")
	assert.False(t, b.Verified)
	lines := backupAudit(t, auditPath)
	require.Len(t, lines, 2)
	assert.Equal(t, audit.Failed, lines[1].Outcome)
}

func TestBackupPrunesOlderBackupsOfTheProfile(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	fillTemp(t, client(t, srv.URL()), "k:", 10)
	dir := t.TempDir()
	// Two earlier backups, dated 3 and 10 days ago.
	var old []string
	for _, days := range []int{3, 10} {
		code, out, stderr := run(t, "backup", "--logical", "--dir", dir, "--json", "--no-prune", "--url", srv.URL())
		require.Equal(t, 0, code, stderr)
		p := decodeBackup(t, out).Path
		m, ok, err := redisops.ReadManifest(p)
		require.NoError(t, err)
		require.True(t, ok)
		m.Created = time.Now().Add(-time.Duration(days) * 24 * time.Hour).UTC()
		require.NoError(t, redisops.WriteManifest(p, m))
		old = append(old, p)
	}

	code, out, stderr := run(t, "backups", "prune", "--dry-run", "--dir", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "would remove "+filepath.Base(old[1]))
	assert.FileExists(t, old[1])

	code, out, stderr = run(t, "backup", "--logical", "--dir", dir, "--json", "--keep-days", "7", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	b := decodeBackup(t, out)
	assert.Equal(t, []string{filepath.Base(old[1])}, b.Pruned)
	assert.NoFileExists(t, old[1])
	assert.FileExists(t, old[0])

	code, out, stderr = run(t, "backups", "prune", "--keep", "1", "--dir", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "removed "+filepath.Base(old[0]))
	assert.FileExists(t, b.Path, "never the newest")
}

func TestBackupUsage(t *testing.T) {
	opsEnv(t)
	code, _, stderr := run(t, "backup", "--bgsave", "--logical")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "choose one")
	code, _, _ = run(t, "backup", "--download", "--pattern", "a*")
	assert.Equal(t, 2, code)
	code, _, _ = run(t, "backup", "--keep", "-1")
	assert.Equal(t, 2, code)
}

func TestBackupForkOnAProductionProfileNeedsYesHeadless(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t)
	cfg := filepath.Join(t.TempDir(), "config.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("[profiles.prod]\nurl = \""+srv.URL()+"\"\nproduction = true\n"), 0o600))

	code, _, stderr := run(t, "backup", "--bgsave", "--config", cfg, "--profile", "prod")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "the profile is marked production: add --yes")
	assert.Empty(t, backupAudit(t, auditPath), "nothing ran")

	code, out, stderr := run(t, "backup", "--bgsave", "--yes", "--json", "--config", cfg, "--profile", "prod")
	require.Equal(t, 0, code, stderr)
	assert.True(t, decodeBackup(t, out).Verified)
	lines := backupAudit(t, auditPath)
	require.Len(t, lines, 2)
	assert.Equal(t, "prod", lines[1].Profile)
}
