package redistest

import (
	"testing"

	"github.com/coldcopy/cachedeck/internal/redisproc"
)

// Standalone runs a plain redis-server with the extra redis.conf lines given
// (e.g. "maxmemory 1mb") and stops it when the test ends.
func Standalone(t testing.TB, directives ...string) *redisproc.Server {
	t.Helper()
	return start(t, redisproc.Config{Directives: directives})
}

// Cluster runs a cluster of masters (no replicas), ready for
// redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()}), and stops
// it when the test ends. Start-up takes about 2 s (Redis waits that long
// before a fresh master reports cluster_state:ok).
func Cluster(t testing.TB, masters int) *redisproc.Cluster {
	t.Helper()
	c, err := redisproc.StartCluster(t.Context(), masters)
	if err != nil {
		t.Fatalf("redistest: start cluster of %d: %v", masters, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, s := range c.Nodes {
				t.Logf("redistest: node %s:\n%s", s.Addr, s.LogTail(20))
			}
		}
		if err := c.Stop(); err != nil {
			t.Errorf("redistest: stop cluster: %v", err)
		}
	})
	return c
}

// FreePort returns a loopback port with nothing listening, for "connection
// refused" tests.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := redisproc.FreePort()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return port
}

// start runs a server and registers its Stop. A missing redis-server fails
// the test (never skips it): the error says `apt-get install redis-server`.
// Cleanups also run when the test panics or calls t.Fatal, and a server
// outlives a killed test binary by no more than an instant (Pdeathsig).
func start(t testing.TB, cfg redisproc.Config) *redisproc.Server {
	t.Helper()
	s, err := redisproc.Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("redistest: redis-server %s:\n%s", s.Addr, s.LogTail(20))
		}
		if err := s.Stop(); err != nil {
			t.Errorf("redistest: stop %s: %v", s.Addr, err)
		}
	})
	return s
}

// ClusterWithReplicas runs masters masters with replicas replicas each
// (Replicas[i] follows Nodes[i % masters]), links up, and stops it when the
// test ends: for failover tests.
func ClusterWithReplicas(t testing.TB, masters, replicas int) *redisproc.Cluster {
	t.Helper()
	c, err := redisproc.StartClusterWithReplicas(t.Context(), masters, replicas)
	if err != nil {
		t.Fatalf("redistest: start cluster of %d+%d: %v", masters, masters*replicas, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, s := range append(append([]*redisproc.Server{}, c.Nodes...), c.Replicas...) {
				t.Logf("redistest: node %s:\n%s", s.Addr, s.LogTail(20))
			}
		}
		if err := c.Stop(); err != nil {
			t.Errorf("redistest: stop cluster: %v", err)
		}
	})
	return c
}
