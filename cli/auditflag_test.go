package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

func TestAuditLogFlagRedirectsMutations(t *testing.T) {
	defaultPath := opsEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		require.NoError(t, rdb.Set(ctx, "temp:"+itoa(i), "v", 0).Err())
	}
	custom := filepath.Join(t.TempDir(), "ops", "audit.jsonl")

	code, _, stderr := run(t, "invalidate", "--pattern", "temp:*", "--yes", "--json", "--audit-log", custom, "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	code, _, stderr = run(t, "--audit-log", custom, "slowlog", "--reset", "--yes", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)

	entries, err := audit.ReadTail(custom, 10)
	require.NoError(t, err)
	require.Len(t, entries, 3, "invalidate attempted + done, slowlog reset")
	assert.Equal(t, "invalidate", entries[1].Action)
	assert.Equal(t, audit.Done, entries[1].Outcome)
	assert.EqualValues(t, 20, entries[1].Deleted)
	assert.Equal(t, "slowlog-reset", entries[2].Action)

	_, err = os.Stat(defaultPath)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing goes to the default log")
}
