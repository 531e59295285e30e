package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/cli"
	"github.com/coldcopy/cachedeck/internal/redisproc"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

// populate writes n keys prefix:0..prefix:n-1 server-side (DEBUG POPULATE).
func populate(t *testing.T, rdb *redis.Client, prefix string, n int) {
	t.Helper()
	// A patient client: half a million keys take a while on a loaded machine.
	patient := redis.NewClient(&redis.Options{Addr: rdb.Options().Addr, ReadTimeout: time.Minute})
	defer patient.Close()
	require.NoError(t, patient.Do(context.Background(), "DEBUG", "POPULATE", n, prefix, 8).Err())
}

// oneErrorLine asserts stderr is exactly one "cachedeck: …" line holding want.
func oneErrorLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	require.Len(t, lines, 1, "one line on stderr: %q", stderr)
	assert.True(t, strings.HasPrefix(lines[0], "cachedeck: "), lines[0])
	for _, w := range want {
		assert.Contains(t, lines[0], w)
	}
	assert.NotContains(t, lines[0], "goroutine", "no stack trace")
}

// restartOnce restarts srv the first time trigger is called.
type restartOnce struct {
	t    *testing.T
	srv  *redisproc.Server
	once sync.Once
	done chan struct{}
}

func newRestartOnce(t *testing.T, srv *redisproc.Server) *restartOnce {
	return &restartOnce{t: t, srv: srv, done: make(chan struct{})}
}

func (r *restartOnce) trigger() {
	r.once.Do(func() {
		defer close(r.done)
		if err := r.srv.Restart(context.Background()); err != nil {
			r.t.Errorf("restart: %v", err)
		}
	})
}

// linesWriter counts lines and calls at once the first time n lines passed.
type linesWriter struct {
	mu    sync.Mutex
	lines int
	n     int
	at    func()
}

func (w *linesWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.lines += bytes.Count(p, []byte{'\n'})
	fire := w.lines >= w.n && w.at != nil
	at := w.at
	if fire {
		w.at = nil
	}
	w.mu.Unlock()
	if fire {
		at() // the scan waits here, mid-walk, while the server restarts
	}
	return len(p), nil
}

// TestScanAcrossARestartSaysIncomplete: redis-server killed and restarted
// in the middle of a 500k-key scan. go-redis reconnects and the SCAN
// cursor goes on against the new server; the run_id check makes the scan
// fail in one line instead of ending as if it were complete.
func TestScanAcrossARestartSaysIncomplete(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t, "enable-debug-command yes")
	rdb := client(t, srv.URL())
	const total = 500_000
	populate(t, rdb, "scan", total)

	r := newRestartOnce(t, srv)
	out := &linesWriter{n: 100_000, at: r.trigger}
	var errOut bytes.Buffer
	code := cli.Main([]string{"scan", "--url", srv.URL()}, out, &errOut)
	<-r.done

	assert.Equal(t, 1, code, "an incomplete scan fails")
	oneErrorLine(t, errOut.String(), "restarted during the scan", "incomplete")
	assert.Less(t, out.lines, total, "the restarted server is empty: the scan cannot have listed every key")
	assert.GreaterOrEqual(t, out.lines, 100_000)
}

// TestInvalidateAcrossARestartKeepsExactCounts: redis-server killed (no
// shutdown save) and restarted from its fsynced AOF in the middle of an
// invalidation. The run ends in one line with exit 1, the JSON and the
// audit pair give the exact number of keys deleted: the keys missing from
// the restarted server.
func TestInvalidateAcrossARestartKeepsExactCounts(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t, "appendonly yes", "appendfsync always")
	rdb := client(t, srv.URL())
	ctx := context.Background()
	const total = 60_000
	fillTemp(t, rdb, "temp:", total)

	watch := client(t, srv.URL())
	r := newRestartOnce(t, srv)
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if n, err := watch.DBSize(ctx).Result(); err == nil && n < total*2/3 {
				r.trigger()
				return
			}
		}
	}()
	code, stdout, stderr := run(t, "invalidate", "temp:*", "--yes", "--json", "--rate", "20000", "--url", srv.URL())
	close(stopWatch)
	<-watchDone
	select {
	case <-r.done:
	default:
		t.Fatal("the invalidation ended before the server could be restarted")
	}

	assert.Equal(t, 1, code, stderr)
	// Either the scan's run_id check ends the run, or the first UNLINK the
	// restarted server gets while it reloads its AOF is refused: both are
	// a failure in one line, with what was deleted counted.
	oneErrorLine(t, stderr)
	assert.Regexp(t, `restarted during the scan|LOADING.*loading its dataset after a restart`, stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &got), "JSON only on stdout: %q", stdout)
	remaining := rdb.DBSize(ctx).Val()
	assert.EqualValues(t, total-remaining, got["deleted"], "deleted is exactly what the server lost")
	assert.Regexp(t, `restarted|LOADING`, got["error"])

	entries, err := audit.ReadTail(auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2, "an audit pair")
	assert.Equal(t, "attempted", entries[0].Outcome)
	assert.Equal(t, "failed", entries[1].Outcome)
	assert.EqualValues(t, total-remaining, entries[1].Deleted)
	assert.Regexp(t, `restarted|LOADING`, entries[1].Error)
}

// TestClientPauseLongerThanTheReadTimeout: the server stops answering
// (CLIENT PAUSE) for longer than --read-timeout: the command fails in one
// line naming the timeout, and it is not resent (which would double the
// wait) — it ends well before the pause does.
func TestClientPauseLongerThanTheReadTimeout(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	fillTemp(t, rdb, "temp:", 100)
	require.NoError(t, rdb.Do(ctx, "CLIENT", "PAUSE", 20000, "ALL").Err())
	t.Cleanup(func() { _ = client(t, srv.URL()).Do(ctx, "CLIENT", "UNPAUSE").Err() })

	start := time.Now()
	code, _, stderr := run(t, "scan", "--read-timeout", "500ms", "--url", srv.URL())
	took := time.Since(start)
	assert.Equal(t, 1, code)
	oneErrorLine(t, stderr, "no reply within the read timeout (500ms)")
	t.Logf("failed after %s (pause 20 s, read timeout 500 ms)", took)
	// Not a timing assertion: the pause lasts 20 s, so ending before it
	// ended proves the read timed out and was not resent into the pause.
	assert.Less(t, took, 20*time.Second)

	code, _, stderr = run(t, "scan", "--read-timeout", "0s", "--url", srv.URL())
	assert.Equal(t, 2, code, stderr)
}

// TestServerStateErrorsAreExplained: replies about the server's state are
// told in one line with what to do.
func TestServerStateErrorsAreExplained(t *testing.T) {
	cleanEnv(t)
	ctx := context.Background()

	t.Run("OOM", func(t *testing.T) {
		srv := redistest.Standalone(t, "maxmemory 2mb", "maxmemory-policy noeviction")
		rdb := client(t, srv.URL())
		big := strings.Repeat("x", 64<<10)
		for i := 0; ; i++ {
			if err := rdb.Set(ctx, "fill:"+strconv.Itoa(i), big, 0).Err(); err != nil {
				require.Contains(t, err.Error(), "OOM")
				break
			}
		}
		code, _, stderr := run(t, "seed", "--keys", "1000", "--force", "--url", srv.URL())
		assert.Equal(t, 1, code)
		oneErrorLine(t, stderr, "OOM", "out of memory", "raise maxmemory")
	})

	t.Run("BUSY", func(t *testing.T) {
		srv := redistest.Standalone(t, "busy-reply-threshold 100")
		rdb := client(t, srv.URL())
		scriptDone := make(chan struct{})
		go func() {
			defer close(scriptDone)
			// Runs until SCRIPT KILL: a read-only script can be killed.
			_ = rdb.Eval(ctx, "local i = 0 while true do i = i + 1 end", nil).Err()
		}()
		killer := client(t, srv.URL())
		require.Eventually(t, func() bool {
			err := killer.Ping(ctx).Err()
			return err != nil && strings.HasPrefix(err.Error(), "BUSY")
		}, 10*time.Second, 20*time.Millisecond)
		code, _, stderr := run(t, "scan", "--url", srv.URL())
		assert.Equal(t, 1, code)
		oneErrorLine(t, stderr, "BUSY", "SCRIPT KILL")
		require.NoError(t, killer.ScriptKill(ctx).Err())
		<-scriptDone
	})

	t.Run("MASTERDOWN", func(t *testing.T) {
		gone := redistest.FreePort(t)
		srv := redistest.Standalone(t, "replicaof 127.0.0.1 "+strconv.Itoa(gone), "replica-serve-stale-data no")
		code, _, stderr := run(t, "scan", "--url", srv.URL())
		assert.Equal(t, 1, code)
		oneErrorLine(t, stderr, "MASTERDOWN", "lost its link to the primary")
	})

	t.Run("READONLY", func(t *testing.T) {
		primary := redistest.Standalone(t)
		srv := redistest.Standalone(t, "replicaof 127.0.0.1 "+strconv.Itoa(primary.Port))
		code, _, stderr := run(t, "seed", "--keys", "10", "--force", "--url", srv.URL())
		assert.Equal(t, 1, code)
		oneErrorLine(t, stderr, "READONLY", "read-only replica", "connect to the new primary")
	})

	t.Run("LOADING", func(t *testing.T) {
		// A server that takes a while to load its dataset answers -LOADING
		// meanwhile: 30k keys at 100 µs each keep it loading for ~3 s.
		srv := redistest.Standalone(t, "enable-debug-command yes", "key-load-delay 100", "loading-process-events-interval-bytes 1024")
		rdb := client(t, srv.URL())
		populate(t, rdb, "load", 30_000)
		require.NoError(t, rdb.Save(ctx).Err())
		srv.Kill()
		restarted := make(chan error, 1)
		go func() { restarted <- srv.Restart(context.Background()) }()
		probe := client(t, srv.URL())
		require.Eventually(t, func() bool {
			err := probe.Do(ctx, "DBSIZE").Err()
			return err != nil && strings.HasPrefix(err.Error(), "LOADING")
		}, 10*time.Second, 10*time.Millisecond)
		code, _, stderr := run(t, "scan", "--url", srv.URL())
		assert.Equal(t, 1, code)
		oneErrorLine(t, stderr, "LOADING", "loading its dataset")
		require.NoError(t, <-restarted)
	})
}

// TestPatternsAsArguments: the pattern is the obvious argument of scan and
// invalidate, as with --match and --pattern.
func TestPatternsAsArguments(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	fillTemp(t, rdb, "temp:", 30)
	fillTemp(t, rdb, "lead:", 5)

	code, out, stderr := run(t, "scan", "temp:*", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	assert.Len(t, strings.Fields(out), 30)
	code, _, stderr = run(t, "scan", "temp:*", "--match", "lead:*", "--url", srv.URL())
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "not both")
	code, _, stderr = run(t, "scan", "temp:1", "temp:2", "--url", srv.URL())
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "quote the pattern")

	code, out, stderr = run(t, "invalidate", "temp:*", "--yes", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr, "--json without a terminal: JSON on stdout, nothing on stderr")
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, 30.0, got["deleted"])
	assert.EqualValues(t, 5, rdb.DBSize(context.Background()).Val())
}

// TestExactMemoryAcrossARestartFails: redis-server killed and restarted
// in the middle of an exact memory breakdown: the sums would be wrong, so
// the run fails in one line instead of printing them.
func TestExactMemoryAcrossARestartFails(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t, "enable-debug-command yes")
	rdb := client(t, srv.URL())
	populate(t, rdb, "mem", 200_000)

	watch := client(t, srv.URL())
	r := newRestartOnce(t, srv)
	stop := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			// MEMORY USAGE calls under way: the breakdown is measuring.
			if info, err := watch.Info(context.Background(), "commandstats").Result(); err == nil && strings.Contains(info, "cmdstat_memory|usage:calls=") {
				r.trigger()
				return
			}
		}
	}()
	code, stdout, stderr := run(t, "memory", "--exact", "--url", srv.URL())
	close(stop)
	<-watchDone
	select {
	case <-r.done:
	default:
		t.Fatal("the breakdown ended before the server could be restarted")
	}
	assert.Equal(t, 1, code, stderr)
	oneErrorLine(t, stderr)
	assert.Regexp(t, `restarted during the memory breakdown|connection refused|connection closed`, stderr)
	assert.Empty(t, stdout, "no figures from a walk that crossed a restart")
	t.Logf("stderr: %s", stderr)
}

// TestRestoreAcrossARestartKeepsExactCounts: redis-server killed (its AOF
// fsynced on every write) and restarted in the middle of a restore. The
// run ends with one line or completes; either way the counts say exactly
// what is on the restarted server, and the audit pair agrees.
func TestRestoreAcrossARestartKeepsExactCounts(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t, "appendonly yes", "appendfsync always")
	rdb := client(t, srv.URL())
	ctx := context.Background()
	const total = 30_000
	fillTemp(t, rdb, "temp:", total)
	backup := t.TempDir() + "/temp.ndjson"
	code, _, stderr := run(t, "invalidate", "temp:*", "--yes", "--backup", backup, "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	require.Zero(t, rdb.DBSize(ctx).Val())

	watch := client(t, srv.URL())
	r := newRestartOnce(t, srv)
	stop := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if n, err := watch.DBSize(ctx).Result(); err == nil && n > total/3 {
				r.trigger()
				return
			}
		}
	}()
	code, stdout, stderr := run(t, "restore", backup, "--yes", "--json", "--url", srv.URL())
	close(stop)
	<-watchDone
	select {
	case <-r.done:
	default:
		t.Fatal("the restore ended before the server could be restarted")
	}
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &got), "JSON only on stdout: %q", stdout)
	onServer := rdb.DBSize(ctx).Val()
	t.Logf("exit %d, %s, %d keys on the restarted server; stderr %q", code, strings.TrimSpace(stdout), onServer, stderr)
	assert.EqualValues(t, onServer, got["restored"], "restored is exactly what the restarted server holds")
	if code != 0 {
		assert.Equal(t, 1, code)
		oneErrorLine(t, stderr)
	} else {
		assert.EqualValues(t, total, onServer)
	}
	entries, err := audit.ReadTail(auditPath, 2)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, "restore", entries[1].Action)
	assert.Equal(t, audit.Attempted, entries[0].Outcome)
	assert.EqualValues(t, onServer, entries[1].Restored)
}
