package memory

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// In an 80-column console (78 inside the border) prefixes that share a
// long start are still told apart, and a prefix that fits is whole.
func TestNarrowNamespaceTableShowsWholePrefixes(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	for _, ns := range []string{"coldcopy:lead_score:", "coldcopy:enrichment:", "hubspot:contact:"} {
		for i := range 5 {
			require.NoError(t, c.Redis().Set(ctx, fmt.Sprintf("%s%d", ns, i), "v", 0).Err())
		}
	}
	h := newHarness(t, c, 78, 20, false, func(m *Model) { m.depth = 2 })
	h.Until("the facts", h.m.FactsLoaded)
	h.Key("B") // exact
	h.Until("the breakdown", func() bool { return !h.m.Running() })
	h.m.section = SectionNamespaces
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 78, 20))
	for _, prefix := range []string{"coldcopy:lead_score:", "coldcopy:enrichment:", "hubspot:contact:"} {
		assert.Contains(t, v, prefix+" ", "whole in\n%s", v)
	}
	assert.False(t, strings.Contains(v, " avg "), "no room for the average at 78 cells")
}
