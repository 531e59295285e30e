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

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/policy"
	"github.com/coldcopy/cachedeck/seed"
)

func TestPolicyInitWritesPerProfileAndRefusesOverwrite(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("[profiles.prod]\nurl = \"redis://127.0.0.1:1\"\n"), 0o600))

	code, out, stderr := run(t, "--config", cfg, "--profile", "prod", "policy", "init")
	require.Equal(t, 0, code, stderr)
	path := filepath.Join(dir, "policy-prod.toml")
	assert.Contains(t, out, path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, policy.DefaultTOML(), string(data))

	code, _, stderr = run(t, "--config", cfg, "--profile", "prod", "policy", "init")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "already exists")
	code, _, stderr = run(t, "--config", cfg, "--profile", "prod", "policy", "init", "--force")
	assert.Equal(t, 0, code, stderr)

	// An unknown setting is a usage error (exit 2) naming it.
	require.NoError(t, os.WriteFile(path, []byte("max_valu = 1\n"+policy.DefaultTOML()), 0o644))
	code, _, stderr = run(t, "--config", cfg, "--profile", "prod", "policy", "check")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "unknown setting max_valu")
}

func TestPolicyCheckExitCodesAndFixes(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()

	// Clean: keys of a known namespace with TTLs within the policy.
	for _, k := range []string{"user:1", "user:2", "lead:1:enrichment"} {
		require.NoError(t, rdb.Set(ctx, k, `{"id":1}`, 4*time.Minute).Err())
	}
	code, out, stderr := run(t, "policy", "check", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "clean: the cache follows the policy")

	// Findings: exit 1, listed in JSON with escaped sample keys.
	require.NoError(t, rdb.Set(ctx, "user:3", `{"id":3}`, 0).Err())
	require.NoError(t, rdb.Set(ctx, "user:4", `{"id":4}`, 90*24*time.Hour).Err())
	require.NoError(t, rdb.Set(ctx, "auth:token:\x1b[2Jx", "secret", 0).Err())
	fixed := seed.Fixed()
	for _, e := range fixed {
		if e.Key == seed.KeyDamagedLZ {
			require.NoError(t, rdb.Set(ctx, e.Key, e.Value, time.Hour).Err())
		}
	}
	code, out, stderr = run(t, "policy", "check", "--json", "--url", srv.URL())
	require.Equal(t, 1, code, stderr)
	var got struct {
		Clean    bool `json:"clean"`
		Findings []struct {
			Kind, Severity, Namespace, Fix string
			Keys                           int64
			Sample                         []struct {
				Key    string `json:"key"`
				KeyB64 string `json:"key_b64"`
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.False(t, got.Clean)
	kinds := map[string]int64{}
	for _, f := range got.Findings {
		kinds[f.Kind] += f.Keys
		for _, s := range f.Sample {
			assert.NotContains(t, s.Key, "\x1b", "keys are escaped")
		}
	}
	assert.Equal(t, map[string]int64{"never-cache": 1, "no-ttl": 1, "ttl-above-policy": 1, "damaged-lz": 1}, kinds)
	assert.Equal(t, "critical", got.Findings[0].Severity)

	// Fixes refuse without a terminal or --yes, and in read-only mode.
	code, _, stderr = run(t, "policy", "fix", "--ttl", "--url", srv.URL())
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--yes")
	code, _, stderr = run(t, "policy", "fix", "--ttl", "--yes", "--read-only", "--url", srv.URL())
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "read-only")

	code, out, stderr = run(t, "policy", "fix", "--ttl", "--yes", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, `"changed": 2`)
	ttl3 := rdb.PTTL(ctx, "user:3").Val()
	assert.True(t, ttl3 > 4*time.Minute && ttl3 <= 5*time.Minute, "spread within the last 10%% of 5m: %s", ttl3)
	assert.LessOrEqual(t, rdb.PTTL(ctx, "user:4").Val(), 5*time.Minute)
	assert.Equal(t, time.Duration(-1), rdb.PTTL(ctx, "auth:token:\x1b[2Jx").Val(), "never-cache keys are not given a TTL")

	code, out, stderr = run(t, "policy", "fix", "--damaged-lz", "--yes", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "1 damaged keys deleted")
	assert.Equal(t, int64(0), rdb.Exists(ctx, seed.KeyDamagedLZ).Val())

	code, _, stderr = run(t, "policy", "check", "--url", srv.URL())
	assert.Equal(t, 1, code, "the never-cache key remains: cachedeck does not delete it behind the app's back")
	assert.True(t, strings.Contains(stderr, "1 findings"), stderr)
}
