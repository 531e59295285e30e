package redisops

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForkWarning(t *testing.T) {
	const gib = 1 << 30
	assert.Empty(t, forkWarning(ForkRisk{UsedMemory: gib, Available: 8 * gib, TotalMemory: 16 * gib}))
	assert.Contains(t, forkWarning(ForkRisk{UsedMemory: 5 * gib, Available: 8 * gib, TotalMemory: 16 * gib}), "more than half of the 8.0 GiB of free memory")
	assert.Contains(t, forkWarning(ForkRisk{UsedMemory: 9 * gib, Available: 8 * gib, TotalMemory: 16 * gib}), "OOM")
	assert.Contains(t, forkWarning(ForkRisk{UsedMemory: 9 * gib, Available: -1, TotalMemory: 16 * gib}), "free memory unknown")
	assert.Empty(t, forkWarning(ForkRisk{UsedMemory: 9 * gib, Available: -1, TotalMemory: -1}), "nothing known: no warning")
}

func TestMemAvailable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "meminfo")
	require.NoError(t, os.WriteFile(p, []byte("MemTotal:  16000 kB\nMemAvailable:    2048 kB\n"), 0o600))
	assert.EqualValues(t, 2048*1024, memAvailable(p))
	assert.EqualValues(t, -1, memAvailable(filepath.Join(t.TempDir(), "none")))
	assert.True(t, isLocalAddr("127.0.0.1:6379"))
	assert.True(t, isLocalAddr("unix:/tmp/redis.sock"))
	assert.False(t, isLocalAddr("db.example.com:25061"))
}
