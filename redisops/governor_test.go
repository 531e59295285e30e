package redisops

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

func govConnect(t *testing.T, url string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, ConnOptions{URL: url, DB: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// The controller alone: multiplicative back-off while slow, hold while the
// window remembers a slow spell, step-wise recovery once under budget.
func TestGovernorControllerAIMD(t *testing.T) {
	o := GovernorOptions{Budget: 5 * time.Millisecond, Window: 10, MaxPause: 200 * time.Millisecond}.normalize()
	n := &govNode{window: make([]time.Duration, o.Window)}
	fast, slow := time.Millisecond, 50*time.Millisecond

	for range 10 {
		n.observe(fast, o)
	}
	assert.Zero(t, n.pause, "under budget: no pause")
	assert.Equal(t, fast, n.p99())

	var seen []time.Duration
	for range 10 {
		n.observe(slow, o)
		seen = append(seen, n.pause)
	}
	assert.Equal(t, []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 200, 200}, scaleMs(seen), "doubles up to MaxPause")
	assert.Equal(t, slow, n.p99())

	// Fast answers while the window still holds slow ones: hold.
	for range 9 {
		n.observe(fast, o)
		assert.Equal(t, 200*time.Millisecond, n.pause)
	}
	// The last slow sample leaves the window: shrink, an eighth at a time.
	n.observe(fast, o)
	assert.Equal(t, 175*time.Millisecond, n.pause)
	for range 60 {
		n.observe(fast, o)
	}
	assert.Zero(t, n.pause, "back to MinPause")

	// Near the budget (within a quarter): hold, neither grow nor shrink.
	n.pause = 20 * time.Millisecond
	for range 20 {
		n.observe(4*time.Millisecond, o)
	}
	assert.Equal(t, 20*time.Millisecond, n.pause, "p99 4 ms against a 5 ms budget: hold")
	for range 60 {
		n.observe(fast, o)
	}
	assert.Zero(t, n.pause)

	o.MinPause = 3 * time.Millisecond
	for range 20 {
		n.observe(fast, o)
	}
	assert.Equal(t, 3*time.Millisecond, n.pause, "never under MinPause")
}

func scaleMs(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d / time.Millisecond
	}
	return out
}

func TestGovernorDefaults(t *testing.T) {
	o := GovernorOptions{}.normalize()
	assert.Equal(t, 5*time.Millisecond, o.Budget)
	assert.Equal(t, 50*time.Millisecond, o.Probe)
	assert.Equal(t, 40, o.Window)
	assert.Equal(t, time.Duration(0), o.MinPause)
	assert.Equal(t, time.Second, o.MaxPause)
}

// A real server stalled by DEBUG SLEEP: the pause grows while the stalls
// go on and comes back to zero once they stop.
func TestGovernorBacksOffUnderLoadAndRecovers(t *testing.T) {
	srv := redistest.Standalone(t, "enable-debug-command yes")
	c := govConnect(t, srv.URL())
	// The budget is generous so that a loaded test machine does not count
	// as a loaded server; the stalls are 20 times over it.
	g := NewGovernor(c, GovernorOptions{Budget: 25 * time.Millisecond, Probe: 20 * time.Millisecond, Window: 10})
	ctx := t.Context()
	g.Start(ctx)
	defer g.Stop()
	require.Len(t, g.Nodes(), 1)
	assert.Equal(t, srv.Addr, g.Nodes()[0].Addr)

	require.Eventually(t, func() bool { return g.Nodes()[0].Samples >= 5 }, 5*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return g.Pause() == 0 }, 5*time.Second, 10*time.Millisecond, "idle server: no pause (p99 %s)", g.P99())

	// Load: back-to-back 500 ms stalls on another connection.
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for loadCtx.Err() == nil {
			_ = c.Redis().Do(context.Background(), "DEBUG", "SLEEP", "0.5").Err()
		}
	}()
	require.Eventually(t, func() bool { return g.Pause() >= 8*time.Millisecond }, 10*time.Second, 20*time.Millisecond,
		"pause %s, p99 %s", g.Pause(), g.P99())
	assert.Greater(t, g.P99(), 100*time.Millisecond)

	// Wait holds a batch while the server does not answer in budget, then
	// sleeps the pause.
	start := time.Now()
	require.NoError(t, g.WaitNode(ctx, srv.Addr))
	assert.GreaterOrEqual(t, time.Since(start), 8*time.Millisecond)
	require.NoError(t, g.Wait(ctx), "Wait with no address uses the slowest node")

	stopLoad()
	wg.Wait()
	require.Eventually(t, func() bool { return g.Pause() == 0 }, 15*time.Second, 20*time.Millisecond,
		"pause %s, p99 %s after the load stopped", g.Pause(), g.P99())
	start = time.Now()
	require.NoError(t, g.Wait(ctx))
	assert.Less(t, time.Since(start), 100*time.Millisecond)
}

func TestGovernorWaitHonoursCancel(t *testing.T) {
	srv := redistest.Standalone(t)
	c := govConnect(t, srv.URL())
	g := NewGovernor(c, GovernorOptions{MinPause: time.Hour, MaxPause: time.Hour})
	g.Start(t.Context())
	defer g.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := g.Wait(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)

	cancel()
	assert.ErrorIs(t, g.WaitNode(ctx, srv.Addr), context.DeadlineExceeded, "an ended context returns at once")

	// Stopped (or never started), Wait observes MinPause only.
	g.Stop()
	g.Stop()
	idle := NewGovernor(c, GovernorOptions{})
	require.NoError(t, idle.Wait(context.Background()))
	assert.Zero(t, idle.P99())
	assert.Empty(t, idle.Nodes())
}

func TestGovernorProbesEveryClusterMaster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := govConnect(t, "redis://"+cl.Addrs()[0])
	require.True(t, c.IsCluster())
	g := NewGovernor(c, GovernorOptions{Probe: 10 * time.Millisecond})
	g.Start(t.Context())
	defer g.Stop()
	require.Eventually(t, func() bool {
		nodes := g.Nodes()
		if len(nodes) != 3 {
			return false
		}
		for _, n := range nodes {
			if n.Samples < 3 {
				return false
			}
		}
		return true
	}, 5*time.Second, 10*time.Millisecond)
	var addrs []string
	for _, n := range g.Nodes() {
		addrs = append(addrs, n.Addr)
	}
	assert.ElementsMatch(t, cl.Addrs(), addrs)
}

// A user that may not PING is probed with a cheap read instead.
func TestGovernorWithoutPing(t *testing.T) {
	srv := redistest.Restricted(t)
	c := govConnect(t, "redis://"+srv.ReadOnlyUser+":"+srv.ReadOnlyPassword+"@"+srv.Addr)
	require.True(t, c.PingRefused)
	g := NewGovernor(c, GovernorOptions{Probe: 10 * time.Millisecond, Budget: 50 * time.Millisecond})
	g.Start(t.Context())
	defer g.Stop()
	require.Eventually(t, func() bool { n := g.Nodes(); return len(n) == 1 && n[0].Samples >= 3 }, 5*time.Second, 10*time.Millisecond)
	assert.Positive(t, g.P99())
}

// pongDelayProxy forwards TCP connections to a server and delays chosen
// replies: the first reply of every connection (the HELLO of go-redis's
// handshake) by dial, and the n-th "+PONG" of a connection by slow(n).
type pongDelayProxy struct {
	ln     net.Listener
	target string
	dial   time.Duration
	slow   func(n int) time.Duration
}

func newPongDelayProxy(t *testing.T, target string, dial time.Duration, slow func(n int) time.Duration) *pongDelayProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &pongDelayProxy{ln: ln, target: target, dial: dial, slow: slow}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(t, client)
		}
	}()
	return p
}

func (p *pongDelayProxy) addr() string { return p.ln.Addr().String() }

func (p *pongDelayProxy) serve(t *testing.T, client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		t.Errorf("proxy: %v", err)
		return
	}
	defer server.Close()
	go func() {
		_, _ = io.Copy(server, client)
		_ = server.Close()
	}()
	buf := make([]byte, 64<<10)
	for chunk, pongs := 0, 0; ; chunk++ {
		n, err := server.Read(buf)
		if n > 0 {
			delay := time.Duration(0)
			if chunk == 0 {
				delay = p.dial
			}
			if bytes.Equal(buf[:n], []byte("+PONG\r\n")) {
				pongs++
				delay += p.slow(pongs)
			}
			time.Sleep(delay)
			if _, err := client.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// An idle server is not throttled by the probe's own handshake: the first
// PING of the probe's connection (which also dials and says HELLO, made
// 3x the budget slow here) is not a latency sample. The budget is
// generous so that a busy test machine does not count as a loaded server.
func TestGovernorIdleServerIsNotThrottled(t *testing.T) {
	srv := redistest.Standalone(t)
	const budget = 100 * time.Millisecond
	proxy := newPongDelayProxy(t, srv.Addr, 3*budget, func(int) time.Duration { return 0 })
	c := govConnect(t, "redis://"+proxy.addr())
	g := NewGovernor(c, GovernorOptions{Budget: budget, Probe: 10 * time.Millisecond, Window: 10})
	g.Start(t.Context())
	defer g.Stop()

	require.Eventually(t, func() bool { return g.Stats().Samples >= 15 }, 10*time.Second, 10*time.Millisecond)
	st := g.Stats()
	assert.Zero(t, st.MaxPause, "never paused: %+v", st)
	assert.Zero(t, g.Pause())
	assert.Zero(t, st.Slow, "the slow handshake is not a slow sample: %+v", st)
	assert.Less(t, g.P99(), budget, "the handshake's %s is not in the window", 3*budget)

	// Batches go through without a pause.
	for range 100 {
		require.NoError(t, g.Wait(t.Context()))
	}
	st = g.Stats()
	assert.Zero(t, st.PausedWaits)
	assert.Zero(t, st.Paused)
	assert.GreaterOrEqual(t, st.Waits, int64(100))
}

// Protection is unchanged past the handshake: a single slow PING on a warm
// connection counts and the governor backs off one step, held while the
// window remembers it.
func TestGovernorSlowPingAfterWarmUpBacksOff(t *testing.T) {
	srv := redistest.Standalone(t)
	const budget = 100 * time.Millisecond
	proxy := newPongDelayProxy(t, srv.Addr, 0, func(n int) time.Duration {
		if n == 3 { // the second sample's PING (the first PONG is the warm-up)
			return 2 * budget
		}
		return 0
	})
	c := govConnect(t, "redis://"+proxy.addr())
	g := NewGovernor(c, GovernorOptions{Budget: budget, Probe: 10 * time.Millisecond, Window: 100})
	g.Start(t.Context())
	defer g.Stop()

	require.Eventually(t, func() bool { return g.Stats().Slow >= 1 }, 10*time.Second, 10*time.Millisecond)
	st := g.Stats()
	assert.EqualValues(t, 1, st.Slow)
	assert.Equal(t, governorStep, st.MaxPause, "one slow sample: one step of pause")
	assert.GreaterOrEqual(t, g.P99(), 2*budget, "the window holds the slow sample")
	assert.Equal(t, governorStep, g.Pause(), "held while the window remembers it")
}
