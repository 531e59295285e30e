package redisproc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/coldcopy/cachedeck/internal/redisproc"
)

// With redis-server absent, the error must say how to install it: in CI a
// missing redis-server fails the run with that message, it is never a skip.
func TestLookPathMissingRedisServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir())

	_, err := redisproc.LookPath()
	if !errors.Is(err, redisproc.ErrNotInstalled) {
		t.Fatalf("LookPath with an empty PATH: got %v, want ErrNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "apt-get install redis-server") {
		t.Errorf("error %q does not say how to install redis-server", err)
	}

	_, err = redisproc.Start(t.Context(), redisproc.Config{})
	if !errors.Is(err, redisproc.ErrNotInstalled) {
		t.Errorf("Start with an empty PATH: got %v, want ErrNotInstalled", err)
	}
}
