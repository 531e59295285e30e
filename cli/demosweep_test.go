package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A demo killed with -9 leaves its directory; the next demo removes it,
// but never a young one or one a process still runs in.
func TestStaleDemoDirsAreRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := time.Now().Add(-2 * staleAge)
	mk := func(name string, mod time.Time) string {
		dir := filepath.Join(tmp, name)
		require.NoError(t, os.Mkdir(dir, 0o700))
		conf := filepath.Join(dir, "redis.conf")
		require.NoError(t, os.WriteFile(conf, []byte("port 1\n"), 0o600))
		require.NoError(t, os.Chtimes(conf, mod, mod))
		return dir
	}
	stale := mk("redisproc-1", old)
	young := mk("redisproc-2", time.Now())
	busy := mk("redisproc-3", old)
	other := filepath.Join(tmp, "not-ours")
	require.NoError(t, os.Mkdir(other, 0o700))

	// A process working in busy (as redis-server works in its dir).
	sleeper := exec.Command("sleep", "30")
	sleeper.Dir = busy
	require.NoError(t, sleeper.Start())
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })

	var msg bytes.Buffer
	removeStaleDemoDirs(time.Now(), &msg)
	assert.NoDirExists(t, stale)
	assert.DirExists(t, young, "may be a server starting now")
	assert.DirExists(t, busy, "a process runs in it")
	assert.DirExists(t, other)
	assert.Equal(t, "removed 1 leftover directory of demo servers that were killed\n", msg.String())
}
