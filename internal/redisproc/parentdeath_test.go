package redisproc_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coldcopy/cachedeck/internal/redisproc"
)

// If the process that started redis-server dies without calling Stop (a test
// binary killed on timeout, a crashed `cachedeck demo`), the kernel kills the
// server too (Pdeathsig). The test re-runs its own binary as that process.
func TestServerDiesWithItsParent(t *testing.T) {
	if os.Getenv("REDISPROC_ORPHAN_DIR") != "" {
		orphanChild()
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithItsParent$")
	cmd.Env = append(os.Environ(), "REDISPROC_ORPHAN_DIR="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var addr string
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			addr = a
		}
	}
	if addr == "" {
		t.Fatalf("child printed no address:\n%s", out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return // gone, as it should be
		}
		if time.Now().After(deadline) {
			// Do not leak it: ask it to go, then fail.
			fmt.Fprint(conn, "SHUTDOWN NOSAVE\r\n")
			conn.Close()
			t.Fatalf("redis-server %s outlived its parent", addr)
		}
		conn.Close()
		time.Sleep(50 * time.Millisecond)
	}
}

// orphanChild starts a server and exits without stopping it.
func orphanChild() {
	s, err := redisproc.Start(context.Background(), redisproc.Config{Dir: os.Getenv("REDISPROC_ORPHAN_DIR")})
	if err != nil {
		fmt.Println("start:", err)
		os.Exit(2)
	}
	fmt.Println("ADDR", s.Addr)
	os.Exit(0)
}
