package cli_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestNewCommandsUsageErrorsPointAtTheirHelp: an unknown flag or a bad
// value is one line naming the cause and that command's --help, exit 2,
// before any connection is made (the URL points nowhere).
func TestNewCommandsUsageErrorsPointAtTheirHelp(t *testing.T) {
	opsEnv(t)
	nowhere := []string{"--url", "redis://127.0.0.1:1"}
	cases := []struct {
		help string
		args []string
	}{
		{"cachedeck backup", []string{"backup", "--nope"}},
		{"cachedeck backup", []string{"backup", "--keep", "many"}},
		{"cachedeck backup", []string{"backup", "--keep", "-1"}},
		{"cachedeck backup", []string{"backup", "--bgsave", "--logical"}},
		{"cachedeck backups", []string{"backups", "--nope"}},
		{"cachedeck backups prune", []string{"backups", "prune", "--nope"}},
		{"cachedeck backups prune", []string{"backups", "prune", "--keep-days", "-3"}},
		{"cachedeck warm", []string{"warm", "--nope"}},
		{"cachedeck warm", []string{"warm", "--max-rounds", "0"}},
		{"cachedeck warm", []string{"warm", "--from-backup", "x.ndjson", "--until-stable"}},
		{"cachedeck warm", []string{"warm", "--pattern", "lead:*"}},
		{"cachedeck warm", []string{"warm", "--from-backup", "x.ndjson", "app", "lead:*", "--yes"}},
		{"cachedeck warm", []string{"warm", "--from-backup", "x.ndjson", "app", "other", "--yes"}},
		{"cachedeck ttl-spread", []string{"ttl-spread", "--nope"}},
		{"cachedeck ttl-spread", []string{"ttl-spread", "lead:*", "--ttl", "soon"}},
		{"cachedeck ttl-spread", []string{"ttl-spread", "lead:*", "--jitter", "5m"}},
		{"cachedeck ttl-spread", []string{"ttl-spread", "--ttl", "1h"}},
		{"cachedeck policy check", []string{"policy", "check", "--nope"}},
		{"cachedeck policy check", []string{"policy", "check", "--sample", "2"}},
		{"cachedeck policy check", []string{"policy", "check", "--exact", "--sample", "0.5"}},
		{"cachedeck policy fix", []string{"policy", "fix", "--nope"}},
		{"cachedeck policy fix", []string{"policy", "fix"}},
		{"cachedeck policy init", []string{"policy", "init", "--nope"}},
		{"cachedeck doctor", []string{"doctor", "--nope"}},
		{"cachedeck do clusters", []string{"do", "clusters", "--nope"}},
		{"cachedeck do show", []string{"do", "show"}},
		{"cachedeck do resize", []string{"do", "resize", "c", "--nodes", "two"}},
		{"cachedeck do resize", []string{"do", "resize", "c", "--nope"}},
		{"cachedeck do eviction", []string{"do", "eviction", "c", "--nope"}},
	}
	for _, c := range cases {
		code, out, stderr := run(t, append(c.args, nowhere...)...)
		what := strings.Join(c.args, " ")
		assert.Equal(t, 2, code, "%s: %s", what, stderr)
		assert.Empty(t, out, what)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "%s: one line: %q", what, stderr)
		assert.Contains(t, stderr, "see '"+c.help+" --help'", what)
	}
}

// TestNoVerdictIsNotAUsageMistake: doctor and policy check exit 2 when
// they cannot judge (no server here), without sending the operator to --help.
func TestNoVerdictIsNotAUsageMistake(t *testing.T) {
	opsEnv(t)
	for _, args := range [][]string{{"doctor"}, {"policy", "check"}} {
		code, _, stderr := run(t, append(args, "--url", "redis://127.0.0.1:1")...)
		assert.Equal(t, 2, code, stderr)
		assert.NotContains(t, stderr, "--help", "%v: a refused connection is no usage mistake", args)
	}
}
