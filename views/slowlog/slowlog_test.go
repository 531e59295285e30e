package slowlog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC // the table shows local times
	os.Exit(m.Run())
}

// slowServer logs every command (slowlog-log-slower-than 0) and has run
// a few, one of them with binary and terminal-control bytes in its key.
func slowServer(t *testing.T) *redisops.Client {
	t.Helper()
	srv := redistest.Standalone(t, "slowlog-log-slower-than 0")
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	require.NoError(t, c.Redis().Set(ctx, "lead:1", "v", 0).Err())
	require.NoError(t, c.Redis().HSet(ctx, "evil\x1b[31m\x00key", "f", "v").Err())
	// A busy script: the slowest entry by far (DEBUG SLEEP is disabled).
	require.NoError(t, c.Redis().Eval(ctx, "local i = 0 while i < 3000000 do i = i + 1 end return i", nil).Err())
	return c
}

func TestListSortAndDetail(t *testing.T) {
	c := slowServer(t)
	h := newHarness(t, c, 76, 18, false)
	h.Until("the slow log", h.m.Loaded)
	require.NoError(t, h.m.Err())
	require.NotEmpty(t, h.m.Entries())

	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18))
	assert.Contains(t, v, "time▼")
	assert.Contains(t, v, "set lead:1 v")
	assert.Contains(t, v, `"evil\x1b[31m\x00key"`, "binary arguments are escaped")
	assert.Contains(t, v, "latency monitor off (latency-monitor-threshold 0)")
	assert.Contains(t, v, "1 node")

	// Newest first; s sorts by duration, the script on top.
	first, _ := h.m.Selected()
	for _, e := range h.m.Entries() {
		assert.False(t, e.Time.After(first.Time))
	}
	h.Key("s")
	assert.Equal(t, ByDuration, h.m.SortOrder())
	assert.Equal(t, first.ID, mustSelected(t, h).ID, "the cursor stays on its entry")
	h.Key("g")
	top := mustSelected(t, h)
	assert.Equal(t, "eval", strings.ToLower(top.Args[0]))
	for _, e := range h.m.Entries() {
		assert.LessOrEqual(t, e.Duration, top.Duration)
	}
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18)), "duration▼")

	// The detail view of the hash's entry.
	h.Key("s")
	h.Key("g")
	for i := 0; i < len(h.m.Entries()) && !strings.EqualFold(mustSelected(t, h).Args[0], "hset"); i++ {
		h.Key("down")
	}
	require.Equal(t, "hset", strings.ToLower(mustSelected(t, h).Args[0]))
	h.Key("enter")
	require.True(t, h.m.InDetail())
	v = ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18))
	assert.Contains(t, v, `[1] "evil\x1b[31m\x00key"`)
	assert.Contains(t, v, "node      "+c.Addr)
	assert.Contains(t, v, "client    127.0.0.1:")
	assert.Contains(t, v, "(no name)")
	assert.Contains(t, v, "arguments 4")
	h.Key("esc")
	assert.False(t, h.m.InDetail())

	// r reloads (the SLOWLOG GET itself is now logged too).
	n := len(h.m.Entries())
	h.Key("r")
	require.True(t, h.m.Loading())
	h.Until("the reload", func() bool { return !h.m.Loading() })
	assert.Greater(t, len(h.m.Entries()), n)
}

func mustSelected(t *testing.T, h *harness) redisops.SlowEntry {
	t.Helper()
	e, ok := h.m.Selected()
	require.True(t, ok)
	return e
}

func TestResetAsksThenAudits(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	c := slowServer(t)
	h := newHarness(t, c, 76, 18, false, func(m *Model) { m.c.Profile = "test" })
	h.Until("the slow log", h.m.Loaded)
	assert.Contains(t, helpKeys(h.m), "R")

	// Other keys are ignored; n cancels.
	h.Key("R")
	require.True(t, h.m.Confirming())
	assert.True(t, h.m.Capturing(), "the dialog owns the keyboard")
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18))
	assert.Contains(t, v, "Reset the slow log on 1 node(s)?")
	assert.Contains(t, v, "y confirms · n or esc cancels")
	h.Key("q")
	assert.True(t, h.m.Confirming(), "a stray key leaves the question open")
	h.Key("n")
	assert.False(t, h.m.Confirming())
	assert.Contains(t, h.Flashes(), "slow log reset cancelled")
	assert.False(t, h.m.Resetting())
	assert.NoFileExists(t, filepath.Join(state, "cachedeck", "audit.jsonl"))
	before, err := c.Redis().Do(context.Background(), "SLOWLOG", "LEN").Int64()
	require.NoError(t, err)
	require.Positive(t, before)

	h.Key("R")
	h.Key("y")
	require.True(t, h.m.Resetting())
	h.Until("the reset", func() bool { return !h.m.Resetting() && !h.m.Loading() })
	assert.Contains(t, h.Flashes(), "slow log reset on 1 node")

	entries, err := audit.ReadTail(filepath.Join(state, "cachedeck", "audit.jsonl"), 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Attempted, entries[0].Outcome)
	assert.Equal(t, audit.Done, entries[1].Outcome)
	for _, e := range entries {
		assert.Equal(t, "slowlog-reset", e.Action)
		assert.Equal(t, c.Addr, e.Server)
		assert.Equal(t, "test", e.Profile)
		assert.Equal(t, "1 node(s)", e.Target)
	}
	// The reload after the reset sees only what ran since.
	assert.Less(t, len(h.m.Entries()), int(before))
}

func TestAuditFailureBlocksTheReset(t *testing.T) {
	c := slowServer(t)
	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))
	h := newHarness(t, c, 76, 18, false, func(m *Model) { m.c.AuditPath = filepath.Join(blocker, "sub", "audit.jsonl") })
	h.Until("the slow log", h.m.Loaded)
	before, err := c.Redis().Do(context.Background(), "SLOWLOG", "LEN").Int64()
	require.NoError(t, err)
	h.Key("R")
	h.Key("y")
	h.Until("the refusal", func() bool { return !h.m.Resetting() })
	require.NotEmpty(t, h.Flashes())
	assert.Contains(t, h.Flashes()[len(h.Flashes())-1], "slow log NOT reset: cannot write the audit log")
	after, err := c.Redis().Do(context.Background(), "SLOWLOG", "LEN").Int64()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, after, before, "nothing was reset")
}

func TestReadOnlyHidesReset(t *testing.T) {
	c := slowServer(t)
	h := newHarness(t, c, 76, 18, true)
	h.Until("the slow log", h.m.Loaded)
	assert.NotContains(t, helpKeys(h.m), "R")
	h.Key("R")
	assert.False(t, h.m.Confirming())
	assert.False(t, h.m.Resetting())
	assert.Contains(t, h.Flashes(), "read-only session: the slow log cannot be reset")
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18)), "read-only")
}

func helpKeys(m *Model) []string {
	var out []string
	for _, b := range m.ShortHelp() {
		out = append(out, b.Help().Key)
	}
	for _, g := range m.FullHelp() {
		for _, b := range g {
			out = append(out, b.Help().Key)
		}
	}
	return out
}

func TestRestrictedUserSeesWhy(t *testing.T) {
	srv := redistest.Restricted(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.AdminUser, Password: srv.AdminPassword})
	h := newHarness(t, c, 76, 18, false)
	h.Until("the slow log", h.m.Loaded)
	require.Error(t, h.m.Err())
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18))
	assert.Contains(t, v, "unavailable: SLOWLOG GET denied by ACL: NOPERM")
	assert.Contains(t, v, "latency monitor unavailable: LATENCY LATEST denied by ACL: NOPERM")
	assert.NotContains(t, helpKeys(h.m), "R", "a refused slow log offers no reset")
	h.Key("R")
	assert.False(t, h.m.Confirming())
	h.Key("s")
	h.Key("enter")
	viewtest.RequireSafeView(t, h.m, 76, 18)
}

func TestClusterResetNamesEveryNode(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	require.NoError(t, c.ForEachNode(context.Background(), func(ctx context.Context, n *redis.Client) error {
		return n.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err()
	}))
	h := newHarness(t, c, 116, 34, false)
	h.Until("the slow log", h.m.Loaded)
	require.NoError(t, h.m.Err())
	nodes := map[string]bool{}
	for _, e := range h.m.Entries() {
		nodes[e.Node] = true
	}
	assert.Len(t, nodes, 3, "entries from every master")
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 116, 34))
	assert.Contains(t, v, "node")
	assert.Contains(t, v, "3 nodes")
	h.Key("R")
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 116, 34)), "Reset the slow log on 3 node(s)?")
	h.Key("esc")
	assert.False(t, h.m.Confirming())
}

func TestSizes(t *testing.T) {
	c := slowServer(t)
	h := newHarness(t, c, 80, 24, false)
	h.Until("the slow log", h.m.Loaded)
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {76, 18}, {0, 0}, {1, 1}, {10, 3}, {0, 5}, {5, 0}} {
		h.m.SetSize(sz[0], sz[1])
		viewtest.RequireSafeView(t, h.m, sz[0], sz[1])
		h.Key("enter")
		viewtest.RequireSafeView(t, h.m, sz[0], sz[1])
		h.Key("esc")
		h.Key("R")
		viewtest.RequireSafeView(t, h.m, sz[0], sz[1])
		h.Key("esc")
	}
	h.m.c.Styles = styles.New(styles.Options{Dark: true, ASCII: true})
	for w := range 90 {
		h.m.SetSize(w, 10)
		viewtest.RequireSafeView(t, h.m, w, 10)
	}
	empty := newHarness(t, nil, 40, 5, false)
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, empty.m, 40, 5)), "not connected")
}

// With CONFIG renamed away the threshold is unknown: the pane says so and
// does not ask again on the next load.
func TestLatencyMonitorWithoutConfig(t *testing.T) {
	srv := redistest.Standalone(t, `rename-command CONFIG ""`, "latency-monitor-threshold 1")
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	h := newHarness(t, c, 100, 20, false)
	h.Until("the slow log", h.m.Loaded)
	require.NoError(t, h.m.Err())
	assert.True(t, h.m.thrRefused)
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 100, 20)), "latency monitor no events: off or no spikes (threshold unknown: CONFIG refused)")

	// A spike over 1 ms shows up as an event.
	require.NoError(t, c.Redis().Eval(context.Background(), "local i = 0 while i < 3000000 do i = i + 1 end return i", nil).Err())
	h.Key("r")
	h.Until("the reload", func() bool { return !h.m.Loading() })
	assert.True(t, h.m.thrRefused, "still known as refused, not asked again")
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 100, 20))
	assert.Contains(t, v, "event(s), worst first")
	assert.Contains(t, v, "command")
}
