package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/cli"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

// memoryOut mirrors the documented JSON of `cachedeck memory --json`.
type memoryOut struct {
	Exact          bool    `json:"exact"`
	Sample         float64 `json:"sample"`
	Estimated      bool    `json:"estimated"`
	NoTTLEstimated bool    `json:"no_ttl_estimated"`
	ScannedKeys    int64   `json:"scanned_keys"`
	MeasuredKeys   int64   `json:"measured_keys"`
	TotalKeys      int64   `json:"total_keys"`
	TotalBytes     int64   `json:"total_bytes"`
	Namespaces     []struct {
		Prefix    string           `json:"prefix"`
		PrefixB64 string           `json:"prefix_b64"`
		Keys      int64            `json:"keys"`
		Bytes     int64            `json:"bytes"`
		NoTTL     int64            `json:"no_ttl"`
		AvgBytes  int64            `json:"avg_bytes"`
		Share     float64          `json:"share"`
		Types     map[string]int64 `json:"types"`
	} `json:"namespaces"`
	TopKeys []struct {
		Key    string `json:"key"`
		KeyB64 string `json:"key_b64"`
		Type   string `json:"type"`
		Bytes  int64  `json:"bytes"`
		Length int64  `json:"length"`
	} `json:"top_keys"`
	TopByLength []json.RawMessage `json:"top_by_length"`
	Cancelled   bool              `json:"cancelled"`
	Governor    *struct {
		BudgetMs float64 `json:"budget_ms"`
	} `json:"governor"`
}

func TestMemoryJSONContract(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	keys := map[string]string{
		"lead:1":             strings.Repeat("x", 5000),
		"lead:2":             "small",
		"user:1":             `{"id":1}`,
		"new\nline:1":        "v",
		"":                   "empty key",
		"\xff\xfe:binary":    "v",
		"method:A:b:[\"x\"]": "v",
	}
	var want int64
	for k, v := range keys {
		require.NoError(t, rdb.Set(ctx, k, v, 0).Err())
	}
	require.NoError(t, rdb.Expire(ctx, "lead:2", time.Hour).Err())
	require.NoError(t, rdb.HSet(ctx, "workspace:1:members", "a", "1", "b", "2", "c", "3").Err())
	for k := range keys {
		want += rdb.MemoryUsage(ctx, k).Val()
	}
	want += rdb.MemoryUsage(ctx, "workspace:1:members").Val()

	code, out, stderr := run(t, "memory", "--json", "--exact", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr, "no progress line when stderr is not a terminal")

	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &raw))
	for _, field := range []string{"exact", "sample", "estimated", "scanned_keys", "measured_keys", "total_keys", "total_bytes", "namespaces", "top_keys", "top_by_length", "duration_ms", "cancelled", "governor"} {
		assert.Contains(t, raw, field)
	}
	var got memoryOut
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.True(t, got.Exact)
	assert.False(t, got.Estimated)
	assert.False(t, got.Cancelled)
	assert.Equal(t, int64(8), got.ScannedKeys)
	assert.Equal(t, int64(8), got.TotalKeys)
	assert.Equal(t, want, got.TotalBytes)
	require.NotNil(t, got.Governor, "paced by default")
	assert.Equal(t, 5.0, got.Governor.BudgetMs)

	ns := map[string]int64{}
	for _, n := range got.Namespaces {
		p, err := base64.StdEncoding.DecodeString(n.PrefixB64)
		require.NoError(t, err)
		ns[string(p)] = n.Keys
		switch string(p) {
		case "lead:":
			assert.Equal(t, "lead:", n.Prefix)
			assert.Equal(t, int64(1), n.NoTTL)
			assert.Equal(t, map[string]int64{"string": 2}, n.Types)
		case "new\nline:":
			assert.Equal(t, `"new\nline:"`, n.Prefix, "display form is quoted")
		case "workspace:":
			assert.Equal(t, map[string]int64{"hash": 1}, n.Types)
		}
	}
	assert.Equal(t, map[string]int64{"lead:": 2, "user:": 1, "new\nline:": 1, "": 1, "\xff\xfe:": 1, "method:": 1, "workspace:": 1}, ns)
	assert.Equal(t, "lead:", got.Namespaces[0].Prefix, "largest first")

	require.NotEmpty(t, got.TopKeys)
	top := got.TopKeys[0]
	assert.Equal(t, "lead:1", top.Key)
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte("lead:1")), top.KeyB64)
	assert.Equal(t, "string", top.Type)
	assert.Equal(t, int64(5000), top.Length)
	assert.Len(t, got.TopByLength, 1, "collections only")

	// Sampled by default; --budget 0 turns pacing off.
	code, out, stderr = run(t, "memory", "--json", "--budget", "0", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	got = memoryOut{}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.False(t, got.Exact)
	assert.True(t, got.Estimated)
	assert.Equal(t, 0.01, got.Sample)
	assert.Equal(t, int64(8), got.ScannedKeys, "every key is counted")
	assert.Nil(t, got.Governor)
}

func TestMemoryText(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	require.NoError(t, rdb.Set(ctx, "lead:1", strings.Repeat("x", 3000), 0).Err())
	require.NoError(t, rdb.Set(ctx, "esc\x1b[2J:1", "v", 0).Err())
	require.NoError(t, rdb.RPush(ctx, "queue:1", "a", "b", "c").Err())

	code, out, stderr := run(t, "memory", "--exact", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "exact: every key measured")
	assert.Contains(t, out, "NAMESPACE")
	assert.Contains(t, out, "lead:")
	assert.Contains(t, out, "BIGGEST KEYS BY BYTES")
	assert.Contains(t, out, "BIGGEST COLLECTIONS BY LENGTH")
	assert.NotContains(t, out, "\x1b", "no terminal escape from a key reaches the output")

	code, out, stderr = run(t, "memory", "--url", srv.URL(), "--sample", "0.5")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "sampled:")
}

func TestMemoryExitCodes(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	restricted := redistest.Restricted(t)
	noMemory := "redis://" + restricted.NoInfoUser + ":" + restricted.NoInfoPassword + "@" + restricted.Addr
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"exact and sample", []string{"memory", "--exact", "--sample", "0.1", "--url", srv.URL()}, 2, "--exact and --sample are exclusive"},
		{"sample zero", []string{"memory", "--sample", "0", "--url", srv.URL()}, 2, "--sample must be a fraction"},
		{"sample over one", []string{"memory", "--sample", "1.5", "--url", srv.URL()}, 2, "--sample must be a fraction"},
		{"depth zero", []string{"memory", "--depth", "0", "--url", srv.URL()}, 2, "--depth"},
		{"estimate-ttl with exact", []string{"memory", "--exact", "--estimate-ttl", "--url", srv.URL()}, 2, "--estimate-ttl"},
		{"argument", []string{"memory", "lead:", "--url", srv.URL()}, 2, "no arguments"},
		{"MEMORY USAGE refused", []string{"memory", "--url", noMemory}, 1, "MEMORY USAGE denied by ACL"},
		{"connection refused", []string{"memory", "--url", "redis://127.0.0.1:" + itoa(redistest.FreePort(t))}, 1, "connection refused"},
	}
	client(t, "redis://default:"+restricted.DefaultPassword+"@"+restricted.Addr).Set(context.Background(), "k", "v", 0)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Contains(t, stderr, tc.msg)
			var errLines []string
			for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
				if !strings.HasPrefix(l, "cachedeck: note: ") { // connection notes (INFO refused)
					errLines = append(errLines, l)
				}
			}
			assert.Len(t, errLines, 1, "one line: %q", stderr)
			assert.Empty(t, out)
		})
	}
}

// Interrupted, the command still prints what it has, marked, and exits 1.
func TestMemoryInterruptedPrintsPartialReport(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	fillFast(t, rdb, 300_000)

	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	var out, errOut bytes.Buffer
	code := cli.MainContext(ctx, []string{"memory", "--json", "--exact", "--url", srv.URL()}, &out, &errOut)
	assert.Equal(t, 1, code, errOut.String())
	assert.Contains(t, errOut.String(), "interrupted: the report covers")
	var got memoryOut
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
	assert.True(t, got.Cancelled)
	assert.Positive(t, got.ScannedKeys)
	assert.Less(t, got.ScannedKeys, int64(300_000))
	assert.Equal(t, int64(300_000), got.TotalKeys)
}
