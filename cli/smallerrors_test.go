package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

// Small mistakes get one line naming the cause and the remedy.
func TestSmallErrorsAreOneClearLine(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  []string
	}{
		{"unknown scan type", []string{"scan", "--type", "wrongtype", "--url", srv.URL()}, 2,
			[]string{`--type "wrongtype" is not a Redis type`, "string, hash, list, set, zset, stream"}},
		{"database out of range", []string{"scan", "--db", "99", "--url", srv.URL()}, 1,
			[]string{"database 99 does not exist on this server: it has 16 databases", "use --db 0 to 15"}},
		{"unknown flag", []string{"scan", "--bogus"}, 2,
			[]string{"unknown flag: --bogus", "see 'cachedeck scan --help'"}},
		{"unknown root flag", []string{"--bogus"}, 2,
			[]string{"unknown flag: --bogus", "see 'cachedeck --help'"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Empty(t, stdout)
			for _, m := range tc.msg {
				assert.Contains(t, stderr, m)
			}
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		})
	}

	t.Run("a type in capitals is the type", func(t *testing.T) {
		require.NoError(t, client(t, srv.URL()).HSet(t.Context(), "h:1", "f", "v").Err())
		code, stdout, stderr := run(t, "scan", "--type", "HASH", "--url", srv.URL())
		assert.Equal(t, 0, code, stderr)
		assert.Equal(t, "h:1\n", stdout)
	})
}

// Every null number of `stats --json` says why under "unavailable": on an
// idle server the hit rate has no reads to divide.
func TestStatsJSONExplainsEveryNull(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	code, stdout, stderr := run(t, "stats", "--json", "--once", "--interval", "50ms", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	var sample map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sample))
	unavailable, _ := sample["unavailable"].(map[string]any)
	nulls := 0
	for field, v := range sample {
		if v == nil {
			nulls++
			assert.NotEmpty(t, unavailable[field], "null %s has a reason in unavailable: %s", field, stdout)
		}
	}
	assert.Nil(t, sample["hit_rate"], "no reads on a fresh server")
	assert.Contains(t, unavailable["hit_rate"], "no key reads")
	assert.Positive(t, nulls)
}

// Where CONFIG is renamed away (as on a hardened droplet) the database
// count is unknown: the line says so instead of guessing.
func TestDBOutOfRangeWithoutConfig(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Restricted(t)
	code, _, stderr := run(t, "scan", "--db", "99", "--url", "redis://"+srv.Addr, "--password-file", pwFile(t, srv.DefaultPassword))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "database 99 does not exist on this server")
	assert.Contains(t, stderr, "CONFIG refused")
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	assert.NotContains(t, stderr, srv.DefaultPassword)
}
