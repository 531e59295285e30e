package stats

import (
	"testing"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// harness runs the pane with viewtest's harness; m is the pane.
type harness struct {
	*viewtest.Harness
	m *Model
}

// newHarness builds the pane; opts run before Init (set Interval there).
func newHarness(t testing.TB, c *redisops.Client, w, h int, opts ...func(*Model)) *harness {
	t.Helper()
	m := New(viewtest.NewCommon(c, false))
	return &harness{Harness: viewtest.Start(t, m, w, h, opts...), m: m}
}
