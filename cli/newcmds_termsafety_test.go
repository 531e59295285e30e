package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/internal/warmtest"
)

// safetyNetForms are how cli's last-resort stdout filter writes a control
// it catches. Text output escaped by the command itself (decode.DisplayKey,
// decode.SafeLine: \x1b, \u009b in quotes) never needs it.
var safetyNetForms = []string{`\u001b`, `\u009b`, `\u0007`, `\u0008`, `\u000d`}

// assertEscapedByCommand: nothing raw reaches the terminal, and the text
// command escaped the bytes itself rather than leaving it to the filter.
func assertEscapedByCommand(t *testing.T, what, out string) {
	t.Helper()
	assertTerminalSafe(t, what, out)
	for _, f := range safetyNetForms {
		assert.NotContains(t, out, f, "%s: printed raw, caught only by the stdout filter: %q", what, out)
	}
}

// TestNewCommandsTextOutputIsTerminalSafe seeds keys holding escape
// sequences and checks the text output of the commands added after the
// first hardening pass: policy check samples, backup --logical, the
// ttl-spread preview, the warm answer, the backups listing.
func TestNewCommandsTextOutputIsTerminalSafe(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	for i, p := range hostilePayloads {
		suffix := p + string(rune('a'+i))
		require.NoError(t, rdb.Set(ctx, "lead:"+suffix, "v", time.Hour).Err())
		require.NoError(t, rdb.Set(ctx, "user:"+suffix, `{"id":1}`, 0).Err()) // no TTL: a policy finding
		require.NoError(t, rdb.Set(ctx, "evil"+suffix+":1", "v", 0).Err())    // an unknown namespace
	}
	dir := t.TempDir()
	// A file whose name carries escape sequences, in the backup directory.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "evil\x1b]52;c;aGk=\x07\x1b[2J\u009b.ndjson"), []byte("not a backup\x1b[2J\n"), 0o600))
	app := warmtest.Start(t, rdb, cronSecret)
	app.SetMode(warmtest.Hostile)
	warmProfile(t, srv.URL(), app, "")

	runs := [][]string{
		{"policy", "check"},
		{"policy", "check", "--json"},
		{"policy", "fix", "--ttl", "--dry-run"},
		{"backup", "--logical", "lead:*", "--dir", dir},
		{"backup", "--logical", "lead:*", "--dir", dir, "--json"},
		{"backups", "--dir", dir},
		{"backups", "--dir", dir, "--json"},
		{"backups", "prune", "--dry-run", "--dir", dir},
		{"ttl-spread", "lead:*", "--ttl", "1h", "--jitter", "5m", "--dry-run"},
		{"ttl-spread", "lead:*", "--ttl", "1h", "--jitter", "5m", "--dry-run", "--json"},
		{"warm"},
		{"warm", "--json"},
		{"doctor"},
	}
	for _, args := range runs {
		code, out, stderr := run(t, args...)
		what := strings.Join(args, " ")
		assert.Contains(t, []int{0, 1}, code, "%s: %s", what, stderr)
		if strings.Contains(what, "--json") || what == "warm" {
			// JSON, and warm's line quoting the app's cacheStats JSON, hold
			// \u001b as JSON's own escape: only raw bytes would be wrong.
			assertTerminalSafe(t, what+" stdout", out)
		} else {
			assertEscapedByCommand(t, what+" stdout", out)
		}
		assertEscapedByCommand(t, what+" stderr", stderr)
		if what == "warm" {
			assert.Contains(t, out, `app timestamp: "\x1b]52;`, "the app's answer is shown escaped")
		}
		if what == "policy check" || what == "ttl-spread lead:* --ttl 1h --jitter 5m --dry-run" || what == "backups --dir "+dir {
			assert.Contains(t, out, `\x1b`, "%s: the hostile names are shown escaped, not dropped", what)
		}
	}
}
