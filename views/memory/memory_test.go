package memory

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}

func seeded(t *testing.T, keys int) *redisops.Client {
	t.Helper()
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	_, err := seed.Seed(context.Background(), c.Redis(), seed.Options{Keys: keys, Seed: 1})
	require.NoError(t, err)
	return c
}

func TestFacts(t *testing.T) {
	c := seeded(t, 500)
	h := newHarness(t, c, 76, 18, false)
	h.Until("the facts", h.m.FactsLoaded)
	require.NotNil(t, h.m.Facts())
	assert.Empty(t, h.m.Facts().Unavailable)
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18))
	for _, want := range []string{"facts", "memory    used ", "limit     no maxmemory", "dataset", "keys      5", "MEMORY DOCTOR"} {
		assert.Contains(t, v, want)
	}
	// The doctor's text scrolls.
	h.m.SetSize(76, 6)
	h.Key("G")
	viewtest.RequireSafeView(t, h.m, 76, 6)
	assert.Positive(t, h.m.offset)
}

func TestSampledBreakdownRunsToCompletion(t *testing.T) {
	c := seeded(t, 5000)
	h := newHarness(t, c, 100, 30, false)
	h.Until("the facts", h.m.FactsLoaded)
	assert.Nil(t, h.m.Report(), "no breakdown until asked")
	h.Key("b")
	require.True(t, h.m.Running())
	assert.Equal(t, SectionNamespaces, h.m.Section())
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 100, 30))
	assert.Contains(t, v, "sampling 1%")
	assert.Contains(t, v, "paced: p99")
	assert.Contains(t, v, "esc cancels")

	h.Until("the breakdown", func() bool { return !h.m.Running() })
	require.NoError(t, h.m.Err())
	r := h.m.Report()
	require.NotNil(t, r)
	assert.False(t, r.Exact)
	assert.False(t, r.Cancelled)
	assert.Equal(t, int64(5000), r.ScannedKeys)
	assert.Less(t, r.MeasuredKeys, r.ScannedKeys)
	v = ansi.Strip(viewtest.RequireSafeView(t, h.m, 100, 30))
	assert.Contains(t, v, "estimate (1% sample")
	assert.Contains(t, v, "5,000 keys")
	assert.Contains(t, v, "~", "sampled bytes are marked")
	assert.Contains(t, v, r.Namespaces[0].Prefix)
	assert.Contains(t, v, "last breakdown paced: p99")

	// The biggest keys, by bytes then by element count.
	h.Key("v")
	assert.Equal(t, SectionTopKeys, h.m.Section())
	v = ansi.Strip(viewtest.RequireSafeView(t, h.m, 100, 30))
	assert.Contains(t, v, "biggest by bytes")
	require.NotEmpty(t, r.TopByBytes)
	h.Key("t")
	v = ansi.Strip(viewtest.RequireSafeView(t, h.m, 100, 30))
	assert.Contains(t, v, "biggest by elements")
	h.Key("v")
	assert.Equal(t, SectionFacts, h.m.Section())

	// Deeper prefixes run the breakdown again.
	h.Key("+")
	assert.Equal(t, 2, h.m.Depth())
	require.True(t, h.m.Running())
	h.Until("the deeper breakdown", func() bool { return !h.m.Running() })
	assert.Equal(t, 2, h.m.Report().Depth)
	for range 5 {
		h.Key("+")
	}
	assert.Equal(t, 4, h.m.Depth(), "depth stops at 4")
	for range 5 {
		h.Key("-")
	}
	assert.Equal(t, 1, h.m.Depth(), "and at 1")
	h.Until("the last breakdown", func() bool { return !h.m.Running() })
}

func TestExactBreakdown(t *testing.T) {
	c := seeded(t, 2000)
	h := newHarness(t, c, 120, 40, false)
	h.Key("B")
	require.True(t, h.m.Running())
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 120, 40)), "exact")
	h.Until("the breakdown", func() bool { return !h.m.Running() })
	r := h.m.Report()
	require.NotNil(t, r)
	assert.True(t, r.Exact)
	assert.Equal(t, r.ScannedKeys, r.MeasuredKeys)
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 120, 40))
	assert.Contains(t, v, "exact")
	assert.NotContains(t, v, "estimate")
}

func TestEscCancelsTheBreakdown(t *testing.T) {
	c := seeded(t, 5000)
	h := newHarness(t, c, 76, 18, false)
	h.Key("B")
	require.True(t, h.m.Running())
	h.Key("esc")
	h.Until("the cancelled breakdown", func() bool { return !h.m.Running() })
	require.NoError(t, h.m.Err())
	r := h.m.Report()
	require.NotNil(t, r)
	assert.True(t, r.Cancelled)
	assert.Less(t, r.ScannedKeys, int64(5000))
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18)), "cancelled: partial")
	assert.Contains(t, h.Flashes(), "memory breakdown cancelled")

	// A breakdown replaced by another is cancelled, its answer dropped.
	h.Key("b")
	first := h.m.job.ID
	h.Key("b")
	assert.NotEqual(t, first, h.m.job.ID)
	h.Until("the second breakdown", func() bool { return !h.m.Running() })
	assert.False(t, h.m.Report().Cancelled)
}

func TestRefusedMemoryCommands(t *testing.T) {
	srv := redistest.Restricted(t)
	admin := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL(), Password: srv.DefaultPassword})
	require.NoError(t, admin.Redis().Set(context.Background(), "lead:1", "v", 0).Err())
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.NoInfoUser, Password: srv.NoInfoPassword})
	h := newHarness(t, c, 76, 18, false)
	h.Until("the facts", h.m.FactsLoaded)
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18))
	assert.Contains(t, v, "n/a (INFO denied by ACL: NOPERM")
	assert.Contains(t, v, "n/a (MEMORY STATS denied by ACL: NOPERM")

	h.Key("b")
	h.Until("the refused breakdown", func() bool { return !h.m.Running() })
	require.Error(t, h.m.Err())
	v = ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18))
	assert.Contains(t, strings.Join(strings.Fields(v), " "), "MEMORY USAGE denied by ACL")
	assert.NotEmpty(t, h.Flashes())
}

func TestSizes(t *testing.T) {
	c := seeded(t, 300)
	h := newHarness(t, c, 80, 24, false)
	h.Until("the facts", h.m.FactsLoaded)
	h.Key("b")
	h.Until("the breakdown", func() bool { return !h.m.Running() })
	for _, sec := range []Section{SectionFacts, SectionNamespaces, SectionTopKeys} {
		h.m.section = sec
		for _, sz := range [][2]int{{80, 24}, {120, 40}, {76, 18}, {0, 0}, {1, 1}, {10, 3}, {0, 5}, {5, 0}} {
			h.m.SetSize(sz[0], sz[1])
			viewtest.RequireSafeView(t, h.m, sz[0], sz[1])
			h.Key("G")
			viewtest.RequireSafeView(t, h.m, sz[0], sz[1])
		}
	}
	h.m.c.Styles = styles.New(styles.Options{Dark: true, ASCII: true})
	for w := range 100 {
		h.m.SetSize(w, 10)
		viewtest.RequireSafeView(t, h.m, w, 10)
	}
	empty := newHarness(t, nil, 40, 5, false)
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, empty.m, 40, 5)), "not connected")
}
