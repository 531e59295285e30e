package cli_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/cli"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

// redis-server killed (SIGKILL) in the middle of `backup --download`: the
// command ends at once with one line, exit 1, nothing left in --dir, and
// an attempted + failed audit pair.
func TestBackupDownloadServerKilledMidway(t *testing.T) {
	cases := []struct {
		name      string
		diskless  string
		killWhen  string // what the test waits for before the kill
		wantInErr string
	}{
		// The RDB streams as the server makes it: killed mid-stream, with
		// a temp file half written.
		{"diskless, mid-stream", "yes", "partial", "transfer cut"},
		// The server saves to its disk first: killed while it does.
		{"disk, while saving", "no", "saving", "the server closed the connection"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			auditPath := opsEnv(t)
			// rdb-key-save-delay (µs per key) stretches the save to ~4 s.
			srv := redistest.Standalone(t, "repl-diskless-sync "+tc.diskless, "repl-diskless-sync-delay 0", "rdb-key-save-delay 1000")
			c := client(t, srv.URL())
			ctx := context.Background()
			pipe := c.Pipeline()
			for i := range 4000 {
				pipe.Set(ctx, fmt.Sprintf("lead:%d", i), strings.Repeat("x", 300), 0)
			}
			_, err := pipe.Exec(ctx)
			require.NoError(t, err)
			var pid int
			_, err = fmt.Sscan(c.InfoMap(ctx, "server").Item("Server", "process_id"), &pid)
			require.NoError(t, err)
			dir := t.TempDir()

			type result struct {
				code           int
				stdout, stderr string
				took           time.Duration
			}
			done := make(chan result, 1)
			go func() {
				start := time.Now()
				code, out, stderr := run(t, "backup", "--download", "--dir", dir, "--url", srv.URL())
				done <- result{code, out, stderr, time.Since(start)}
			}()

			deadline := time.Now().Add(30 * time.Second)
			for ready := false; !ready; {
				require.True(t, time.Now().Before(deadline), "the download never got going")
				time.Sleep(20 * time.Millisecond)
				switch tc.killWhen {
				case "partial":
					for _, n := range dirNames(t, dir) {
						if st, err := os.Stat(dir + "/" + n); err == nil && strings.HasSuffix(n, ".partial") && st.Size() > 0 {
							ready = true
						}
					}
				case "saving":
					ready = strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:1")
				}
			}
			require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))

			var r result
			select {
			case r = <-done:
			case <-time.After(40 * time.Second):
				t.Fatal("the download did not end after the server died")
			}
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			errLines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			assert.Len(t, errLines, 1, "one line: %q", r.stderr)
			assert.Contains(t, r.stderr, tc.wantInErr)
			assert.NotContains(t, r.stderr, "goroutine")
			assert.Empty(t, dirNames(t, dir), "no backup, no temp file left")

			lines := backupAudit(t, auditPath)
			require.Len(t, lines, 2)
			assert.Equal(t, audit.Attempted, lines[0].Outcome)
			assert.Equal(t, audit.Failed, lines[1].Outcome)
			assert.Equal(t, lines[0].Target, lines[1].Target)
			assert.NotEmpty(t, lines[1].Error)
			if tc.killWhen == "partial" {
				assert.Positive(t, lines[1].Bytes, "the bytes received before the cut")
			}
			t.Logf("the run took %s in all: %s", r.took, strings.TrimSpace(r.stderr))
		})
	}
}

// Ctrl-C in the middle of a download: the connection closes at once, the
// temp file goes, and the audit log says cancelled (not failed).
func TestBackupDownloadCancelledMidway(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t, "repl-diskless-sync yes", "repl-diskless-sync-delay 0", "rdb-key-save-delay 1000")
	c := client(t, srv.URL())
	ctx := context.Background()
	pipe := c.Pipeline()
	for i := range 4000 {
		pipe.Set(ctx, fmt.Sprintf("lead:%d", i), strings.Repeat("x", 300), 0)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
	dir := t.TempDir()

	runCtx, interrupt := context.WithCancel(ctx)
	defer interrupt()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errOut strings.Builder
		code := cli.MainContext(runCtx, []string{"backup", "--download", "--json", "--dir", dir, "--url", srv.URL()}, &out, &errOut)
		done <- result{code, out.String(), errOut.String()}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for partial := false; !partial; {
		require.True(t, time.Now().Before(deadline), "the download never got going")
		time.Sleep(20 * time.Millisecond)
		for _, n := range dirNames(t, dir) {
			partial = partial || strings.HasSuffix(n, ".partial")
		}
	}
	interrupt()
	var r result
	select {
	case r = <-done:
	case <-time.After(40 * time.Second):
		t.Fatal("the download did not end when cancelled")
	}
	assert.Equal(t, 1, r.code)
	b := decodeBackup(t, r.stdout)
	assert.True(t, b.Cancelled, r.stdout)
	assert.False(t, b.Verified)
	assert.Empty(t, b.Path, "no backup was made")
	assert.Contains(t, r.stderr, "cancelled")
	assert.Len(t, strings.Split(strings.TrimSpace(r.stderr), "\n"), 1, r.stderr)
	assert.Empty(t, dirNames(t, dir), "the temp file is gone")

	lines := backupAudit(t, auditPath)
	require.Len(t, lines, 2)
	assert.Equal(t, audit.Attempted, lines[0].Outcome)
	assert.Equal(t, audit.Cancelled, lines[1].Outcome)
	assert.Empty(t, lines[1].Error)
}

// A download killed with cachedeck itself leaves a hidden temp file that
// no listing shows: the next download removes it once it is surely dead.
func TestBackupDownloadRemovesDeadTempFiles(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	fillTemp(t, client(t, srv.URL()), "k:", 10)
	dir := t.TempDir()
	dead := dir + "/.127.0.0.1_6379-20261130T101010Z.rdb.123456.partial"
	live := dir + "/.127.0.0.1_6379-20261203T101010Z.rdb.654321.partial"
	require.NoError(t, os.WriteFile(dead, []byte("REDIS0010half"), 0o600))
	require.NoError(t, os.WriteFile(live, []byte("REDIS0010half"), 0o600))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(dead, old, old))

	code, _, stderr := run(t, "backup", "--download", "--dir", dir, "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	assert.NoFileExists(t, dead)
	assert.FileExists(t, live, "maybe another download in flight: kept")
}
