package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/cli"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

// opsEnv is cleanEnv plus a private audit log location; it returns the
// audit log's path.
func opsEnv(t *testing.T) string {
	cleanEnv(t)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	// No terminal on stdin, whatever runs the tests.
	r, w, err := os.Pipe()
	require.NoError(t, err)
	orig := os.Stdin
	os.Stdin = r
	t.Cleanup(func() {
		os.Stdin = orig
		_ = r.Close()
		_ = w.Close()
	})
	return filepath.Join(state, "cachedeck", "audit.jsonl")
}

var statsFields = []string{
	"hit_rate", "hit_rate_total", "ops_per_sec", "used_memory", "maxmemory", "mem_fragmentation_ratio",
	"connected_clients", "evicted_keys_per_sec", "expired_keys_per_sec", "net_in_bps", "net_out_bps",
	"cpu_percent", "latency_p50_ms", "latency_p99_ms", "role", "rdb_last_bgsave_status", "violations", "maxclients",
}

func TestStatsOnceJSON(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t, "maxmemory 100mb")
	require.NoError(t, client(t, srv.URL()).Set(context.Background(), "lead:1", "v", time.Hour).Err())

	start := time.Now()
	code, out, stderr := run(t, "stats", "--once", "--json", "--interval", "200ms", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "two polls one interval apart")
	assert.Empty(t, stderr)
	assert.Equal(t, 1, strings.Count(out, "\n"), "one object on one line")

	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	for _, f := range statsFields {
		assert.Contains(t, got, f)
	}
	assert.Nil(t, got["hit_rate"], "no reads in the interval: unknown")
	assert.Equal(t, float64(100<<20), got["maxmemory"])
	assert.Equal(t, "master", got["role"])
	assert.Equal(t, "ok", got["rdb_last_bgsave_status"])
	assert.Equal(t, false, got["cluster"])
	assert.NotContains(t, got, "nodes")
	viol, ok := got["violations"].([]any)
	require.True(t, ok, "violations is always an array")
	for _, v := range viol { // a loaded test machine may miss the latency target
		assert.Equal(t, "latency_p99", v.(map[string]any)["metric"])
	}
	assert.Equal(t, 1.0, got["keys"])
	for _, f := range []string{"latency_p50_ms", "latency_p99_ms", "evicted_keys_per_sec", "net_in_bps", "cpu_percent"} {
		v, ok := got[f].(float64)
		assert.True(t, ok, "%s is a number after two polls: %v", f, got[f])
		assert.GreaterOrEqual(t, v, 0.0)
	}
	assert.Positive(t, got["latency_p99_ms"])
}

func TestStatsHitRateOverTheInterval(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	require.NoError(t, rdb.Set(ctx, "hit", "v", 0).Err())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Reads while stats waits between its two polls: 3 hits per miss.
		for i := 0; i < 40; i++ {
			if i%4 == 3 {
				_ = rdb.Get(ctx, "miss").Err()
			} else {
				_ = rdb.Get(ctx, "hit").Err()
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	code, out, stderr := run(t, "stats", "--once", "--json", "--interval", "600ms", "--url", srv.URL())
	<-done
	require.Equal(t, 0, code, stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	// Some reads may land before the first poll; the rate is still 3:1
	// give or take one read at each edge.
	assert.InDelta(t, 0.75, got["hit_rate"], 0.06)
	var msgs []string
	for _, v := range got["violations"].([]any) {
		msgs = append(msgs, v.(map[string]any)["message"].(string))
	}
	assert.Contains(t, strings.Join(msgs, "\n"), "below the 80 % target")
}

func TestStatsOnceCluster(t *testing.T) {
	opsEnv(t)
	cl := redistest.Cluster(t, 3)
	code, out, stderr := run(t, "stats", "--once", "--json", "--interval", "100ms", "--url", "redis://"+cl.Addrs()[0])
	require.Equal(t, 0, code, stderr)
	var got struct {
		Cluster bool             `json:"cluster"`
		Nodes   []map[string]any `json:"nodes"`
		Role    string           `json:"role"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.True(t, got.Cluster)
	require.Len(t, got.Nodes, 3)
	var names []string
	for _, n := range got.Nodes {
		names = append(names, n["node"].(string))
		assert.Contains(t, n, "hit_rate")
	}
	assert.ElementsMatch(t, cl.Addrs(), names)
	assert.Equal(t, "master", got.Role)

	code, out, stderr = run(t, "stats", "--once", "--interval", "50ms", "--url", "redis://"+cl.Addrs()[0])
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "cluster ")
	for _, a := range cl.Addrs() {
		assert.Contains(t, out, a, "a row per master")
	}
}

func TestStatsStreamsNDJSONUntilCtrlC(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.MainContext(ctx, []string{"stats", "--json", "--interval", "100ms", "--url", srv.URL()}, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Count(stdout.String(), "\n") >= 3 }, 5*time.Second, 20*time.Millisecond, stderr.String())
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, "Ctrl-C ends the stream cleanly: %s", stderr.String())
	case <-time.After(5 * time.Second):
		t.Fatal("stats did not stop on Ctrl-C")
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &got), line)
		assert.Contains(t, got, "ops_per_sec")
	}
}

func TestStatsText(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t, "maxmemory 10mb")
	code, out, stderr := run(t, "stats", "--once", "--interval", "100ms", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	// A header and one row; a loaded test machine may add target alerts
	// ("!! …" critical, "!  …" warning), which are not rows.
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(l, "!") {
			lines = append(lines, l)
		}
	}
	require.Len(t, lines, 2, out)
	for _, col := range []string{"time", "ops/s", "hit%", "p99ms", "memory", "mem%", "evict/s", "cpu%", "role"} {
		assert.Contains(t, lines[0], col)
	}
	assert.Contains(t, lines[1], srv.Addr)
	assert.Contains(t, lines[1], "master")
}

func TestStatsRefusalsAndUsage(t *testing.T) {
	opsEnv(t)
	srv := redistest.Restricted(t)
	base := "redis://" + srv.Addr

	// app_user: INFO is @dangerous.
	code, out, stderr := run(t, "stats", "--once", "--interval", "50ms", "--url", base, "--user", srv.AdminUser, "--password-file", pwFile(t, srv.AdminPassword))
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	assert.Contains(t, stderr, "INFO")
	assert.Contains(t, stderr, "NOPERM")

	// The default user: CONFIG is renamed away, stats still works. Redis 7
	// reports maxclients in INFO, so CONFIG is not even needed for it.
	code, out, stderr = run(t, "stats", "--once", "--json", "--interval", "50ms", "--url", base, "--password-file", pwFile(t, srv.DefaultPassword))
	require.Equal(t, 0, code, stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Positive(t, got["maxclients"])
	unavailable, _ := got["unavailable"].(map[string]any)
	assert.NotContains(t, unavailable, "maxclients", "nothing is missing for want of CONFIG")
	assert.NotContains(t, unavailable, "info")

	for _, args := range [][]string{
		{"stats", "--interval", "0s"},
		{"stats", "--interval", "1ms"},
		{"stats", "extra"},
	} {
		code, _, stderr := run(t, append(args, "--url", base)...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
	}
}

func pwFile(t *testing.T, pw string) string {
	p := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(p, []byte(pw), 0o600))
	return p
}

// slowServer is a standalone server that logs every command in the slow log.
func slowServer(t *testing.T) (url string, rdb *redis.Client) {
	srv := redistest.Standalone(t)
	rdb = client(t, srv.URL())
	require.NoError(t, rdb.ConfigSet(context.Background(), "slowlog-log-slower-than", "0").Err())
	return srv.URL(), rdb
}

func TestSlowlogJSONRedactedAndDisplaySafe(t *testing.T) {
	opsEnv(t)
	url, rdb := slowServer(t)
	ctx := context.Background()
	require.NoError(t, rdb.Set(ctx, "new\nline", "v", 0).Err())
	require.NoError(t, rdb.Set(ctx, "esc\x1b[2J", "v", 0).Err())
	_ = rdb.Do(ctx, "AUTH", "s3cret-pass").Err()
	require.NoError(t, rdb.Do(ctx, "CONFIG", "SET", "masterauth", "s3cret-master").Err())

	code, out, stderr := run(t, "slowlog", "--json", "--count", "128", "--url", url)
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, out, "s3cret")
	assert.NotContains(t, out, "\x1b")
	var entries []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &entries), out)
	require.NotEmpty(t, entries)
	var all []string
	for _, e := range entries {
		for _, f := range []string{"node", "id", "time", "duration_us", "args", "client_addr", "client_name"} {
			assert.Contains(t, e, f)
		}
		_, err := time.Parse(time.RFC3339, e["time"].(string))
		assert.NoError(t, err)
		var args []string
		for _, a := range e["args"].([]any) {
			args = append(args, a.(string))
		}
		all = append(all, strings.Join(args, " "))
	}
	joined := strings.Join(all, "\n")
	assert.Contains(t, joined, `set "new\nline" v`, "awkward keys in display form")
	assert.Contains(t, strings.ToLower(joined), "auth ****")
	assert.Contains(t, strings.ToLower(joined), "config set masterauth ****")

	code, out, stderr = run(t, "slowlog", "--count", "3", "--url", url)
	require.Equal(t, 0, code, stderr)
	assert.Len(t, strings.Split(strings.TrimSuffix(out, "\n"), "\n"), 3)
	assert.NotContains(t, out, "\x1b")

	for _, args := range [][]string{{"--count", "0"}, {"--count", "129"}, {"--yes"}} {
		code, _, stderr := run(t, append([]string{"slowlog", "--url", url}, args...)...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
	}
}

func TestSlowlogResetIsGuardedAndAudited(t *testing.T) {
	auditPath := opsEnv(t)
	url, rdb := slowServer(t)
	ctx := context.Background()
	require.NoError(t, rdb.Set(ctx, "marker", "v", 0).Err())
	hasMarker := func() bool {
		logs, err := rdb.SlowLogGet(ctx, 128).Result()
		require.NoError(t, err)
		for _, l := range logs {
			if len(l.Args) > 1 && l.Args[1] == "marker" {
				return true
			}
		}
		return false
	}

	code, _, stderr := run(t, "slowlog", "--reset", "--url", url)
	assert.Equal(t, 2, code, "no terminal and no --yes")
	assert.Contains(t, stderr, "--yes")

	code, _, stderr = run(t, "slowlog", "--reset", "--yes", "--read-only", "--url", url)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "read-only")

	cfg := filepath.Join(t.TempDir(), "config.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("[profiles.prod]\nurl = \""+url+"\"\nread_only = true\n"), 0o600))
	code, _, stderr = run(t, "slowlog", "--reset", "--yes", "--config", cfg, "--profile", "prod")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "read-only")
	assert.True(t, hasMarker(), "nothing was reset")
	assert.NoFileExists(t, auditPath, "refused before anything happened")

	// An audit log that cannot be written stops the reset.
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))
	t.Setenv("XDG_STATE_HOME", blocker)
	code, _, stderr = run(t, "slowlog", "--reset", "--yes", "--url", url)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "nothing was changed")
	assert.True(t, hasMarker())
	t.Setenv("XDG_STATE_HOME", filepath.Dir(filepath.Dir(auditPath)))

	t.Setenv("USER", "oncall")
	code, out, stderr := run(t, "slowlog", "--reset", "--yes", "--url", url)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "slow log reset")
	assert.False(t, hasMarker())

	entries, err := audit.ReadTail(auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	e := entries[0]
	assert.Equal(t, "slowlog-reset", e.Action)
	assert.Equal(t, audit.Done, e.Outcome)
	assert.Equal(t, "oncall", e.Operator)
	assert.Equal(t, strings.TrimPrefix(url, "redis://"), e.Server)
	assert.WithinDuration(t, time.Now(), e.Time, time.Minute)
}

func TestSlowlogRefused(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Restricted(t)
	args := []string{"--url", "redis://" + srv.Addr, "--user", srv.AdminUser, "--password-file", pwFile(t, srv.AdminPassword)}

	code, _, stderr := run(t, append([]string{"slowlog"}, args...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "SLOWLOG GET denied by ACL: NOPERM")

	code, _, stderr = run(t, append([]string{"slowlog", "--reset", "--yes"}, args...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "NOPERM")
	entries, err := audit.ReadTail(auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, audit.Failed, entries[0].Outcome)
	assert.Contains(t, entries[0].Error, "NOPERM")
}
