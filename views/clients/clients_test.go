package clients

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/viewtest"
	"github.com/coldcopy/cachedeck/views/widgets"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv("CLIENTS_TEST_WORKER"); addr != "" {
		os.Exit(runWorker(addr, os.Getenv("CLIENTS_TEST_WORKER_NAME")))
	}
	time.Local = time.UTC
	os.Exit(m.Run())
}

// runWorker is the child process of worker: one named connection, held
// until its stdin closes.
func runWorker(addr, name string) int {
	w := redis.NewClient(&redis.Options{Addr: addr, ClientName: name, PoolSize: 1, MaxRetries: -1})
	defer w.Close()
	id, err := w.ClientID(context.Background()).Result()
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println(id)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// worker is another application's connection: a named connection held by
// another process (one of ours would rightly count as the console's), and
// its id.
func worker(t *testing.T, addr, name string) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CLIENTS_TEST_WORKER="+addr, "CLIENTS_TEST_WORKER_NAME="+name)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	id, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	require.NoError(t, err, "worker said %q", line)
	return id
}

// cursorTo moves the cursor to the client with id.
func (h *harness) cursorTo(id int64) {
	h.T.Helper()
	h.Key("g")
	for range len(h.m.order) {
		if ci, _, ok := h.m.Selected(); ok && ci.ID == id {
			return
		}
		h.Key("down")
	}
	h.T.Fatalf("client %d not listed", id)
}

func TestListsOwnConnectionAndKillAsksFirst(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	wid := worker(t, srv.Addr, "worker-1")

	h := newHarness(t, c, 76, 18, false, func(m *Model) { m.c.Profile = "test" })
	h.Until("the list", h.m.Loaded)
	require.NoError(t, h.m.Err())

	// Our own connection is listed and marked; the worker is not ours.
	ownID := int64(-1)
	for i, ci := range h.m.Clients() {
		if ci.ID == wid {
			assert.False(t, h.m.Own(i), "the worker is not ours")
		}
		if h.m.Own(i) {
			ownID = ci.ID
		}
	}
	require.NotEqual(t, int64(-1), ownID, "our own connection is listed")
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18))
	assert.Contains(t, v, "worker-1")
	assert.Contains(t, v, "*")
	assert.Contains(t, v, "client|list")
	assert.Contains(t, v, "* this console")

	// Our own connection: no kill offered.
	h.cursorTo(ownID)
	h.Key("K")
	assert.False(t, h.m.Confirming())
	assert.Contains(t, h.Flashes()[len(h.Flashes())-1], "this console's own connection")

	// The worker: K asks, naming it; esc cancels.
	h.cursorTo(wid)
	assert.Contains(t, helpKeys(h.m), "K")
	h.Key("K")
	require.True(t, h.m.Confirming())
	assert.True(t, h.m.Capturing())
	v = ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18))
	assert.Contains(t, v, "Kill client "+strconv.FormatInt(wid, 10))
	assert.Contains(t, v, "(name worker-1)")
	h.Key("esc")
	assert.False(t, h.m.Confirming())
	assert.False(t, h.m.Killing())
	assert.NoFileExists(t, filepath.Join(state, "cachedeck", "audit.jsonl"))

	h.Key("K")
	h.Key("y")
	require.True(t, h.m.Killing())
	h.Until("the kill and the reload", func() bool { return !h.m.Killing() && !h.m.Loading() })
	for _, ci := range h.m.Clients() {
		assert.NotEqual(t, wid, ci.ID, "the worker's connection is gone")
	}
	entries, err := audit.ReadTail(filepath.Join(state, "cachedeck", "audit.jsonl"), 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, []string{audit.Attempted, audit.Done}, []string{entries[0].Outcome, entries[1].Outcome})
	assert.Equal(t, "client-kill", entries[1].Action)
	assert.Contains(t, entries[1].Target, "id "+strconv.FormatInt(wid, 10))
	assert.Contains(t, entries[1].Target, "name worker-1")
	assert.Equal(t, "test", entries[1].Profile)
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

func TestSortCyclesAndRefreshes(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	worker(t, srv.Addr, "a")
	worker(t, srv.Addr, "b")
	h := newHarness(t, c, 120, 40, false, func(m *Model) { m.Refresh = 10 * time.Millisecond })
	h.Until("the list", h.m.Loaded)
	assert.Equal(t, ByIdle, h.m.SortOrder())
	check := func(less func(a, b redisops.ClientInfo) bool) {
		t.Helper()
		for r := 1; r < len(h.m.order); r++ {
			a, b := h.m.list[h.m.order[r-1]], h.m.list[h.m.order[r]]
			assert.False(t, less(b, a), "row %d before row %d", r-1, r)
		}
	}
	check(func(a, b redisops.ClientInfo) bool { return a.Idle > b.Idle })
	h.Key("s")
	assert.Equal(t, ByAge, h.m.SortOrder())
	check(func(a, b redisops.ClientInfo) bool { return a.Age > b.Age })
	h.Key("s")
	assert.Equal(t, ByAddr, h.m.SortOrder())
	check(func(a, b redisops.ClientInfo) bool { return compareAddr(a.Addr, b.Addr) < 0 })
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 120, 40)), "address▼")
	h.Key("s")
	assert.Equal(t, ByIdle, h.m.SortOrder())
}

// pump handles the pane's messages for d.
func (h *harness) pump(d time.Duration) {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		h.Next(10 * time.Millisecond)
	}
}

func TestRefreshesOnlyWhileShown(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	const refresh = 50 * time.Millisecond
	h := newHarness(t, c, 76, 18, false, func(m *Model) { m.Refresh = refresh })
	h.Until("the list", h.m.Loaded)

	// Shown, the list reloads on its own.
	n := h.m.loads
	h.Until("an automatic refresh", func() bool { return h.m.loads > n })

	// Hidden, it does not.
	h.Run(h.m.SetShown(false))
	h.Until("the refresh in flight", func() bool { return !h.m.Loading() })
	n = h.m.loads
	h.pump(10 * refresh)
	assert.Equal(t, n, h.m.loads, "no refresh while hidden")

	// Hidden and shown twice, half a refresh apart (two chains left running
	// would not tick in step): it reloads at once, then keeps one chain.
	for range 2 {
		h.Run(h.m.SetShown(false))
		h.Run(h.m.SetShown(true))
		h.pump(refresh / 2)
	}
	h.Run(h.m.SetShown(true)) // the frame never does this; it must not matter
	h.Until("the reload on being shown", func() bool { return h.m.loads > n })
	n = h.m.loads
	start := time.Now()
	h.pump(20 * refresh)
	// One chain ticks at most once per refresh in the window, plus a load
	// started before it that lands inside.
	got, most := h.m.loads-n, int(time.Since(start)/refresh)+2
	assert.GreaterOrEqual(t, got, 2, "it refreshes while shown")
	assert.LessOrEqual(t, got, most, "one refresh chain, not two or three")
}

// Every SetShown(true) starts a chain; only the last one's ticks go on.
// The commands are run by hand, so no tick can fire between the calls.
func TestShowHideShowKeepsOneRefreshChain(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	m := New(viewtest.NewCommon(c, false))
	m.Refresh = time.Millisecond
	m.SetSize(76, 18)
	require.Nil(t, m.Init(), "nothing is asked before the pane is shown")

	var started []tea.Cmd
	started = append(started, m.SetShown(true))
	assert.Nil(t, m.SetShown(true), "showing a shown pane starts nothing")
	assert.Nil(t, m.SetShown(false))
	started = append(started, m.SetShown(true))
	assert.Nil(t, m.SetShown(false))
	started = append(started, m.SetShown(true))

	ticks := runForTicks(m, started...)
	require.Len(t, ticks, 3, "one tick per SetShown(true)")
	var next []widgets.PollMsg
	for _, tick := range ticks {
		next = append(next, runForTicks(m, m.Update(tick))...)
	}
	require.Len(t, next, 1, "only one chain goes on")
	assert.Equal(t, ticks[2].Seq, next[0].Seq, "the last one")
	assert.Positive(t, m.loads)

	// Hidden, the live chain's next tick ends it.
	assert.Nil(t, m.SetShown(false))
	assert.Nil(t, m.Update(next[0]))
}

// runForTicks runs cmds and what they batch, gives the pane every message
// but its refresh ticks (its loads), and returns those ticks.
func runForTicks(m *Model, cmds ...tea.Cmd) []widgets.PollMsg {
	var ticks []widgets.PollMsg
	for _, cmd := range cmds {
		if cmd == nil {
			continue
		}
		switch msg := cmd().(type) {
		case tea.BatchMsg:
			ticks = append(ticks, runForTicks(m, msg...)...)
		case widgets.PollMsg:
			ticks = append(ticks, msg)
		default:
			m.Update(msg)
		}
	}
	return ticks
}

func TestReadOnlyHidesKill(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	wid := worker(t, srv.Addr, "worker")
	h := newHarness(t, c, 76, 18, true)
	h.Until("the list", h.m.Loaded)
	assert.NotContains(t, helpKeys(h.m), "K")
	h.cursorTo(wid)
	h.Key("K")
	assert.False(t, h.m.Confirming())
	assert.Contains(t, h.Flashes(), "read-only session: clients cannot be killed")
}

func TestRestrictedUserSeesWhy(t *testing.T) {
	srv := redistest.Restricted(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.AdminUser, Password: srv.AdminPassword})
	h := newHarness(t, c, 76, 18, false)
	h.Until("the list", h.m.Loaded)
	require.Error(t, h.m.Err())
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 76, 18))
	assert.Contains(t, v, "unavailable: CLIENT LIST denied by ACL: NOPERM")
	assert.NotContains(t, helpKeys(h.m), "K")
	h.Key("K")
	h.Key("s")
	assert.False(t, h.m.Confirming())
	viewtest.RequireSafeView(t, h.m, 76, 18)
}

func TestClusterListsEveryNode(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	h := newHarness(t, c, 116, 34, false)
	h.Until("the list", h.m.Loaded)
	require.NoError(t, h.m.Err())
	nodes := map[string]bool{}
	for _, ci := range h.m.Clients() {
		nodes[ci.Node] = true
	}
	assert.Len(t, nodes, 3)
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 116, 34))
	for _, a := range cl.Addrs() {
		assert.Contains(t, v, a)
	}
}

func TestSizes(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	worker(t, srv.Addr, "w-"+strings.Repeat("x", 60))
	h := newHarness(t, c, 80, 24, false)
	h.Until("the list", h.m.Loaded)
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {76, 18}, {0, 0}, {1, 1}, {10, 3}, {0, 5}, {5, 0}} {
		h.m.SetSize(sz[0], sz[1])
		viewtest.RequireSafeView(t, h.m, sz[0], sz[1])
		h.Key("G")
		h.Key("K")
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

func TestProcEndpoints(t *testing.T) {
	ep, ok := procEndpoint("0100007F:1F90")
	require.True(t, ok)
	want, _ := parseEndpoint("127.0.0.1:8080")
	assert.Equal(t, want, ep)
	ep, ok = procEndpoint("0000000000000000FFFF00000100007F:1F90")
	require.True(t, ok)
	assert.Equal(t, want, ep, "an IPv4-mapped IPv6 socket is the same address")
	ep, ok = procEndpoint("00000000000000000000000001000000:0050")
	require.True(t, ok)
	want, _ = parseEndpoint("[::1]:80")
	assert.Equal(t, want, ep)
	want2, ok := parseEndpoint("::1:80")
	require.True(t, ok)
	assert.Equal(t, want, want2)
	_, ok = procEndpoint("zz:1")
	assert.False(t, ok)
	_, ok = parseEndpoint("/tmp/redis.sock:0")
	assert.False(t, ok)
	assert.NotEmpty(t, localSockets() != nil, "Linux has /proc")
}

// Every connection of this process counts as the console's, not just the
// one that ran CLIENT LIST (the /proc rule; Linux without NAT).
func TestSameProcessConnectionsAreOurs(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	same := redis.NewClient(&redis.Options{Addr: srv.Addr, ClientName: "pooled", PoolSize: 1})
	t.Cleanup(func() { _ = same.Close() })
	id, err := same.ClientID(context.Background()).Result()
	require.NoError(t, err)
	h := newHarness(t, c, 76, 18, false)
	h.Until("the list", h.m.Loaded)
	found := false
	for i, ci := range h.m.Clients() {
		if ci.ID == id {
			found = true
			assert.True(t, h.m.Own(i))
		}
	}
	assert.True(t, found)
}

// Nothing is asked before the pane is shown, not even when the connection
// comes back.
func TestLoadsOnlyOnceShown(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	m := New(viewtest.NewCommon(c, false))
	m.SetSize(76, 18)
	h := &harness{Harness: viewtest.New(t, m.Update), m: m}
	t.Cleanup(h.Close)
	h.Run(m.Init())
	h.Dispatch(views.ConnRestoredMsg{})
	h.Drain()
	assert.False(t, m.Loaded())
	assert.False(t, m.Loading())
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, m, 76, 18)), "loading the client list")
	h.Run(m.SetShown(true))
	h.Until("the list", m.Loaded)
}
