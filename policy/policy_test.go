package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultPolicyFollowsTheDocument(t *testing.T) {
	p := Default()
	assert.Equal(t, "built-in", p.Source)
	assert.Equal(t, Size(1024), p.CompressAbove)
	assert.Equal(t, Size(1<<20), p.MaxValue)
	assert.InDelta(t, 0.10, p.TTLTolerance, 1e-9)

	// The TTL strategy table, key by key.
	ttl := map[string]time.Duration{
		"user:123e4567-e89b-12d3-a456-426614174000": 5 * time.Minute,
		"workspace:123:members":                     5 * time.Minute,
		"lead:456:enrichment":                       7 * 24 * time.Hour,
		"lead:456":                                  time.Hour,
		"campaign:789:performance":                  5 * time.Minute,
		"analytics:workspace:123:daily":             5 * time.Minute,
		"ai:gpt4:prompt_hash_abc123":                24 * time.Hour,
		"deliverability:domain:example.com":         24 * time.Hour,
		"deliverability:spam:abc":                   time.Hour,
		"search:leads:q=acme":                       time.Minute,
		"coldcopy:campaign_analytics:ws:1":          5 * time.Minute,
		"coldcopy:workspace_dashboard:ws":           10 * time.Minute,
	}
	for key, want := range ttl {
		i := p.Match(key)
		require.GreaterOrEqual(t, i, 0, key)
		r := p.Rules()[i]
		assert.False(t, r.NeverCache, key)
		assert.Equal(t, want, r.TTL, key)
	}
	for _, key := range []string{"billing:invoice:1", "payment:intent:pi_1", "auth:token:x", "session:s1", "webhook:payload:evt", "audit:log:1", "collab:doc:1:presence", "otp:+15550100", "draft:email:1", "inbox:ws:1"} {
		i := p.Match(key)
		require.GreaterOrEqual(t, i, 0, key)
		assert.True(t, p.Rules()[i].NeverCache, key)
	}
	assert.Equal(t, -1, p.Match("cache:raw:gzip:1"))
	assert.Equal(t, -1, p.Match(""))
	assert.Equal(t, 5*time.Minute+30*time.Second, p.TTLLimit(p.Match("user:1")))
}

func TestUnknownSettingsAreErrors(t *testing.T) {
	text := "compres_above = \"2KB\"\n" + DefaultTOML()
	_, err := Parse(text, "p.toml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown setting compres_above")

	_, err = Parse(strings.Replace(DefaultTOML(), `ttl = "7d"`, "ttl = \"7d\"\nttll = \"1h\"", 1), "p.toml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "namespace.ttll")
}

func TestInvalidPolicies(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"version":     {"version = 2\ncompress_above = 1\nmax_value = 1\n[[namespace]]\nname=\"a\"\npatterns=[\"a:*\"]", "version = 2 is not supported"},
		"size":        {"version = 1\ncompress_above = \"lots\"\nmax_value = 1", `"lots" is not a size`},
		"ttl":         {"version = 1\ncompress_above = 1\nmax_value = 1\n[[namespace]]\nname=\"a\"\npatterns=[\"a:*\"]\nttl=\"soon\"", `"soon" is not a TTL`},
		"empty":       {"version = 1\ncompress_above = 1\nmax_value = 1", "nothing to audit"},
		"no patterns": {"version = 1\ncompress_above = 1\nmax_value = 1\n[[namespace]]\nname=\"a\"", `"a" has no patterns`},
		"bad glob":    {"version = 1\ncompress_above = 1\nmax_value = 1\n[[never_cache]]\nname=\"a\"\npatterns=[\"a:[x\"]", "has no closing ]"},
		"duplicate":   {"version = 1\ncompress_above = 1\nmax_value = 1\n[[namespace]]\nname=\"a\"\npatterns=[\"a:*\"]\n[[never_cache]]\nname=\"a\"\npatterns=[\"b:*\"]", `two rules are named "a"`},
		"syntax":      {"version = = 1", "fix the TOML syntax"},
		"tolerance":   {"version = 1\ncompress_above = 1\nmax_value = 1\nttl_tolerance = -1\n[[namespace]]\nname=\"a\"\npatterns=[\"a:*\"]", "ttl_tolerance"},
		"no max":      {"version = 1\ncompress_above = 1", "max_value"},
		"wrong kind":  {"version = 1\ncompress_above = true\nmax_value = 1", "a size is"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tc.text, "x.toml")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "x.toml")
		})
	}
}

func TestNeverCacheWinsOverNamespaces(t *testing.T) {
	p, err := Parse(`version = 1
compress_above = 1024
max_value = "1MB"
[[namespace]]
name = "all"
patterns = ["*"]
ttl = 3600
[[never_cache]]
name = "secrets"
patterns = ["secret:*"]
`, "t")
	require.NoError(t, err)
	assert.True(t, p.Rules()[p.Match("secret:1")].NeverCache)
	assert.Equal(t, time.Hour, p.Rules()[p.Match("x")].TTL)
	assert.Equal(t, []string{"*"}, p.Patterns(p.Match("x")))
}

func TestInitWritesTheDefaultAndRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "policy.toml")
	require.NoError(t, WriteDefault(path, false))
	p, err := Resolve(path, true)
	require.NoError(t, err)
	assert.Equal(t, path, p.Source)
	assert.Equal(t, len(Default().Rules()), len(p.Rules()))

	require.NoError(t, os.WriteFile(path, []byte("# mine\n"), 0o644))
	err = WriteDefault(path, false)
	require.ErrorContains(t, err, "already exists")
	data, _ := os.ReadFile(path)
	assert.Equal(t, "# mine\n", string(data), "an existing policy is never replaced without --force")
	require.NoError(t, WriteDefault(path, true))
	data, _ = os.ReadFile(path)
	assert.Equal(t, DefaultTOML(), string(data))

	// Missing files: the default unless the path was named explicitly.
	missing := filepath.Join(t.TempDir(), "none.toml")
	p, err = Resolve(missing, false)
	require.NoError(t, err)
	assert.Equal(t, "built-in", p.Source)
	_, err = Resolve(missing, true)
	require.Error(t, err)
}

func TestSizesAndDurations(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "1KB": 1024, "1 KiB": 1024, "1MB": 1 << 20, "2gb": 2 << 30, "10B": 10} {
		got, err := ParseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "KB", "-1", "1.5KB", "1TB"} {
		_, err := ParseSize(bad)
		assert.Error(t, err, bad)
	}
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "1.5d": 36 * time.Hour, "5m": 5 * time.Minute, "none": 0, "90s": 90 * time.Second} {
		got, err := ParseDuration(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseDuration("-5m")
	assert.Error(t, err)
	assert.Equal(t, "7d", FormatTTL(7*24*time.Hour))
	assert.Equal(t, "90s", FormatTTL(90*time.Second))
	assert.Equal(t, "29.9d", FormatTTL(30*24*time.Hour-3*time.Hour-time.Second))
	assert.Equal(t, "1.5h", FormatTTL(90*time.Minute))
	assert.Equal(t, "1MB", Size(1<<20).String())
}
