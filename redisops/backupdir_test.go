package redisops_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func TestNewBackupPathNeverReuses(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 12, 3, 7, 30, 5, 0, time.FixedZone("CET", 3600))
	p1, err := redisops.NewBackupPath(dir, "db.example.com:25061", redisops.KindLogical, at)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "db.example.com_25061-20261203T063005Z.ndjson"), p1, "server and UTC time")
	require.NoError(t, os.WriteFile(p1, nil, 0o600))
	p2, err := redisops.NewBackupPath(dir, "db.example.com:25061", redisops.KindLogical, at)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "db.example.com_25061-20261203T063005Z-2.ndjson"), p2)
	p3, err := redisops.NewBackupPath(dir, "unix:/var/run/../redis.sock", redisops.KindRDB, at)
	require.NoError(t, err)
	assert.Equal(t, "unix__var_run_.._redis.sock-20261203T063005Z.rdb", filepath.Base(p3), "no path separators from the server name")
}

func TestDefaultBackupDir(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/state")
	assert.Equal(t, "/state/cachedeck/backups/prod", redisops.DefaultBackupDir("prod"))
	assert.Equal(t, "/state/cachedeck/backups/default", redisops.DefaultBackupDir(""))
	assert.Equal(t, "/state/cachedeck/backups/_x", redisops.DefaultBackupDir("../x"), "a profile name cannot leave the directory")
}

// datedBackup makes a real logical backup of c in dir, then dates it (name
// and manifest) at created.
func datedBackup(t *testing.T, c *redisops.Client, dir, profile string, created time.Time) string {
	t.Helper()
	path, err := redisops.NewBackupPath(dir, c.Addr, redisops.KindLogical, created)
	require.NoError(t, err)
	_, err = c.LogicalBackup(context.Background(), path, redisops.LogicalOptions{Profile: profile})
	require.NoError(t, err)
	m, ok, err := redisops.ReadManifest(path)
	require.NoError(t, err)
	require.True(t, ok)
	m.Created = created.UTC()
	require.NoError(t, redisops.WriteManifest(path, m))
	return path
}

func TestRetentionOnADirectoryOfDatedFiles(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fillKeys(t, c.Redis(), "k", 30)
	dir := t.TempDir()
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	fresh := datedBackup(t, c, dir, "prod", now.Add(-time.Hour))
	twoDays := datedBackup(t, c, dir, "prod", now.Add(-2*day))
	tenDays := datedBackup(t, c, dir, "prod", now.Add(-10*day))
	thirtyDays := datedBackup(t, c, dir, "prod", now.Add(-30*day))
	otherProfile := datedBackup(t, c, dir, "staging", now.Add(-40*day))
	damaged := datedBackup(t, c, dir, "prod", now.Add(-50*day))
	require.NoError(t, os.WriteFile(damaged, []byte("{}\n"), 0o600))
	foreign := filepath.Join(dir, "hand-made.ndjson") // no manifest: not ours to delete
	require.NoError(t, os.WriteFile(foreign, nil, 0o600))
	require.NoError(t, os.Chtimes(foreign, now.Add(-60*day), now.Add(-60*day)))

	entries, err := redisops.ListBackups(dir, true)
	require.NoError(t, err)
	require.Len(t, entries, 7)
	assert.Equal(t, fresh, entries[0].Path, "newest first")
	assert.Equal(t, "ok", entries[0].Status())
	assert.EqualValues(t, 30, entries[0].Keys)
	byPath := map[string]redisops.BackupEntry{}
	for _, e := range entries {
		byPath[e.Path] = e
	}
	assert.False(t, byPath[damaged].Verified)
	assert.Contains(t, byPath[damaged].Status(), "FAILED")

	plan := redisops.PlanPrune(entries, redisops.Retention{KeepDays: 7, Profile: "prod"}, now)
	assert.ElementsMatch(t, []string{tenDays, thirtyDays}, paths(plan.Remove))
	require.Len(t, plan.KeptFailed, 1)
	assert.Equal(t, damaged, plan.KeptFailed[0].Path, "a file that failed verification is never pruned")
	assert.Equal(t, 2, plan.Kept)

	plan = redisops.PlanPrune(entries, redisops.Retention{KeepDays: 7, Keep: 1, Profile: "prod"}, now)
	assert.ElementsMatch(t, []string{twoDays, tenDays, thirtyDays}, paths(plan.Remove))

	// Everything is old: the newest verified one stays all the same.
	plan = redisops.PlanPrune(entries, redisops.Retention{KeepDays: 1}, now.Add(100*day))
	assert.Empty(t, plan.Remove, "no backup of the empty profile")
	plan = redisops.PlanPrune(entries, redisops.Retention{KeepDays: 1, Profile: "prod"}, now.Add(100*day))
	assert.NotContains(t, paths(plan.Remove), fresh, "never the newest")
	assert.Len(t, plan.Remove, 3)

	dry, err := redisops.Prune(dir, redisops.Retention{KeepDays: 7, Profile: "prod"}, now, true)
	require.NoError(t, err)
	assert.Len(t, dry.Remove, 2)
	assert.FileExists(t, tenDays, "a dry run removes nothing")

	done, err := redisops.Prune(dir, redisops.Retention{KeepDays: 7, Profile: "prod"}, now, false)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{tenDays, thirtyDays}, paths(done.Remove))
	for _, p := range []string{tenDays, thirtyDays} {
		assert.NoFileExists(t, p)
		assert.NoFileExists(t, redisops.ManifestPath(p))
	}
	for _, p := range []string{fresh, twoDays, otherProfile, damaged, foreign} {
		assert.FileExists(t, p)
	}
}

func paths(es []redisops.BackupEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Path
	}
	return out
}
