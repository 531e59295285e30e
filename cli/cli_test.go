package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/cli"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

// run executes cachedeck with a clean environment: no user config, no
// REDIS_URL or REDISCLI_AUTH from the machine running the tests.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func cleanEnv(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("REDIS_URL", "")
	os.Unsetenv("REDIS_URL")
	t.Setenv("REDISCLI_AUTH", "")
	os.Unsetenv("REDISCLI_AUTH")
}

func client(t *testing.T, url string) *redis.Client {
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

var awkward = []string{"", "with space", "quote\"d", "new\nline", "\xff\xfe", "esc\x1b[2J", "temp:*"}

func TestScanJSONListsEveryKeyOnceWithExactBytes(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	want := append([]string{"lead:1", "lead:2"}, awkward...)
	for _, k := range want {
		require.NoError(t, rdb.Set(ctx, k, "v", 0).Err())
	}
	require.NoError(t, rdb.Expire(ctx, "lead:1", time.Hour).Err())
	require.NoError(t, rdb.HSet(ctx, "h", "f", "v").Err())
	want = append(want, "h")

	code, out, stderr := run(t, "scan", "--json", "--url", srv.URL(), "--count", "3")
	require.Equal(t, 0, code, stderr)
	var got []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var line struct {
			Key    string `json:"key"`
			KeyB64 string `json:"key_b64"`
			Type   string `json:"type"`
			TTL    int64  `json:"ttl_ms"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), sc.Text())
		raw, err := base64.StdEncoding.DecodeString(line.KeyB64)
		require.NoError(t, err)
		got = append(got, string(raw))
		switch string(raw) {
		case "lead:1":
			assert.InDelta(t, time.Hour.Milliseconds(), line.TTL, 60_000)
		case "h":
			assert.Equal(t, "hash", line.Type)
			assert.Equal(t, int64(-1), line.TTL)
		case "new\nline":
			assert.Equal(t, `"new\nline"`, line.Key, "display form is quoted")
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	assert.Equal(t, want, got)
}

func TestScanTextQuotesUnprintableKeys(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	for _, k := range awkward {
		require.NoError(t, rdb.Set(context.Background(), k, "v", 0).Err())
	}
	code, out, _ := run(t, "--url", srv.URL(), "scan")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	assert.Len(t, lines, len(awkward), "one line per key, even for keys holding newlines")
	assert.Contains(t, lines, `""`)
	assert.Contains(t, lines, "with space")
	assert.Contains(t, lines, `"new\nline"`)
	assert.NotContains(t, out, "\x1b", "no terminal escape reaches the output")

	code, out, _ = run(t, "scan", "--url", srv.URL(), "--match", `temp:\*`)
	require.Equal(t, 0, code)
	assert.Equal(t, "temp:*\n", out)
}

func TestInspectJSONContract(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	require.NoError(t, rdb.Set(ctx, "user:1", `{"id":1,"big":123456789012345678901234567890}`, time.Minute).Err())
	require.NoError(t, rdb.HSet(ctx, "workspace:1:members", "u1", `{"a":1}`).Err())

	// Flags after the positional argument.
	code, out, stderr := run(t, "inspect", "user:1", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	for _, field := range []string{"key", "key_b64", "type", "ttl_ms", "encoding", "memory_bytes", "length", "value"} {
		assert.Contains(t, got, field)
	}
	assert.Equal(t, "string", got["type"])
	value := got["value"].(map[string]any)
	assert.Equal(t, "json", value["format"])
	assert.Contains(t, value["text"], "123456789012345678901234567890")
	assert.Equal(t, false, value["truncated"])
	assert.Equal(t, []any{}, value["layers"])

	code, out, stderr = run(t, "--url", srv.URL(), "inspect", "--json", "--key-b64", base64.StdEncoding.EncodeToString([]byte("workspace:1:members")))
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	coll := got["value"].(map[string]any)
	assert.Len(t, coll["items"], 1)
	assert.Equal(t, "", coll["cursor"])
	assert.Equal(t, false, coll["truncated"])
	item := coll["items"].([]any)[0].(map[string]any)
	assert.Equal(t, "u1", item["field"])
	assert.Equal(t, "json", item["value"].(map[string]any)["format"])
}

func TestInspectText(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	require.NoError(t, client(t, srv.URL()).Set(context.Background(), "k", `{"a":1}`, 0).Err())
	code, out, _ := run(t, "inspect", "--url", srv.URL(), "k")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "type:      string")
	assert.Contains(t, out, "ttl:       none (persists)")
	assert.Contains(t, out, "\"a\": 1")
}

func TestExitCodes(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"missing key", []string{"inspect", "--url", srv.URL(), "nope"}, 1, "no such key: nope"},
		{"no argument", []string{"inspect", "--url", srv.URL()}, 2, "exactly one KEY"},
		{"unknown flag", []string{"scan", "--bogus"}, 2, "unknown flag"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"bad base64", []string{"inspect", "--key-b64", "!!!", "--url", srv.URL()}, 2, "not valid base64"},
		{"bad count", []string{"scan", "--count", "0", "--url", srv.URL()}, 2, "--count"},
		{"refused", []string{"scan", "--url", "redis://127.0.0.1:" + itoa(redistest.FreePort(t))}, 1, "connection refused"},
		{"bad scheme", []string{"scan", "--url", "http://x"}, 1, "redis://"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Contains(t, stderr, tc.msg)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		})
	}
}

func TestPasswordSourcesAndSecrecy(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Restricted(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, Username: srv.AdminUser, Password: srv.AdminPassword})
	t.Cleanup(func() { _ = rdb.Close() })
	require.NoError(t, rdb.Set(context.Background(), "k", "v", 0).Err())
	base := "redis://" + srv.Addr

	t.Run("REDISCLI_AUTH", func(t *testing.T) {
		t.Setenv("REDISCLI_AUTH", srv.ReadOnlyPassword)
		code, out, stderr := run(t, "scan", "--url", base, "--user", srv.ReadOnlyUser)
		require.Equal(t, 0, code, stderr)
		assert.Equal(t, "k\n", out)
	})
	t.Run("password file", func(t *testing.T) {
		pf := filepath.Join(t.TempDir(), "pw")
		require.NoError(t, os.WriteFile(pf, []byte(srv.ReadOnlyPassword+"\n"), 0o600))
		code, _, stderr := run(t, "scan", "--url", base, "--user", srv.ReadOnlyUser, "--password-file", pf)
		require.Equal(t, 0, code, stderr)
	})
	t.Run("profile with password_env", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "config.toml")
		require.NoError(t, os.WriteFile(cfg, []byte(`
[profiles.prod]
url = "`+base+`"
user = "`+srv.ReadOnlyUser+`"
password_env = "CACHEDECK_TEST_PW"
read_only = true
production = true
`), 0o600))
		t.Setenv("CACHEDECK_TEST_PW", srv.ReadOnlyPassword)
		code, out, stderr := run(t, "scan", "--config", cfg, "--profile", "prod")
		require.Equal(t, 0, code, stderr)
		assert.Equal(t, "k\n", out)

		code, _, stderr = run(t, "scan", "--config", cfg, "--profile", "staging")
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr, `profile "staging" not found`)
		assert.Contains(t, stderr, "prod")
	})
	t.Run("wrong password never printed", func(t *testing.T) {
		const secret = "Tr0ub4dor&3-secret"
		code, out, stderr := run(t, "scan", "--url", "redis://"+srv.ReadOnlyUser+":"+secret+"@"+srv.Addr)
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "authentication failed")
		assert.NotContains(t, stderr+out, secret)

		t.Setenv("REDISCLI_AUTH", secret)
		code, out, stderr = run(t, "inspect", "k", "--url", base)
		assert.Equal(t, 1, code)
		assert.NotContains(t, stderr+out, secret)
	})
	t.Run("insecure TLS is announced", func(t *testing.T) {
		tlsSrv := redistest.TLS(t)
		code, _, stderr := run(t, "scan", "--url", "rediss://"+tlsSrv.Addr, "--tls-skip-verify")
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stderr, "WARNING: TLS certificate verification is OFF")
	})
}

func TestConfigErrors(t *testing.T) {
	cleanEnv(t)
	cfg := filepath.Join(t.TempDir(), "config.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("[profiles.x]\nurll = \"redis://h\"\n"), 0o600))
	code, _, stderr := run(t, "scan", "--config", cfg, "--profile", "x")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "unknown setting profiles.x.urll")

	code, _, stderr = run(t, "scan", "--config", filepath.Join(t.TempDir(), "missing.toml"))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "no such file")
}
