package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/cli"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

func fillTemp(t *testing.T, rdb *redis.Client, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	pipe := rdb.Pipeline()
	for i := 0; i < n; i++ {
		pipe.Set(ctx, fmt.Sprintf("%s%d", prefix, i), "v", time.Hour)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
}

func decodeInvalidate(t *testing.T, out string) map[string]any {
	t.Helper()
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	for _, f := range []string{"patterns", "dry_run", "matched", "deleted", "duration_ms", "cancelled"} {
		assert.Contains(t, got, f)
	}
	assert.Len(t, got, 6, "exactly the documented fields")
	return got
}

func TestInvalidateJSONAndAudit(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	fillTemp(t, rdb, "temp:", 1500)
	fillTemp(t, rdb, "lead:", 10)
	require.NoError(t, rdb.Set(ctx, "temp:*", "literal", 0).Err())

	// Dry run: counts, deletes nothing, needs no --yes, writes no audit line.
	code, out, stderr := run(t, "invalidate", "--pattern", "temp:*", "--dry-run", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	got := decodeInvalidate(t, out)
	assert.Equal(t, true, got["dry_run"])
	assert.Equal(t, 1501.0, got["matched"])
	assert.Equal(t, 0.0, got["deleted"])
	assert.Empty(t, stderr, "with --json and no terminal, stdout holds the JSON and stderr nothing")
	assert.EqualValues(t, 1511, rdb.DBSize(ctx).Val())
	_, err := os.Stat(auditPath)
	assert.ErrorIs(t, err, os.ErrNotExist)

	// The literal key alone.
	code, out, stderr = run(t, "invalidate", "--pattern", `temp:\*`, "--yes", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	got = decodeInvalidate(t, out)
	assert.Equal(t, 1.0, got["deleted"])
	assert.EqualValues(t, 0, rdb.Exists(ctx, "temp:*").Val())

	code, out, stderr = run(t, "invalidate", "--pattern", "temp:*", "--yes", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	got = decodeInvalidate(t, out)
	assert.Equal(t, []any{"temp:*"}, got["patterns"])
	assert.Equal(t, false, got["dry_run"])
	assert.Equal(t, 1500.0, got["matched"])
	assert.Equal(t, 1500.0, got["deleted"])
	assert.Equal(t, false, got["cancelled"])
	assert.EqualValues(t, 10, rdb.DBSize(ctx).Val())

	entries, err := audit.ReadTail(auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 4, "attempted + done, twice")
	assert.Equal(t, audit.Attempted, entries[2].Outcome)
	last := entries[3]
	assert.Equal(t, "invalidate", last.Action)
	assert.Equal(t, audit.Done, last.Outcome)
	assert.Equal(t, []string{"temp:*"}, last.Patterns)
	assert.EqualValues(t, 1500, last.Matched)
	assert.EqualValues(t, 1500, last.Deleted)
}

func TestInvalidateRefusals(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	fillTemp(t, rdb, "temp:", 10)
	ctx := context.Background()

	// No terminal, no --yes: usage error, nothing touched.
	code, _, stderr := run(t, "invalidate", "--pattern", "temp:*", "--url", srv.URL())
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--yes")
	code, _, _ = run(t, "invalidate", "--url", srv.URL(), "--yes")
	assert.Equal(t, 2, code, "no pattern")
	code, _, _ = run(t, "invalidate", "--recipe", "lead", "--arg", "ws=W", "--yes", "--url", srv.URL())
	assert.Equal(t, 2, code, "missing recipe argument")

	code, _, stderr = run(t, "invalidate", "--pattern", "temp:*", "--yes", "--read-only", "--url", srv.URL())
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "read-only")
	assert.EqualValues(t, 10, rdb.DBSize(ctx).Val())

	code, _, _ = run(t, "restore", "nofile", "--url", srv.URL())
	assert.Equal(t, 2, code, "restore without --yes and no terminal")

	r := redistest.Restricted(t)
	admin := client(t, "redis://:"+r.DefaultPassword+"@"+strings.TrimPrefix(r.URL(), "redis://"))
	require.NoError(t, admin.Set(ctx, "temp:1", "v", 0).Err())
	roURL := "redis://" + r.ReadOnlyUser + ":" + r.ReadOnlyPassword + "@" + strings.TrimPrefix(r.URL(), "redis://")
	code, _, stderr = run(t, "invalidate", "--pattern", "temp:*", "--yes", "--url", roURL)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "cannot write")
	assert.EqualValues(t, 1, admin.Exists(ctx, "temp:1").Val())
}

func TestInvalidateRecipeBackupRestore(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	for _, k := range []string{"leads:workspace:W:page:1", "lead:L", "lead:L:enrichment", "analytics:lead:L:engagement", "lead:X", "leads:workspace:V:page:1"} {
		require.NoError(t, rdb.Set(ctx, k, "v-"+k, 30*time.Minute).Err())
	}
	backup := filepath.Join(t.TempDir(), "backup.ndjson")
	code, out, stderr := run(t, "invalidate", "--recipe", "lead", "--arg", "ws=W", "--arg", "lead=L", "--backup", backup, "--yes", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	got := decodeInvalidate(t, out)
	assert.Equal(t, 4.0, got["deleted"])
	assert.EqualValues(t, 2, rdb.DBSize(ctx).Val())

	code, out, stderr = run(t, "restore", backup, "--dry-run", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	var rr map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rr))
	assert.Equal(t, map[string]any{"dry_run": true, "records": 4.0, "to_restore": 4.0, "exist_now": 0.0, "expired": 0.0}, rr)
	assert.Empty(t, stderr, "the human preview goes to stderr only when it is a terminal")
	assert.EqualValues(t, 2, rdb.DBSize(ctx).Val(), "a dry run writes nothing")

	code, out, stderr = run(t, "restore", backup, "--yes", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &rr))
	assert.Equal(t, 4.0, rr["restored"])
	assert.EqualValues(t, 6, rdb.DBSize(ctx).Val())
	assert.Greater(t, rdb.PTTL(ctx, "lead:L").Val(), 29*time.Minute)

	code, out, stderr = run(t, "restore", backup, "--yes", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &rr))
	assert.Equal(t, 4.0, rr["skipped"])
	assert.Equal(t, 0.0, rr["restored"])

	entries, err := audit.ReadTail(auditPath, 10)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	// The second restore had nothing to write: it left no entry.
	require.GreaterOrEqual(t, len(entries), 2)
	attempt, done := entries[len(entries)-2], entries[len(entries)-1]
	assert.Equal(t, "restore", attempt.Action)
	assert.Equal(t, audit.Attempted, attempt.Outcome, "written before anything is restored")
	assert.Equal(t, "restore", done.Action)
	assert.Equal(t, audit.Done, done.Outcome)
	assert.EqualValues(t, 4, done.Matched)
	assert.EqualValues(t, 4, done.Restored)
}

func TestInvalidateCancelReportsExactCount(t *testing.T) {
	auditPath := opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	fillTemp(t, rdb, "temp:", 3000)
	ctx, cancel := context.WithCancel(context.Background())
	// Ctrl-C once deleting has begun (not during the preview).
	go func() {
		for rdb.DBSize(context.Background()).Val() == 3000 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	var out, errOut bytes.Buffer
	code := cli.MainContext(ctx, []string{"invalidate", "--pattern", "temp:*", "--rate", "2000", "--yes", "--json", "--url", srv.URL()}, &out, &errOut)
	assert.Equal(t, 1, code, errOut.String())
	got := decodeInvalidate(t, out.String())
	assert.Equal(t, true, got["cancelled"])
	left := rdb.DBSize(context.Background()).Val()
	assert.Positive(t, left)
	assert.Equal(t, float64(3000-left), got["deleted"])
	entries, err := audit.ReadTail(auditPath, 1)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, audit.Cancelled, entries[0].Outcome)
	assert.EqualValues(t, 3000-left, entries[0].Deleted)
}
