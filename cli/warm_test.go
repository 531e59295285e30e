package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/internal/warmtest"
)

const cronSecret = "cli-cron-s3cret-91ab"

// warmProfile writes a config whose default profile points at redisURL
// with the app's warmer at app.URL, the token in $CRON_SECRET.
func warmProfile(t *testing.T, redisURL string, app *warmtest.App, extra string) {
	t.Helper()
	dir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "cachedeck")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	body := fmt.Sprintf("default_profile = \"prod\"\n[profiles.prod]\nurl = %q\nwarm_url = %q\ntoken_env = \"CRON_SECRET\"\n%s", redisURL, app.URL, extra)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.toml"), []byte(body), 0o600))
	t.Setenv("CRON_SECRET", cronSecret)
}

func noSecret(t *testing.T, auditPath string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		assert.NotContains(t, s, cronSecret)
	}
	if b, err := os.ReadFile(auditPath); err == nil {
		assert.NotContains(t, string(b), cronSecret, "the audit log never holds the token")
	}
}

func TestWarmJSONAndAudit(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	app := warmtest.Start(t, rdb, cronSecret)
	warmProfile(t, srv.URL(), app, "")
	require.NoError(t, rdb.Set(context.Background(), warmtest.Key(2, 0), "cached", time.Minute).Err())

	code, out, stderr := run(t, "warm", "--json")
	require.Equal(t, 0, code, stderr)
	noSecret(t, auditPath, out, stderr)
	var got struct {
		Warmer     string `json:"warmer"`
		Added      int64  `json:"added"`
		Warmed     int64  `json:"warmed"`
		Errors     int64  `json:"errors"`
		Stable     bool   `json:"stable"`
		Namespaces []struct {
			Pattern              string
			Before, After, Added int64
		} `json:"namespaces"`
		Rounds []struct {
			Status   int `json:"status"`
			Attempts int `json:"attempts"`
			Answer   struct {
				Success    bool            `json:"success"`
				CacheStats json.RawMessage `json:"cacheStats"`
			} `json:"answer"`
		} `json:"rounds"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), "stdout is JSON only: %q", out)
	assert.Equal(t, "app", got.Warmer)
	assert.EqualValues(t, 169, got.Added)
	assert.EqualValues(t, 169, got.Warmed)
	require.Len(t, got.Namespaces, 3)
	assert.Equal(t, "coldcopy:workspace_dashboard:*", got.Namespaces[2].Pattern)
	assert.EqualValues(t, []int64{1, 20, 19}, []int64{got.Namespaces[2].Before, got.Namespaces[2].After, got.Namespaces[2].Added})
	require.Len(t, got.Rounds, 1)
	assert.Equal(t, 200, got.Rounds[0].Status)
	assert.True(t, got.Rounds[0].Answer.Success)

	entries, err := audit.ReadTail(auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Attempted, entries[0].Outcome)
	assert.Equal(t, "warm", entries[1].Action)
	assert.Equal(t, audit.Done, entries[1].Outcome)
	assert.EqualValues(t, 169, entries[1].Added)
	assert.Contains(t, entries[1].Target, "app warmed 169")
	assert.Equal(t, "prod", entries[1].Profile)

	// The text report: a table per namespace.
	code, out, stderr = run(t, "warm")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `(?m)^coldcopy:lead_score:\*\s+100\s+100\s+\+0$`, out, "namespace left, counts right")
	assert.Contains(t, out, "round 1: HTTP 200, success true, warmed 0, errors 0, 1 attempt")
	noSecret(t, auditPath, out, stderr)
}

func TestWarmFailuresSayWhyAndAreAudited(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	app := warmtest.Start(t, rdb, cronSecret)
	warmProfile(t, srv.URL(), app, "")

	// Wrong secret: one call, a clear reason, a failed audit line.
	t.Setenv("CRON_SECRET", "wrong-"+cronSecret)
	code, out, stderr := run(t, "warm")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "the secret is wrong (check $CRON_SECRET")
	assert.EqualValues(t, 1, app.Calls())
	noSecret(t, auditPath, out, stderr)
	t.Setenv("CRON_SECRET", cronSecret)

	// 500 with the app's error, retried once, JSON still printed.
	app.SetMode(warmtest.ServerError)
	code, out, stderr = run(t, "warm", "--json", "--retries", "1")
	assert.Equal(t, 1, code)
	assert.EqualValues(t, 3, app.Calls(), "one retry")
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Contains(t, got["error"], "the app answered 500")
	assert.Contains(t, stderr, `ECONNREFUSED 10.0.0.5:5432\x1b[2J`)
	assert.NotContains(t, stderr+out, "\x1b")

	entries, err := audit.ReadTail(auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 4)
	assert.Equal(t, audit.Failed, entries[1].Outcome)
	assert.Contains(t, entries[1].Error, "the secret is wrong")
	assert.Equal(t, audit.Failed, entries[3].Outcome)
	assert.Contains(t, entries[3].Error, "the app answered 500")
	noSecret(t, auditPath)

	// Read-only: refused before the app is called.
	app.SetMode(warmtest.OK)
	code, _, stderr = run(t, "warm", "--read-only")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "read-only mode")
	assert.EqualValues(t, 3, app.Calls())

	// Unknown warmer, unset token: usage errors naming the fix.
	code, _, stderr = run(t, "warm", "nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `no warmer "nope" in the profile (warmers: app)`)
	os.Unsetenv("CRON_SECRET")
	code, _, stderr = run(t, "warm")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "token_env CRON_SECRET is not set")
}

func TestWarmEndpointFlagsNotJSONAndUntilStable(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	app := warmtest.Start(t, rdb, cronSecret)
	t.Setenv("MY_TOKEN", cronSecret)

	app.SetMode(warmtest.NotJSON)
	code, out, stderr := run(t, "warm", "--url", srv.URL(), "--endpoint", app.URL, "--token-env", "MY_TOKEN")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `answer is not the warmer's JSON: "<!DOCTYPE html>`)
	assert.Contains(t, out, "round 1: failed (HTTP 200), 1 attempt,", "a failed call shows no answer it did not get")
	assert.NotContains(t, stderr, "\x1b")
	noSecret(t, auditPath, out, stderr)

	app.SetMode(warmtest.OK)
	app.PerCall = 100
	code, out, stderr = run(t, "warm", "--url", srv.URL(), "--endpoint", app.URL, "--token-env", "MY_TOKEN", "--until-stable", "--namespace", "coldcopy:lead_score:", "--namespace", "coldcopy:campaign_analytics:*")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "round 3:")
	assert.Contains(t, out, "stable after 3 rounds")
	assert.NotContains(t, out, "workspace_dashboard", "only the namespaces given are counted")

	code, _, stderr = run(t, "warm", "--url", srv.URL(), "--endpoint", "http://app.example/x", "--token-env", "MY_TOKEN")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "would send the token in clear")
}

func TestWarmFromBackupRestoresOnlyMissingKeys(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	for i := 0; i < 30; i++ {
		require.NoError(t, rdb.Set(ctx, warmtest.Key(0, i), "score", time.Hour).Err())
		require.NoError(t, rdb.Set(ctx, fmt.Sprintf("user:%d", i), "u", time.Hour).Err())
	}
	backup := filepath.Join(t.TempDir(), "b.ndjson")
	code, _, stderr := run(t, "invalidate", "--pattern", "*", "--backup", backup, "--yes", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	require.NoError(t, rdb.Set(ctx, warmtest.Key(0, 0), "fresh", time.Hour).Err())

	code, _, stderr = run(t, "warm", "--from-backup", backup, "--pattern", "coldcopy:lead_score:*", "--url", srv.URL())
	assert.Equal(t, 2, code, "no terminal, no --yes")
	assert.Contains(t, stderr, "--yes")

	code, out, stderr := run(t, "warm", "--from-backup", backup, "--pattern", "coldcopy:lead_score:*", "--dry-run", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "60 keys in the backup, 30 match: 29 missing now to restore")

	code, out, stderr = run(t, "warm", "--from-backup", backup, "--pattern", "coldcopy:lead_score:*", "--yes", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.EqualValues(t, 29, got["restored"])
	assert.EqualValues(t, 1, got["skipped"])
	assert.EqualValues(t, 30, got["not_matched"])
	assert.Equal(t, "fresh", rdb.Get(ctx, warmtest.Key(0, 0)).Val())
	assert.EqualValues(t, 0, rdb.Exists(ctx, "user:1").Val())
	assert.Greater(t, rdb.TTL(ctx, warmtest.Key(0, 5)).Val(), 50*time.Minute, "the TTL left")

	entries, err := audit.ReadTail(auditPath, 10)
	require.NoError(t, err)
	last := entries[len(entries)-1]
	assert.Equal(t, "warm-from-backup", last.Action)
	assert.Equal(t, audit.Done, last.Outcome)
	assert.EqualValues(t, 29, last.Restored)
	assert.Equal(t, []string{"coldcopy:lead_score:*"}, last.Patterns)

	// NAME instead of --pattern: the warmer's namespaces.
	warmProfile(t, srv.URL(), warmtest.Start(t, rdb, cronSecret), "")
	code, out, stderr = run(t, "warm", "app", "--from-backup", backup, "--dry-run")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "patterns: coldcopy:lead_score:*  coldcopy:campaign_analytics:*  coldcopy:workspace_dashboard:*")
	assert.Contains(t, out, "60 keys in the backup, 30 match: 0 missing now to restore")

	code, _, stderr = run(t, "warm", "--from-backup", backup, "--yes", "--read-only", "--url", srv.URL())
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "read-only")
}

func TestTTLSpreadCommand(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		require.NoError(t, rdb.Set(ctx, warmtest.Key(1, i), "stats", 5*time.Minute).Err())
	}
	require.NoError(t, rdb.Set(ctx, "coldcopy:campaign_analytics:forever", "x", 0).Err())

	code, _, stderr := run(t, "ttl-spread", "coldcopy:campaign_analytics:*", "--ttl", "5m", "--jitter", "2m", "--url", srv.URL())
	assert.Equal(t, 2, code, "no terminal, no --yes")
	assert.Contains(t, stderr, "--yes")
	code, _, stderr = run(t, "ttl-spread", "coldcopy:campaign_analytics:*", "--yes", "--url", srv.URL())
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--ttl is required")
	code, _, stderr = run(t, "ttl-spread", "coldcopy:campaign_analytics:*", "--ttl", "5m", "--yes", "--read-only", "--url", srv.URL())
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "read-only")

	code, out, stderr := run(t, "ttl-spread", "coldcopy:campaign_analytics:*", "--ttl", "5m", "--jitter", "2m", "--dry-run", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "matched: 201 keys, 200 with a TTL, 1 without (left alone)")

	code, out, stderr = run(t, "ttl-spread", "--pattern", "coldcopy:campaign_analytics:*", "--ttl", "5m", "--jitter", "2m", "--yes", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.EqualValues(t, 201, got["matched"])
	assert.EqualValues(t, 200, got["updated"])
	assert.EqualValues(t, 1, got["skipped"])
	assert.GreaterOrEqual(t, got["min_ttl_ms"], 300000.0)
	assert.LessOrEqual(t, got["max_ttl_ms"], 420000.0)
	assert.Empty(t, stderr, "with --json the preview goes to stderr only when it is a terminal (issue 13)")
	assert.EqualValues(t, -1, rdb.TTL(ctx, "coldcopy:campaign_analytics:forever").Val())

	entries, err := audit.ReadTail(auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, "ttl-spread", entries[1].Action)
	assert.Equal(t, audit.Done, entries[1].Outcome)
	assert.EqualValues(t, 200, entries[1].Updated)
	assert.True(t, strings.HasPrefix(entries[1].Target, "ttl 5m0s + jitter 2m0s"))
}
