package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

// serverCounters reads total_connections_received and
// total_commands_processed from one INFO stats: what anything sent to the
// server moves.
func serverCounters(t *testing.T, c *redis.Client) [2]int {
	t.Helper()
	info, err := c.Info(context.Background(), "stats").Result()
	require.NoError(t, err)
	var out [2]int
	for _, l := range strings.Split(info, "\r\n") {
		for i, f := range []string{"total_connections_received:", "total_commands_processed:"} {
			if v, ok := strings.CutPrefix(l, f); ok {
				out[i], err = strconv.Atoi(v)
				require.NoError(t, err)
			}
		}
	}
	return out
}

// The breakdown of a downloaded RDB and of a logical backup of the same
// data agree with each other and with what was seeded, and reading them
// sends nothing to the server.
func TestMemoryFromBackupOfADownloadAndOfALogicalBackup(t *testing.T) {
	opsEnv(t)
	srv := redistest.Standalone(t)
	c := client(t, srv.URL())
	ctx := context.Background()
	pipe := c.Pipeline()
	for i := range 300 {
		pipe.Set(ctx, fmt.Sprintf("lead:%d", i), strings.Repeat("x", 100+i), time.Hour)
	}
	for i := range 40 {
		pipe.HSet(ctx, fmt.Sprintf("ws:%d:members", i), "a", "1", "b", strings.Repeat("y", 200))
	}
	for i := range 10 {
		pipe.RPush(ctx, fmt.Sprintf("queue:%d", i), "a", "b", "c")
		pipe.Expire(ctx, fmt.Sprintf("queue:%d", i), time.Hour)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
	var live, biggest int64
	for _, k := range c.Keys(ctx, "*").Val() { // test set-up only: 350 keys on a throwaway server
		n := c.MemoryUsage(ctx, k, 0).Val()
		live += n
		biggest = max(biggest, n)
	}
	dir := t.TempDir()

	reports := map[string]memoryOut{}
	for _, kind := range []string{"--download", "--logical"} {
		code, out, stderr := run(t, "backup", kind, "--dir", dir, "--json", "--no-prune", "--url", srv.URL())
		require.Equal(t, 0, code, stderr)
		path := decodeBackup(t, out).Path

		// Two snapshots in a row differ by the snapshot itself; with the
		// memory run between them, by exactly as much. Wait first for the
		// backup's governor probe that may still be in flight.
		var idle [2]int
		for i := 0; i < 50; i++ {
			a := serverCounters(t, c)
			time.Sleep(20 * time.Millisecond)
			b := serverCounters(t, c)
			idle = [2]int{b[0] - a[0], b[1] - a[1]}
			if idle == [2]int{0, 1} {
				break
			}
		}
		require.Equal(t, [2]int{0, 1}, idle, "the server never went quiet")
		before := serverCounters(t, c)
		code, out, stderr = run(t, "memory", "--from-backup", path, "--json", "--url", srv.URL())
		require.Equal(t, 0, code, stderr)
		after := serverCounters(t, c)
		assert.Equal(t, idle, [2]int{after[0] - before[0], after[1] - before[1]}, "%s: no connection, no command sent to the server", kind)

		var m memoryOut
		require.NoError(t, json.Unmarshal([]byte(out), &m), out)
		assert.True(t, m.Exact, kind)
		assert.EqualValues(t, 350, m.ScannedKeys, kind)
		ns := map[string]int64{}
		noTTL := map[string]int64{}
		types := map[string]map[string]int64{}
		for _, n := range m.Namespaces {
			ns[n.Prefix], noTTL[n.Prefix], types[n.Prefix] = n.Keys, n.NoTTL, n.Types
		}
		assert.Equal(t, map[string]int64{"lead:": 300, "ws:": 40, "queue:": 10}, ns, kind)
		assert.Equal(t, map[string]int64{"lead:": 0, "ws:": 40, "queue:": 0}, noTTL, kind)
		assert.EqualValues(t, 300, types["lead:"]["string"], kind)
		assert.EqualValues(t, 40, types["ws:"]["hash"], kind)
		assert.EqualValues(t, 10, types["queue:"]["list"], kind)
		require.NotEmpty(t, m.TopKeys, kind)
		// The longest values share the top allocator size class: any of them.
		assert.True(t, strings.HasPrefix(m.TopKeys[0].Key, "lead:2"), "%s: %s", kind, m.TopKeys[0].Key)
		assert.InDelta(t, float64(biggest), float64(m.TopKeys[0].Bytes), 0.01*float64(biggest), "%s: the biggest key's size", kind)
		assert.InDelta(t, float64(live), float64(m.TotalBytes), 0.01*float64(live), "%s: within 1 %% of MEMORY USAGE (%d vs %d)", kind, live, m.TotalBytes)
		reports[kind] = m
	}
	d, l := reports["--download"], reports["--logical"]
	assert.Equal(t, d.TotalKeys, l.TotalKeys)
	assert.InDelta(t, float64(d.TotalBytes), float64(l.TotalBytes), 0.01*float64(d.TotalBytes), "the same data, the same total (%d vs %d)", d.TotalBytes, l.TotalBytes)
}
