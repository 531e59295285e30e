package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/internal/warmtest"
)

// jsonCase is one run of a newer command with --json.
type jsonCase struct {
	name  string
	args  []string
	code  int
	lines bool // JSON lines (a stream) rather than one document
}

// checkJSONRun runs c and asserts the headless contract of issue 13: the
// documented exit code, stdout exactly one JSON document (or JSON lines),
// and nothing on stderr, which is no terminal here — except, on a
// non-zero exit, the one "cachedeck: …" line naming why.
func checkJSONRun(t *testing.T, c jsonCase) string {
	t.Helper()
	code, out, stderr := run(t, c.args...)
	assert.Equal(t, c.code, code, "%s: exit code; stderr %q", c.name, stderr)
	if c.code == 0 {
		assert.Empty(t, stderr, "%s: stderr is no terminal: nothing goes there", c.name)
	} else {
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		assert.Len(t, lines, 1, "%s: one error line: %q", c.name, stderr)
		assert.True(t, strings.HasPrefix(stderr, "cachedeck: "), "%s: %q", c.name, stderr)
	}
	if c.lines {
		sc := bufio.NewScanner(strings.NewReader(out))
		n := 0
		for sc.Scan() {
			n++
			assert.True(t, json.Valid(sc.Bytes()), "%s: line %d is not JSON: %q", c.name, n, sc.Text())
		}
		assert.Positive(t, n, "%s: no JSON line", c.name)
		return out
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var doc json.RawMessage
	if !assert.NoError(t, dec.Decode(&doc), "%s: stdout is not JSON: %q", c.name, out) {
		return out
	}
	assert.False(t, dec.More(), "%s: stdout holds more than one JSON document: %q", c.name, out)
	assert.Equal(t, strings.TrimSpace(out), strings.TrimSpace(string(doc)), "%s: stdout holds something besides the JSON", c.name)
	return out
}

func TestNewCommandsJSONContractRedis(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	for i := range 20 {
		require.NoError(t, rdb.Set(ctx, "lead:"+itoa(i), `{"id":1}`, time.Hour).Err())
	}
	require.NoError(t, rdb.Set(ctx, "user:1", `{"id":1}`, 0).Err()) // a policy finding
	dir := t.TempDir()
	url := []string{"--url", srv.URL()}
	with := func(args ...string) []string { return append(args, url...) }

	out := checkJSONRun(t, jsonCase{name: "backup --logical", args: with("backup", "--logical", "--pattern", "lead:*", "--dir", dir, "--json")})
	var b backupOut
	require.NoError(t, json.Unmarshal([]byte(out), &b))
	require.NotEmpty(t, b.Path)
	for _, k := range []string{"lead:1", "lead:2"} {
		require.NoError(t, rdb.Del(ctx, k).Err())
	}
	cases := []jsonCase{
		{name: "backup --logical positional", args: with("backup", "--logical", "lead:1*", "--dir", t.TempDir(), "--json")},
		{name: "backups", args: with("backups", "--dir", dir, "--json")},
		{name: "backups prune", args: with("backups", "prune", "--dry-run", "--dir", dir, "--json")},
		{name: "warm --from-backup --dry-run", args: with("warm", "--from-backup", b.Path, "--pattern", "lead:*", "--dry-run", "--json")},
		{name: "warm --from-backup", args: with("warm", "--from-backup", b.Path, "--pattern", "lead:*", "--yes", "--json")},
		{name: "ttl-spread --dry-run", args: with("ttl-spread", "--pattern", "lead:*", "--ttl", "1h", "--jitter", "5m", "--dry-run", "--json")},
		{name: "ttl-spread", args: with("ttl-spread", "--pattern", "lead:*", "--ttl", "1h", "--jitter", "5m", "--yes", "--json")},
		{name: "policy check findings", args: with("policy", "check", "--json"), code: 1},
		{name: "policy fix --dry-run", args: with("policy", "fix", "--ttl", "--dry-run", "--json")},
		{name: "policy fix", args: with("policy", "fix", "--ttl", "--yes", "--json")},
		{name: "policy check clean", args: with("policy", "check", "--json")},
		{name: "doctor findings", args: with("doctor", "--json"), code: 1},
	}
	for _, c := range cases {
		checkJSONRun(t, c)
	}
	assert.EqualValues(t, 2, rdb.Exists(ctx, "lead:1", "lead:2").Val(), "warm --from-backup restored the deleted keys")
}

func TestNewCommandsJSONContractWarmer(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	app := warmtest.Start(t, rdb, cronSecret)
	warmProfile(t, srv.URL(), app, "")
	checkJSONRun(t, jsonCase{name: "warm", args: []string{"warm", "--json"}})
	checkJSONRun(t, jsonCase{name: "warm --until-stable", args: []string{"warm", "--until-stable", "--json"}})
}

func TestNewCommandsJSONContractDigitalOcean(t *testing.T) {
	api, _ := doEnv(t)
	liveCache(t, api)
	cases := []jsonCase{
		{name: "do clusters", args: []string{"do", "clusters", "--json"}},
		{name: "do show", args: []string{"do", "show", "coldcopy-cache", "--json"}},
		{name: "do resize --dry-run", args: []string{"do", "resize", "coldcopy-cache", "--size", "db-s-2vcpu-4gb", "--dry-run", "--json"}},
	}
	for _, c := range cases {
		checkJSONRun(t, c)
	}
	// Without --json the preview goes to stdout and the progress to stderr.
	code, out, stderr := run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-2vcpu-4gb", "--yes", "--poll-interval", "1ms")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "fit:      fits")
	assert.Contains(t, stderr, "status resizing, db-s-1vcpu-1gb x1")
	assert.Contains(t, stderr, "PING ")
	assert.Contains(t, stderr, "status online, db-s-2vcpu-4gb x1")
	checkJSONRun(t, jsonCase{name: "do resize", args: []string{"do", "resize", "coldcopy-cache", "--size", "db-s-2vcpu-4gb", "--nodes", "2", "--yes", "--json", "--poll-interval", "1ms"}})
}

// TestNewCommandsTakePatternsAsArguments: the argument forms select the
// same keys as the --pattern forms, which keep working.
func TestNewCommandsTakePatternsAsArguments(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	for i := range 20 {
		require.NoError(t, rdb.Set(ctx, "lead:"+itoa(i), "v", time.Hour).Err())
	}
	require.NoError(t, rdb.Set(ctx, "user:1", "v", time.Hour).Err())
	url := []string{"--url", srv.URL()}
	count := func(field string, args ...string) float64 {
		t.Helper()
		code, out, stderr := run(t, append(args, url...)...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &m), out)
		n, _ := m[field].(float64)
		return n
	}
	// lead:1 and lead:10 … lead:19
	dir := t.TempDir()
	assert.EqualValues(t, 11, count("keys", "backup", "--logical", "lead:1*", "--dir", dir, "--no-prune", "--json"))
	assert.EqualValues(t, 11, count("keys", "backup", "--logical", "--pattern", "lead:1*", "--dir", t.TempDir(), "--json"))
	assert.EqualValues(t, 12, count("keys", "backup", "--logical", "lead:1*", "user:*", "--dir", t.TempDir(), "--json"))

	assert.EqualValues(t, 11, count("matched", "ttl-spread", "lead:1*", "--ttl", "1h", "--jitter", "5m", "--dry-run", "--json"))
	assert.EqualValues(t, 11, count("matched", "ttl-spread", "--pattern", "lead:1*", "--ttl", "1h", "--jitter", "5m", "--dry-run", "--json"))

	code, out, stderr := run(t, append([]string{"backups", "--dir", dir, "--json"}, url...)...)
	require.Equal(t, 0, code, stderr)
	var list []struct {
		Path string `json:"path"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list), out)
	require.Len(t, list, 1)
	require.NoError(t, rdb.Del(ctx, "lead:1", "lead:10", "lead:2").Err())
	assert.EqualValues(t, 2, count("to_restore", "warm", "--from-backup", list[0].Path, "lead:1*", "--dry-run", "--json"))
	assert.EqualValues(t, 2, count("to_restore", "warm", "--from-backup", list[0].Path, "--pattern", "lead:1*", "--dry-run", "--json"))
	assert.EqualValues(t, 1, count("to_restore", "warm", "--from-backup", list[0].Path, "lead:10", "--dry-run", "--json"))

	// A bare word is a warmer's name, and the profile has none.
	code, _, stderr = run(t, append([]string{"warm", "--from-backup", list[0].Path, "app", "--dry-run"}, url...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "warmer")
	code, _, stderr = run(t, append([]string{"backup", "--bgsave", "lead:*"}, url...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "patterns go with --logical")
}
