package redisproc_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/internal/redisproc"
)

func TestStartAnswersPingAndStopCleansUp(t *testing.T) {
	t.Parallel()
	s, err := redisproc.Start(t.Context(), redisproc.Config{})
	if err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() }) // safety net if an assertion below fails

	if want := "redis://" + s.Addr; s.URL() != want {
		t.Errorf("URL() = %q, want %q", s.URL(), want)
	}
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") {
		t.Errorf("Addr %q is not on 127.0.0.1", s.Addr)
	}
	opt, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if err := ping(t.Context(), client(t, opt)); err != nil {
		t.Fatalf("PING: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "redis.conf")); err != nil {
		t.Errorf("redis.conf not written: %v", err)
	}

	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	requireStopped(t, s, true)
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// A caller-provided Dir belongs to the caller: Stop must leave it alone.
func TestStopKeepsCallerDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := start(t, redisproc.Config{Dir: dir})
	if s.Dir != dir {
		t.Errorf("Dir = %q, want %q", s.Dir, dir)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	requireStopped(t, s, false)
}

// Directives reach redis.conf, and a password does not confuse the
// readiness probe (it counts NOAUTH as "up").
func TestStartWithPasswordAndDirectives(t *testing.T) {
	t.Parallel()
	s := start(t, redisproc.Config{Password: "s3cret pass", Directives: []string{"maxmemory 1mb"}})

	err := ping(t.Context(), client(t, &redis.Options{Addr: s.Addr}))
	if err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Errorf("PING without password: got %v, want NOAUTH", err)
	}
	c := client(t, &redis.Options{Addr: s.Addr, Password: "s3cret pass"})
	got, err := c.ConfigGet(t.Context(), "maxmemory").Result()
	if err != nil {
		t.Fatalf("CONFIG GET: %v", err)
	}
	if got["maxmemory"] != "1048576" {
		t.Errorf("maxmemory = %q, want 1048576", got["maxmemory"])
	}
}

// A start failure must leave nothing running and quote redis-server's own
// words; fatal config errors go to stderr, not to the log file.
func TestStartQuotesConfigError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := redisproc.Start(t.Context(), redisproc.Config{Dir: dir, Directives: []string{"no-such-directive yes"}})
	if err == nil {
		t.Fatal("Start with a bad directive succeeded")
	}
	for _, want := range []string{"exited during start-up", "FATAL CONFIG FILE ERROR", "no-such-directive"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

// Redis 7.0 resolves ACL rules against the original command names, so a user
// rule may name a command that rename-command removed; the server still starts.
func TestACLRuleOnRenamedCommandStarts(t *testing.T) {
	t.Parallel()
	s := start(t, redisproc.Config{Directives: []string{
		`rename-command KEYS ""`,
		"user someone on >pw ~* +@read -keys",
	}})
	c := client(t, &redis.Options{Addr: s.Addr})
	err := c.Keys(t.Context(), "*").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR unknown command 'keys'") {
		t.Errorf("KEYS after rename: got %v, want ERR unknown command", err)
	}
}
