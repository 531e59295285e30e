package redisproc_test

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/internal/redisproc"
)

// start runs a server and stops it when the test ends, failed or not. A
// missing redis-server fails the test (ErrNotInstalled says how to install).
func start(t *testing.T, cfg redisproc.Config) *redisproc.Server {
	t.Helper()
	s, err := redisproc.Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop %s: %v", s.Addr, err)
		}
	})
	return s
}

// client is a go-redis client closed at the end of the test.
func client(t *testing.T, opt *redis.Options) *redis.Client {
	t.Helper()
	opt.MaxRetries = -1 // report the first error as is
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// requireStopped checks that the process is gone, nothing listens on its
// port any more and, if wantDirGone, its directory was removed.
func requireStopped(t *testing.T, s *redisproc.Server, wantDirGone bool) {
	t.Helper()
	select {
	case <-s.Exited():
	case <-time.After(time.Second):
		t.Fatalf("redis-server on %s still running after Stop", s.Addr)
	}
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Stop", s.Addr)
	}
	_, err = os.Stat(s.Dir)
	if dirGone := errors.Is(err, os.ErrNotExist); dirGone != wantDirGone {
		t.Errorf("dir %s removed = %v, want %v (stat: %v)", s.Dir, dirGone, wantDirGone, err)
	}
}

func ping(ctx context.Context, c redis.UniversalClient) error { return c.Ping(ctx).Err() }
