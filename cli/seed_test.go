package cli_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/cli"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/seed"
)

func TestSeedRefusesNonEmptyDatabase(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	code, _, stderr := run(t, "seed", "--url", srv.URL(), "--keys", "2000")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, int64(2000), client(t, srv.URL()).DBSize(context.Background()).Val())
	assert.Contains(t, stderr, "seeded 2000 keys")

	code, _, stderr = run(t, "seed", "--url", srv.URL(), "--keys", "2000")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not empty")
	assert.Contains(t, stderr, "--force")

	code, _, stderr = run(t, "seed", "--url", srv.URL(), "--keys", "2000", "--force")
	assert.Equal(t, 0, code, stderr)

	code, _, stderr = run(t, "seed", "--keys", "10")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--url")

	code, _, stderr = run(t, "seed", "--url", srv.URL(), "--read-only")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "read-only")
}

func TestDemoWithoutRedisServerSaysHowToInstall(t *testing.T) {
	cleanEnv(t)
	t.Setenv("PATH", t.TempDir())
	code, _, stderr := run(t, "demo", "--keys", "100")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "apt-get install redis-server")
}

// syncBuffer is a bytes.Buffer safe to read while the demo writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestDemoSeedsAThrowawayServerAndRemovesItOnCtrlC(t *testing.T) {
	cleanEnv(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- cli.MainContext(ctx, []string{"demo", "--keys", "3000"}, &stdout, &stderr) }()

	urlRE := regexp.MustCompile(`demo server ready: (redis://\S+)`)
	var url string
	require.Eventually(t, func() bool {
		m := urlRE.FindStringSubmatch(stdout.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}, 30*time.Second, 50*time.Millisecond, "stderr: %s", stderr.String())

	rdb := client(t, url)
	assert.Equal(t, int64(3000), rdb.DBSize(context.Background()).Val())
	assert.Equal(t, int64(1), rdb.Exists(context.Background(), seed.KeyDamagedLZ).Val())

	cancel() // what Ctrl-C does
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(15 * time.Second):
		t.Fatal("demo did not stop after Ctrl-C")
	}
	_, err := net.DialTimeout("tcp", url[len("redis://"):], time.Second)
	assert.Error(t, err, "the demo server is stopped")
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries, "the demo's temp dir is removed")
}
