package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/internal/dotest"
	"github.com/coldcopy/cachedeck/internal/redisproc"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

// doEnv is opsEnv (no terminal, temp state dir) plus the fake API and its
// token in the environment. It returns the fake and the audit log's path.
func doEnv(t *testing.T) (*dotest.Server, string) {
	t.Helper()
	auditPath := opsEnv(t)
	for _, v := range []string{"DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_CONTEXT", "CACHEDECK_DO_PRICES"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	api := dotest.New(t)
	t.Setenv("DIGITALOCEAN_TOKEN", dotest.Token)
	t.Setenv("CACHEDECK_DO_API", api.BaseURL())
	return api, auditPath
}

func auditLines(t *testing.T, path string) []audit.Entry {
	t.Helper()
	entries, err := audit.ReadTail(path, 100)
	require.NoError(t, err)
	return entries
}

func TestDoClustersShowCA(t *testing.T) {
	doEnv(t)
	code, out, stderr := run(t, "do", "clusters")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "coldcopy-cache")
	assert.Contains(t, out, "coldcopy-staging")
	assert.NotContains(t, out, "coldcopy-pg", "postgres is not a cache")
	assert.Contains(t, out, "db-s-1vcpu-1gb")

	code, out, stderr = run(t, "do", "clusters", "--json")
	require.Equal(t, 0, code, stderr)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &list), out)
	require.Len(t, list, 2)
	assert.Equal(t, "coldcopy-cache", list[0]["name"])
	assert.Equal(t, "valkey", list[0]["engine"])
	assert.Equal(t, 1.0, list[0]["nodes"])

	code, out, stderr = run(t, "do", "show", "coldcopy-cache")
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{"eviction:    allkeys_lru", "tag coldcopy-app", "ip_addr 203.0.113.7", "maintenance: tuesday 03:00:00 UTC",
		"rediss://default@coldcopy-cache-do-user-1234-0.f.db.ondigitalocean.com:25061", "connect:     cachedeck --do-cluster coldcopy-cache",
		"1.0 GiB per node, 512.0 MiB for data"} {
		assert.Contains(t, out, want)
	}
	assert.Contains(t, stderr, "of 5000 requests left this hour")

	code, out, stderr = run(t, "do", "show", "coldcopy-staging", "--json")
	require.Equal(t, 0, code, stderr)
	var d map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &d), out)
	assert.Equal(t, "allkeys_lru", d["eviction_policy"])
	assert.Equal(t, true, d["maintenance_window"].(map[string]any)["pending"])

	code, out, stderr = run(t, "do", "ca", "coldcopy-cache")
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(out, "-----BEGIN CERTIFICATE-----"), out)

	code, _, stderr = run(t, "do", "show", "nope")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no Redis/Valkey cluster named "nope"`)
	code, _, stderr = run(t, "do", "show")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "takes the cluster's name")
}

func TestDoWithoutATokenSaysWhereToPutOne(t *testing.T) {
	doEnv(t)
	os.Unsetenv("DIGITALOCEAN_TOKEN")
	code, _, stderr := run(t, "do", "clusters")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no DigitalOcean token: set DIGITALOCEAN_TOKEN, log in with 'doctl auth init', or give the profile do_token_env/do_token_file")

	// A profile's do_token_file.
	tokFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokFile, []byte(dotest.Token+"\n"), 0o600))
	cfg := filepath.Join(t.TempDir(), "config.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf("[profiles.do]\ndo_token_file = %q\n", tokFile)), 0o600))
	code, out, stderr := run(t, "do", "clusters", "--config", cfg, "--profile", "do")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "coldcopy-cache")

	t.Setenv("DIGITALOCEAN_TOKEN", dotest.Token)
	code, _, stderr = run(t, "do", "clusters", "--do-api", "http://192.0.2.1:8080/")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "plain http is allowed only to loopback")
}

func TestDoEvictionShowAndChange(t *testing.T) {
	api, auditPath := doEnv(t)
	code, out, stderr := run(t, "do", "eviction", "coldcopy-cache")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "allkeys_lru\n", out)

	code, _, stderr = run(t, "do", "eviction", "coldcopy-cache", "lfu")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "is not one of noeviction, allkeys_lru")

	code, _, stderr = run(t, "do", "eviction", "coldcopy-cache", "volatile-ttl")
	assert.Equal(t, 2, code, "no terminal and no --yes")
	assert.Contains(t, stderr, "add --yes")
	code, _, stderr = run(t, "do", "eviction", "coldcopy-cache", "volatile-ttl", "--yes", "--read-only")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "read-only mode")
	assert.Equal(t, "allkeys_lru", api.Eviction(dotest.CacheID))
	assert.Zero(t, api.Count("PUT", "/v2/databases/"+dotest.CacheID+"/eviction_policy"))

	code, out, stderr = run(t, "do", "eviction", "coldcopy-cache", "volatile-ttl", "--yes")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "eviction policy of coldcopy-cache is now volatile_ttl")
	assert.Equal(t, "volatile_ttl", api.Eviction(dotest.CacheID))
	lines := auditLines(t, auditPath)
	require.Len(t, lines, 2)
	assert.Equal(t, audit.Attempted, lines[0].Outcome)
	assert.Equal(t, audit.Done, lines[1].Outcome)
	assert.Equal(t, "do eviction", lines[1].Action)
	assert.Equal(t, "do:coldcopy-cache", lines[1].Server)
	assert.Equal(t, "allkeys_lru → volatile_ttl", lines[1].Target)

	// An API failure is a failed line with the one-line reason.
	api.FailNext("/v2/databases/"+dotest.CacheID+"/eviction_policy", 1, dotest.Failure{Status: 403})
	code, _, stderr = run(t, "do", "eviction", "coldcopy-cache", "noeviction", "--yes")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "403 forbidden")
	code, _, stderr = run(t, "do", "eviction", "coldcopy-cache", "noeviction", "--yes")
	require.Equal(t, 0, code, stderr)
	lines = auditLines(t, auditPath)
	assert.Len(t, lines, 4, "the 403 came before the attempt: no line for it")
}

// liveCache points the fake's coldcopy-cache at a real redis-server filled
// with 24 MiB, and writes a price table whose sizes are scaled around it.
func liveCache(t *testing.T, api *dotest.Server) string {
	t.Helper()
	srv := redistest.Standalone(t, "maxmemory-policy allkeys-lru")
	rdb := client(t, srv.URL())
	val := strings.Repeat("v", 1<<20-64)
	for i := range 24 {
		require.NoError(t, rdb.Set(context.Background(), fmt.Sprintf("lead:%d", i), val, 0).Err())
	}
	api.SetConnection(dotest.CacheID, "127.0.0.1", srv.Port, false, "default", "")
	api.SetConnection(dotest.StagingID, "127.0.0.1", srv.Port, false, "default", "")
	prices := filepath.Join(t.TempDir(), "prices.json")
	// about 25.5 MiB used: 1gb holds 30 (15 % free: refused), 2gb 34
	// (25 % free: tight), 4gb 100 (fits).
	require.NoError(t, os.WriteFile(prices, []byte(`{"date":"2026-12-03","verified":false,"source":"test","sizes":[
		{"slug":"db-s-1vcpu-1gb","ram_mib":64,"usable_mib":30,"monthly_usd":15},
		{"slug":"db-s-1vcpu-2gb","ram_mib":96,"usable_mib":34,"monthly_usd":30},
		{"slug":"db-s-2vcpu-4gb","ram_mib":128,"usable_mib":100,"monthly_usd":60}]}`), 0o600))
	t.Setenv("CACHEDECK_DO_PRICES", prices)
	return prices
}

func TestDoResizeEndToEnd(t *testing.T) {
	api, auditPath := doEnv(t)
	liveCache(t, api)
	resizePath := "/v2/databases/" + dotest.CacheID + "/resize"

	code, _, stderr := run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-2vcpu-4gb")
	assert.Equal(t, 2, code, "no terminal and no --yes")
	assert.Contains(t, stderr, "add --yes")
	code, _, stderr = run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-2vcpu-4gb", "--yes", "--read-only")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "read-only mode: resize is a mutation")
	code, _, stderr = run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-9vcpu-99gb", "--yes")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "db-s-9vcpu-99gb with 1 nodes is not offered for valkey (offered: db-s-1vcpu-1gb, db-s-1vcpu-2gb")
	code, _, stderr = run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-1vcpu-1gb", "--yes")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "already db-s-1vcpu-1gb with 1 nodes")

	// Dry run: the fit check on the live server, the exact call, the cost.
	code, out, stderr := run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-1vcpu-2gb", "--dry-run")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "fit:      tight")
	assert.Contains(t, out, `request:  PUT /v2/databases/`+dotest.CacheID+`/resize {"size":"db-s-1vcpu-2gb","num_nodes":1}`)
	assert.Contains(t, out, "+$15.00/month (db-s-1vcpu-1gb x1 $15.00 → db-s-1vcpu-2gb x1 $30.00; prices of 2026-12-03, unverified)")
	assert.Contains(t, out, "dry run: nothing was sent")
	assert.Zero(t, api.Count("PUT", resizePath))

	// Refused: the staging cluster down to a size that would lack headroom.
	code, out, stderr = run(t, "do", "resize", "coldcopy-staging", "--size", "db-s-1vcpu-1gb", "--yes")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "fit:      refused")
	assert.Contains(t, stderr, "resize refused:")
	assert.Contains(t, stderr, "under the 20 % headroom required; nothing was sent")
	assert.Zero(t, api.Count("PUT", "/v2/databases/"+dotest.StagingID+"/resize"))
	assert.Empty(t, auditLines(t, auditPath), "nothing attempted, nothing audited")

	// The real thing: 202, online (not started), resizing x2, online.
	code, out, stderr = run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-2vcpu-4gb", "--nodes", "2", "--yes", "--json", "--poll-interval", "1ms")
	require.Equal(t, 0, code, stderr)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.Equal(t, true, res["accepted"])
	assert.Equal(t, "online", res["status"])
	assert.Equal(t, "fits", res["fit"].(map[string]any)["verdict"])
	assert.Equal(t, map[string]any{"size": "db-s-2vcpu-4gb", "nodes": 2.0}, res["to"])
	assert.Empty(t, stderr, "--json and no terminal: the progress is not printed (issue 13; TestNewCommandsJSONContractDigitalOcean checks it without --json)")
	size, nodes, status := api.Cluster(dotest.CacheID)
	assert.Equal(t, []any{"db-s-2vcpu-4gb", 2, "online"}, []any{size, nodes, status})
	reqs := api.Requests()
	var body string
	for _, r := range reqs {
		if r.Method == "PUT" && r.Path == resizePath {
			body = r.Body
		}
	}
	assert.JSONEq(t, `{"size":"db-s-2vcpu-4gb","num_nodes":2}`, body)
	lines := auditLines(t, auditPath)
	require.Len(t, lines, 3)
	for i, want := range []string{audit.Attempted, audit.Accepted, audit.Done} {
		assert.Equal(t, want, lines[i].Outcome)
		assert.Equal(t, "do resize", lines[i].Action)
		assert.Equal(t, "do:coldcopy-cache", lines[i].Server)
		assert.Equal(t, "db-s-1vcpu-1gb x1 → db-s-2vcpu-4gb x2", lines[i].Target)
	}
}

func TestDoResizeRefusedByTheAPIIsAuditedAsFailed(t *testing.T) {
	api, auditPath := doEnv(t)
	liveCache(t, api)
	api.FailNext("/v2/databases/"+dotest.CacheID+"/resize", 1, dotest.Failure{Status: 422})
	code, _, stderr := run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-2vcpu-4gb", "--yes")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "422 refused by the API: invalid size")
	lines := auditLines(t, auditPath)
	require.Len(t, lines, 2)
	assert.Equal(t, audit.Attempted, lines[0].Outcome)
	assert.Equal(t, audit.Failed, lines[1].Outcome)
	assert.Contains(t, lines[1].Error, "422 refused by the API")
}

func TestDoResizeWithoutLiveMemoryIsRefusedUnlessAnUpsizeSkipsTheCheck(t *testing.T) {
	api, _ := doEnv(t)
	api.SetConnection(dotest.CacheID, "127.0.0.1", redistest.FreePort(t), false, "default", "")
	code, _, stderr := run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-2vcpu-4gb", "--yes", "--dial-timeout", "1s")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "fit check: cannot read the live memory of coldcopy-cache")
	assert.Contains(t, stderr, "nothing was sent")

	code, _, stderr = run(t, "do", "resize", "coldcopy-staging", "--size", "db-s-1vcpu-1gb", "--nodes", "2", "--no-fit-check", "--yes")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--no-fit-check is only for a resize to a larger size")

	code, out, stderr := run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-2vcpu-4gb", "--no-fit-check", "--yes", "--no-wait")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "the API accepted the resize")
	assert.Equal(t, 1, api.Count("PUT", "/v2/databases/"+dotest.CacheID+"/resize"))
}

// --do-cluster: the CA comes from the API into the state dir, the console
// or a command connects with rediss:// and the API's password, which
// appears nowhere.
func TestDoClusterConnectsOverTLSWithTheFetchedCA(t *testing.T) {
	api, _ := doEnv(t)
	bundle, err := redisproc.GenerateTLS(t.TempDir())
	require.NoError(t, err)
	const password = "API-GIVEN-PASSWORD-5f2e"
	srv, err := redisproc.Start(t.Context(), redisproc.Config{TLS: bundle.Files(redisproc.ClientAuthOptional), Password: password})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	ca, err := os.ReadFile(bundle.CAFile)
	require.NoError(t, err)
	api.SetCA(ca)
	api.SetConnection(dotest.CacheID, "127.0.0.1", srv.Port, true, "default", password)

	code, out, stderr := run(t, "stats", "--once", "--json", "--do-cluster", "coldcopy-cache")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "used_memory")
	saved, err := os.ReadFile(filepath.Join(os.Getenv("XDG_STATE_HOME"), "cachedeck", "do", dotest.CacheID+"-ca.pem"))
	require.NoError(t, err)
	assert.Equal(t, ca, saved)
	assert.NotContains(t, out+stderr, password)

	code, _, stderr = run(t, "stats", "--once", "--do-cluster", "coldcopy-cache", "--url", "redis://127.0.0.1:1")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--do-cluster takes the address, user and password from the API")
}

// Every way out (tables, JSON, errors, notes, the audit log) is searched
// for the token and the clusters' passwords.
func TestTheTokenAndPasswordsNeverLeak(t *testing.T) {
	api, auditPath := doEnv(t)
	liveCache(t, api)
	secrets := []string{dotest.Token, "RECORDED-PASSWORD"}
	var all strings.Builder
	collect := func(args ...string) {
		_, out, stderr := run(t, args...)
		all.WriteString(out + stderr)
	}
	collect("do", "clusters")
	collect("do", "clusters", "--json")
	collect("do", "show", "coldcopy-cache")
	collect("do", "show", "coldcopy-staging", "--json")
	collect("do", "show", "nope")
	api.FailNext("/v2/databases", 1, dotest.Failure{Status: 429, Headers: map[string]string{"Retry-After": "1"}})
	collect("do", "clusters")
	api.FailNext("/v2/databases", 1, dotest.Failure{Status: 403})
	collect("do", "clusters")
	collect("do", "eviction", "coldcopy-cache", "noeviction", "--yes")
	// A resize is not resent after a 500: one line, audited as failed.
	api.FailNext("/v2/databases/"+dotest.CacheID+"/resize", 1, dotest.Failure{Status: 500})
	collect("do", "resize", "coldcopy-cache", "--size", "db-s-2vcpu-4gb", "--yes", "--json")
	collect("do", "resize", "coldcopy-cache", "--size", "db-s-2vcpu-4gb", "--yes", "--json", "--poll-interval", "1ms")
	collect("do", "resize", "coldcopy-staging", "--size", "db-s-1vcpu-1gb", "--yes")
	t.Setenv("DIGITALOCEAN_TOKEN", dotest.Token+"-revoked")
	collect("do", "clusters")
	secrets = append(secrets, dotest.Token+"-revoked")

	logData, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	assert.NotEmpty(t, logData)
	text := all.String()
	assert.Contains(t, text, "401 unauthorized", "the revoked token was used")
	assert.Contains(t, text, "500 server error")
	assert.Contains(t, text, "rate limited by the API, waiting 1s")
	assert.Contains(t, text, "403 forbidden")
	for _, s := range secrets {
		assert.NotContains(t, text, s)
		assert.NotContains(t, string(logData), s)
	}
}

// A default profile names some other server: the fit is still judged on
// the cluster's own connection, never on the profile's data.
func TestDoResizeFitIgnoresTheDefaultProfile(t *testing.T) {
	api, _ := doEnv(t)
	liveCache(t, api)
	cfgDir := os.Getenv("XDG_CONFIG_HOME")
	require.NoError(t, os.MkdirAll(filepath.Join(cfgDir, "cachedeck"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(cfgDir, "cachedeck", "config.toml"),
		[]byte(fmt.Sprintf("default_profile = \"local\"\n[profiles.local]\nurl = \"redis://127.0.0.1:%d\"\n", redistest.FreePort(t))), 0o600))
	code, out, stderr := run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-1vcpu-2gb", "--dry-run")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "fit:      tight")

	// An explicit --profile is the operator's choice: it is used.
	code, _, stderr = run(t, "do", "resize", "coldcopy-cache", "--size", "db-s-1vcpu-2gb", "--dry-run", "--profile", "local", "--dial-timeout", "1s")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "fit check: cannot read the live memory")
}
