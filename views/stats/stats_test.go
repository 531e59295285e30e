package stats

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// manual polls only on r: the tick is an hour away.
func manual(m *Model) { m.Interval = time.Hour }

func TestHitRateAfterTwoPollsAndViolation(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	for i := range 10 {
		require.NoError(t, c.Redis().Set(ctx, fmt.Sprintf("k%d", i), "v", 0).Err())
	}
	h := newHarness(t, c, 120, 40, manual)
	require.True(t, h.m.Polling(), "Init starts the first poll")
	h.Until("first poll", func() bool { return h.m.Report() != nil })
	assert.Equal(t, -1.0, h.m.Report().Aggregate.HitRate, "one poll: no interval yet")

	// 10 hits and 90 misses: a 10 % hit rate, far below the 80 % target.
	for i := range 100 {
		k := fmt.Sprintf("missing%d", i)
		if i%10 == 0 {
			k = fmt.Sprintf("k%d", i/10)
		}
		_ = c.Redis().Get(ctx, k).Err()
	}
	h.Key("r")
	require.True(t, h.m.Polling())
	h.Until("second poll", func() bool { return !h.m.Polling() })
	require.NoError(t, h.m.Err())
	a := h.m.Report().Aggregate
	assert.InDelta(t, 0.10, a.HitRate, 0.001)
	assert.Greater(t, a.OpsPerSec, -1.0)

	var metrics []string
	for _, v := range h.m.Violations() {
		metrics = append(metrics, v.Metric)
	}
	assert.Contains(t, metrics, "hit_rate")

	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 120, 40))
	assert.Contains(t, v, "out of bounds now")
	assert.Contains(t, v, "hit rate  10.0% last 1h")
	assert.Contains(t, v, "ops/s")
	assert.Contains(t, v, "below the 80 % target")
	assert.Contains(t, v, "PING p50")
	assert.Contains(t, v, "db0 10 (0 with TTL)")
	assert.Contains(t, v, "master")
	assert.Contains(t, v, "updated 12:00:00")
}

func TestTickWhilePollingStartsNoSecondPoll(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	h := newHarness(t, c, 80, 20, manual)
	require.True(t, h.m.Polling())
	require.Equal(t, 1, h.m.Polls())

	// The poll's answer has not been handled yet: a tick now skips.
	tick := tickMsg{pane: h.m.id, seq: h.m.tickSeq}
	cmd := h.m.Update(tick)
	assert.NotNil(t, cmd, "the tick chain goes on")
	assert.Equal(t, 1, h.m.Polls(), "no second poll while one is in flight")
	assert.Equal(t, 1, h.m.Skipped())
	assert.Nil(t, h.m.Update(tea.KeyPressMsg{Code: 'x', Text: "x"}))
	h.Key("r")
	assert.Equal(t, 1, h.m.Polls(), "r does not start one either")

	h.Until("the poll", func() bool { return !h.m.Polling() })
	h.m.Update(tick)
	assert.Equal(t, 2, h.m.Polls(), "the next tick polls")

	// Another pane's tick, an old chain's tick, another pane's result: ignored.
	assert.Nil(t, h.m.Update(tickMsg{pane: h.m.id + 1, seq: h.m.tickSeq}))
	assert.Nil(t, h.m.Update(tickMsg{pane: h.m.id, seq: h.m.tickSeq - 1}))
	other := New(viewtest.NewCommon(c, false))
	before := h.m.Report()
	h.m.Update(other.Inject(redisops.StatsReport{}))
	assert.Same(t, before, h.m.Report())
	assert.Equal(t, 2, h.m.Polls())
}

func TestTicksPollOnTheirOwn(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	h := newHarness(t, c, 80, 20, func(m *Model) { m.Interval = 50 * time.Millisecond })
	h.Until("three polls", func() bool { return h.m.Polls() >= 3 && h.m.Report() != nil })
	assert.LessOrEqual(t, h.m.hist.n, h.m.Polls())
}

func TestRestrictedUserSeesWhyStatsAreUnavailable(t *testing.T) {
	srv := redistest.Restricted(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.AdminUser, Password: srv.AdminPassword})
	h := newHarness(t, c, 76, 18, manual)
	h.Until("the poll", func() bool { return !h.m.Polling() })
	require.Error(t, h.m.Err())
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18))
	assert.Contains(t, v, "unavailable:")
	assert.Contains(t, v, "NOPERM")
	// Refused: ticks stop asking (each denial lands in the ACL LOG)...
	polls := h.m.Polls()
	h.m.Update(tickMsg{pane: h.m.id, seq: h.m.tickSeq})
	assert.Equal(t, polls, h.m.Polls())
	// ...but the pane still works: keys do not panic, r asks again.
	h.Key("down")
	h.Key("r")
	assert.Equal(t, polls+1, h.m.Polls())
	h.Until("the second poll", func() bool { return !h.m.Polling() })
	viewtest.RequireSafeView(t, h.m, 76, 18)
}

func TestClusterShowsEveryNodeAndTheAggregate(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	require.True(t, c.IsCluster())
	h := newHarness(t, c, 116, 40, manual)
	h.Until("the poll", func() bool { return !h.m.Polling() })
	require.NoError(t, h.m.Err())
	require.Len(t, h.m.Report().Nodes, 3)
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 116, 40))
	for _, a := range cl.Addrs() {
		assert.Contains(t, v, a)
	}
	assert.Contains(t, v, "all nodes")
	assert.Contains(t, v, "3 nodes")
}

func TestSizes(t *testing.T) {
	h := newHarness(t, nil, 80, 24)
	h.Dispatch(h.m.Inject(fakeReport(false), time.Millisecond))
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {76, 18}, {116, 34}, {0, 0}, {1, 1}, {10, 3}, {0, 5}, {5, 0}} {
		h.m.SetSize(sz[0], sz[1])
		assert.NotPanics(t, func() { viewtest.RequireSafeView(t, h.m, sz[0], sz[1]) }, "%dx%d", sz[0], sz[1])
	}
	// Scrolling never leaves the content.
	h.m.SetSize(76, 8)
	for range 50 {
		h.Key("down")
	}
	viewtest.RequireSafeView(t, h.m, 76, 8)
	assert.Positive(t, h.m.offset)
	h.Key("g")
	assert.Zero(t, h.m.offset)

	// ASCII terminals: every width still fills the box.
	h.m.c.Styles = styles.New(styles.Options{Dark: true, ASCII: true})
	for w := range 90 {
		h.m.SetSize(w, 12)
		viewtest.RequireSafeView(t, h.m, w, 12)
	}
	h.m.SetSize(100, 30)
	v := h.m.View()
	assert.Contains(t, v, "@@@")
	assert.NotContains(t, v, "█")
}

func TestNoClientSaysNotConnected(t *testing.T) {
	h := newHarness(t, nil, 40, 4)
	assert.Nil(t, h.m.Init())
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 40, 4)), "not connected")
	assert.NotEmpty(t, h.m.ShortHelp()[0].Help().Key)
	assert.True(t, strings.Contains(h.m.FullHelp()[1][0].Help().Desc, "poll"))
}
