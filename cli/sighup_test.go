package cli_test

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/cli"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

// A hangup (an SSH session that drops) ends a running command as Ctrl-C
// does: exit 0, no crash. Without the handler the default action would
// kill this test process.
func TestSIGHUPIsACleanExit(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t)
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- cli.Main([]string{"stats", "--interval", "50ms", "--url", srv.URL()}, &out, &errOut) }()
	deadline := time.Now().Add(20 * time.Second)
	for out.String() == "" {
		require.True(t, time.Now().Before(deadline), "stats printed nothing")
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGHUP))
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errOut.String())
	case <-time.After(20 * time.Second):
		t.Fatal("SIGHUP did not end the command")
	}
}

// The demo's throwaway server and its temp dir go when the session hangs
// up, as they do on Ctrl-C.
func TestDemoRemovesItsServerOnSIGHUP(t *testing.T) {
	opsEnv(t) // no terminal on stdin: the demo serves instead of opening the console
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- cli.Main([]string{"demo", "--keys", "200"}, &out, &errOut) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "demo server ready") {
		require.True(t, time.Now().Before(deadline), "the demo never came up: %s", errOut.String())
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGHUP))
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errOut.String())
	case <-time.After(20 * time.Second):
		t.Fatal("SIGHUP did not end the demo")
	}
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries, "no redisproc-* dir left behind")
}
