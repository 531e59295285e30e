package redistest_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

// A test that fails or panics must still stop its server and remove its dir:
// the helpers rely on t.Cleanup, which the testing package runs in both
// cases. The test binary re-runs itself with TestCleanupChild failing.
func TestServerCleanedUpWhenTestFailsOrPanics(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"fatal", "panic"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestCleanupChild$", "-test.v")
			cmd.Env = append(os.Environ(), "REDISTEST_CLEANUP_CHILD="+mode)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("child test passed, want it to fail:\n%s", out)
			}
			m := regexp.MustCompile(`SERVER (\S+) (\S+)`).FindSubmatch(out)
			if m == nil {
				t.Fatalf("child printed no server:\n%s", out)
			}
			addr, dir := string(m[1]), string(m[2])
			if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				conn.Close()
				t.Errorf("redis-server %s still running after the child's test %s", addr, mode)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("dir %s still there after the child's test %s (stat: %v)", dir, mode, err)
			}
		})
	}
}

// TestCleanupChild does nothing in a normal run; as the child of
// TestServerCleanedUpWhenTestFailsOrPanics it starts a server and fails.
func TestCleanupChild(t *testing.T) {
	mode := os.Getenv("REDISTEST_CLEANUP_CHILD")
	if mode == "" {
		return
	}
	s := redistest.Standalone(t)
	fmt.Printf("SERVER %s %s\n", s.Addr, s.Dir)
	if mode == "panic" {
		panic("deliberate panic")
	}
	t.Fatal("deliberate failure")
}
