package redistest_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

func TestStandaloneAppliesDirectives(t *testing.T) {
	t.Parallel()
	s := redistest.Standalone(t, "maxmemory 2mb", "maxmemory-policy allkeys-lru")
	info, err := client(t, &redis.Options{Addr: s.Addr}).InfoMap(t.Context(), "memory").Result()
	if err != nil {
		t.Fatalf("INFO memory: %v", err)
	}
	if got := info["Memory"]["maxmemory_policy"]; got != "allkeys-lru" {
		t.Errorf("maxmemory_policy = %q, want allkeys-lru", got)
	}
	if got := info["Memory"]["maxmemory"]; got != "2097152" {
		t.Errorf("maxmemory = %q, want 2097152", got)
	}
}

func TestFreePortRefusesConnections(t *testing.T) {
	t.Parallel()
	port := redistest.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	err := client(t, &redis.Options{Addr: addr, DialTimeout: time.Second}).Ping(t.Context()).Err()
	t.Logf("refused: %q", errText(err))
	want := "dial tcp " + addr + ": connect: connection refused"
	if errText(err) != want {
		t.Errorf("PING on a free port: got %q, want %q", errText(err), want)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Errorf("something listens on FreePort's %s", addr)
	}
}

func TestClusterHelper(t *testing.T) {
	t.Parallel()
	c := redistest.Cluster(t, 3)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = cc.Close() })
	info, err := cc.ClusterInfo(t.Context()).Result()
	if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_size:3") {
		t.Fatalf("CLUSTER INFO: %v\n%s", err, info)
	}
}
