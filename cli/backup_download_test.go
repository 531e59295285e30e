package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/rdb"
	"github.com/coldcopy/cachedeck/redisops"
)

// listBackups runs `backups --json` on dir.
func listBackups(t *testing.T, dir string) []map[string]any {
	t.Helper()
	code, out, stderr := run(t, "backups", "--dir", dir, "--json")
	require.Equal(t, 0, code, stderr)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &list), out)
	return list
}

// dirNames lists every name in dir, dot files included.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestBackupDownloadEndToEnd(t *testing.T) {
	for _, diskless := range []string{"no", "yes"} {
		t.Run("repl-diskless-sync "+diskless, func(t *testing.T) {
			auditPath := opsEnv(t)
			srv := redistest.Standalone(t, "repl-diskless-sync "+diskless, "repl-diskless-sync-delay 0")
			c := client(t, srv.URL())
			fillTemp(t, c, "lead:", 700)
			require.NoError(t, c.HSet(context.Background(), "ws:1", "plan", "pro").Err())
			dir := t.TempDir()
			before := time.Now().UTC().Truncate(time.Second)

			code, out, stderr := run(t, "backup", "--download", "--dir", dir, "--json", "--url", srv.URL())
			require.Equal(t, 0, code, stderr)
			b := decodeBackup(t, out)
			assert.Equal(t, "rdb", b.Kind)
			assert.True(t, b.Verified)
			assert.EqualValues(t, 701, b.Keys)
			assert.Empty(t, b.Fallback)
			require.Equal(t, dir, filepath.Dir(b.Path))

			// Named with the server and the UTC time of the backup.
			name := filepath.Base(b.Path)
			server := strings.ReplaceAll(srv.Addr, ":", "_")
			require.True(t, strings.HasPrefix(name, server+"-"), name)
			require.True(t, strings.HasSuffix(name, ".rdb"), name)
			stamp := regexp.MustCompile(`\d{8}T\d{6}Z`).FindString(name)
			require.NotEmpty(t, stamp, "a UTC time in %s", name)
			at, err := time.Parse("20060102T150405Z", stamp)
			require.NoError(t, err)
			assert.False(t, at.Before(before), "stamp %s before the run (%s)", at, before)
			assert.WithinDuration(t, time.Now().UTC(), at, time.Minute)

			st, err := os.Stat(b.Path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
			assert.Equal(t, st.Size(), b.Bytes)
			info, err := rdb.VerifyFile(b.Path)
			require.NoError(t, err, "the file on disk verifies on its own")
			assert.EqualValues(t, 701, info.Keys)
			for _, n := range dirNames(t, dir) {
				assert.NotContains(t, n, ".partial", "no temp file left")
			}

			lines := backupAudit(t, auditPath)
			require.Len(t, lines, 2)
			assert.Equal(t, audit.Attempted, lines[0].Outcome)
			assert.Equal(t, "rdb "+b.Path, lines[0].Target)
			assert.Equal(t, audit.Done, lines[1].Outcome)
			assert.Equal(t, "rdb "+b.Path, lines[1].Target)
			assert.Equal(t, b.Bytes, lines[1].Bytes)
			assert.EqualValues(t, 701, lines[1].Matched)

			list := listBackups(t, dir)
			require.Len(t, list, 1)
			assert.Equal(t, "rdb", list[0]["kind"])
			assert.Equal(t, "ok", list[0]["status"])
			assert.Equal(t, true, list[0]["verified"])
			assert.Equal(t, 701.0, list[0]["keys"])
			assert.Equal(t, float64(b.Bytes), list[0]["bytes"])
		})
	}
}

func TestBackupDefaultDownloads(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	fillTemp(t, client(t, srv.URL()), "k:", 40)
	dir := t.TempDir()
	code, out, stderr := run(t, "backup", "--dir", dir, "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	b := decodeBackup(t, out)
	assert.Equal(t, "rdb", b.Kind, "SYNC works here: the default is an RDB download")
	assert.Empty(t, b.Fallback)
	assert.EqualValues(t, 40, b.Keys)
	assert.True(t, b.Verified)
}

func TestBackupDefaultFallsBackWhenTheACLUserLacksSync(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Restricted(t)
	admin := client(t, "redis://:"+srv.DefaultPassword+"@"+srv.Addr)
	fillTemp(t, admin, "k:", 30)
	dir := t.TempDir()
	url := "redis://" + srv.AdminUser + ":" + srv.AdminPassword + "@" + srv.Addr

	code, out, stderr := run(t, "backup", "--dir", dir, "--json", "--url", url)
	require.Equal(t, 0, code, stderr)
	b := decodeBackup(t, out)
	assert.Equal(t, "logical", b.Kind, "SYNC denied: a logical backup instead")
	assert.Contains(t, b.Fallback, "NOPERM")
	assert.Contains(t, b.Fallback, "replication permission", "says what the user lacks")
	assert.EqualValues(t, 30, b.Keys)
	assert.True(t, b.Verified)
	assert.NotContains(t, out+stderr, srv.AdminPassword)

	// In text, one line on stderr says why.
	code, _, stderr = run(t, "backup", "--dir", t.TempDir(), "--url", url)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "making a logical backup instead")
	assert.Contains(t, stderr, "NOPERM")

	// Asked for a download explicitly, headless: refused, with the way out.
	code, out, _ = run(t, "backup", "--download", "--dir", t.TempDir(), "--json", "--url", url)
	assert.Equal(t, 1, code)
	b = decodeBackup(t, out)
	assert.Contains(t, b.Error, "cachedeck backup --logical")

	// The ACL user cannot run ACL DRYRUN, so the refusal shows only once
	// the download asks: each run is an attempted+failed rdb pair, then
	// (twice) an attempted+done logical pair.
	var got []string
	for _, e := range backupAudit(t, auditPath) {
		got = append(got, strings.Fields(e.Target)[0]+" "+e.Outcome)
	}
	assert.Equal(t, []string{
		"rdb attempted", "rdb failed", "logical attempted", "logical done",
		"rdb attempted", "rdb failed", "logical attempted", "logical done",
		"rdb attempted", "rdb failed",
	}, got)
	raw, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), srv.AdminPassword)
}

// The DownloadRDB refusal is a *RefusedError that AsRefused sees through
// the wrapping, for both a renamed SYNC (the server's "unknown command")
// and an ACL denial.
func TestDownloadRefusalIsSeenByAsRefused(t *testing.T) {
	ctx := context.Background()
	renamed := redistest.Standalone(t, `rename-command SYNC ""`)
	c, err := redisops.Connect(ctx, redisops.ConnOptions{URL: renamed.URL()})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.DownloadRDB(ctx, filepath.Join(t.TempDir(), "x.rdb"), nil)
	require.Error(t, err)
	re := redisops.AsRefused(err, "SYNC")
	require.NotNil(t, re, "%v", err)
	assert.ErrorIs(t, err, redisops.ErrSyncRefused)

	acl := redistest.Restricted(t)
	c2, err := redisops.Connect(ctx, redisops.ConnOptions{URL: "redis://" + acl.AdminUser + ":" + acl.AdminPassword + "@" + acl.Addr})
	require.NoError(t, err)
	defer c2.Close()
	_, err = c2.DownloadRDB(ctx, filepath.Join(t.TempDir(), "x.rdb"), nil)
	require.Error(t, err)
	re = redisops.AsRefused(err, "SYNC")
	require.NotNil(t, re, "%v", err)
	assert.Contains(t, re.Error(), "NOPERM")
	assert.NotContains(t, err.Error(), acl.AdminPassword)
}

// A backup that fails verification is never pruned, however old, and the
// run says it was kept.
func TestRetentionKeepsAFailedVerificationRDB(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	fillTemp(t, client(t, srv.URL()), "k:", 25)
	dir := t.TempDir()

	var old []string
	for range 2 {
		code, out, stderr := run(t, "backup", "--download", "--dir", dir, "--json", "--no-prune", "--url", srv.URL())
		require.Equal(t, 0, code, stderr)
		old = append(old, decodeBackup(t, out).Path)
		time.Sleep(1100 * time.Millisecond) // distinct names by the second
	}
	// Both 30 days old; the first one's CRC broken.
	for _, p := range old {
		m, ok, err := redisops.ReadManifest(p)
		require.NoError(t, err)
		require.True(t, ok)
		m.Created = time.Now().Add(-30 * 24 * time.Hour).UTC()
		require.NoError(t, redisops.WriteManifest(p, m))
	}
	data, err := os.ReadFile(old[0])
	require.NoError(t, err)
	data[len(data)-1] ^= 0xff
	require.NoError(t, os.WriteFile(old[0], data, 0o600))

	code, out, stderr := run(t, "backup", "--download", "--dir", dir, "--json", "--keep-days", "7", "--keep", "1", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	b := decodeBackup(t, out)
	assert.Equal(t, []string{filepath.Base(old[1])}, b.Pruned)
	assert.NoFileExists(t, old[1])
	assert.FileExists(t, old[0], "failed verification: kept for a human")
	assert.Contains(t, out, filepath.Base(old[0]), "listed as kept")

	var failed map[string]any
	for _, e := range listBackups(t, dir) {
		if e["path"] == old[0] {
			failed = e
		}
	}
	require.NotNil(t, failed)
	assert.Equal(t, false, failed["verified"])
	assert.Contains(t, failed["status"], "FAILED")

	code, out, stderr = run(t, "backups", "prune", "--keep", "1", "--keep-days", "1", "--dir", dir)
	require.Equal(t, 0, code, stderr)
	assert.FileExists(t, old[0], "prune alone never removes it either")
	assert.FileExists(t, b.Path)
	_ = out
}
