package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

func TestMemoryFromBackupOffline(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	var want int64
	for i := range 200 {
		k := "lead:" + strings.Repeat("9", i%7) + string(rune('a'+i%26)) + ":" + strconv.Itoa(i)
		require.NoError(t, rdb.Set(ctx, k, strings.Repeat("v", i), 0).Err())
		want += rdb.MemoryUsage(ctx, k, 0).Val()
	}
	require.NoError(t, rdb.HSet(ctx, "workspace:1:members", "a", "1", "b", "2").Err())
	want += rdb.MemoryUsage(ctx, "workspace:1:members", 0).Val()
	require.NoError(t, rdb.Save(ctx).Err())
	file := filepath.Join(t.TempDir(), "copy.rdb")
	b, err := os.ReadFile(filepath.Join(srv.Dir, "dump.rdb"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, b, 0o600))
	// No server at all: --from-backup must not need one.
	require.NoError(t, srv.Stop())

	code, out, stderr := run(t, "memory", "--from-backup", file, "--alloc-quantum", "16", "--json", "--url", srv.URL())
	require.Equal(t, 0, code, stderr)
	var got memoryOut
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.True(t, got.Exact)
	assert.Equal(t, int64(201), got.ScannedKeys)
	assert.InDelta(t, float64(want), float64(got.TotalBytes), 0.01*float64(want), "within 1 %% of MEMORY USAGE: want %d, got %d", want, got.TotalBytes)
	assert.Contains(t, out, `"from_backup"`)

	code, out, stderr = run(t, "memory", "--from-backup", file)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "lead:")
	assert.Contains(t, out, "nothing sent to a server")

	code, _, stderr = run(t, "memory", "--from-backup", file, "--exact")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--exact does not apply to --from-backup")
	code, _, stderr = run(t, "memory", "--from-backup", file, "--alloc-quantum", "12")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--alloc-quantum is 8")
	code, _, stderr = run(t, "memory", "--from-backup", filepath.Join(t.TempDir(), "missing.rdb"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no such file")
}
