package redisops

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// GovernorOptions tune a Governor; zero fields take the defaults.
type GovernorOptions struct {
	// Budget is the p99 PING latency the server should keep while
	// background work runs (default 5 ms).
	Budget time.Duration
	// Probe is the interval between two PINGs of one node (default 50 ms).
	Probe time.Duration
	// Window is how many recent PINGs the p99 is taken over (default 40:
	// two seconds at the default interval).
	Window int
	// MinPause and MaxPause bound the pause Wait takes before each batch
	// (defaults 0 and 1 s).
	MinPause, MaxPause time.Duration
}

// Governor defaults.
const (
	DefaultGovernorBudget   = 5 * time.Millisecond
	DefaultGovernorProbe    = 50 * time.Millisecond
	DefaultGovernorWindow   = 40
	DefaultGovernorMaxPause = time.Second
)

// governorStep is the smallest pause the governor adds when it starts
// backing off: about one batch's worth of server time.
const governorStep = time.Millisecond

func (o GovernorOptions) normalize() GovernorOptions {
	if o.Budget <= 0 {
		o.Budget = DefaultGovernorBudget
	}
	if o.Probe <= 0 {
		o.Probe = DefaultGovernorProbe
	}
	if o.Window <= 0 {
		o.Window = DefaultGovernorWindow
	}
	if o.MinPause < 0 {
		o.MinPause = 0
	}
	if o.MaxPause <= 0 {
		o.MaxPause = DefaultGovernorMaxPause
	}
	if o.MaxPause < o.MinPause {
		o.MaxPause = o.MinPause
	}
	return o
}

// Governor paces background work (a memory breakdown, a bulk
// invalidation) so that the server stays responsive to the application.
// Started, it PINGs every master on a dedicated connection of its own, so
// the probe never queues behind the work's pipelines, and keeps each
// node's p99 over the last Window samples. Workers call Wait (or WaitNode
// with the address of the node they are about to load) before each batch:
// the pause doubles with each slow PING while the node's p99 is over
// budget, holds while the window still remembers slow PINGs or the p99
// is within a quarter of the budget, and shrinks by an eighth (at least
// 1 ms) per probe once the p99 is well under budget. A PING outstanding
// for longer than the budget also holds Wait until it is answered: a
// server that does not answer in budget gets no more work. The first
// PING of the probe connection (dial and handshake) is not a sample (see
// run).
//
// A Governor is safe for concurrent use. Before Start (or after Stop)
// Wait only observes MinPause and cancellation.
type Governor struct {
	c *Client
	o GovernorOptions

	mu      sync.Mutex
	nodes   map[string]*govNode // by address
	order   []string            // addresses in start order
	cancel  context.CancelFunc
	done    sync.WaitGroup
	started bool

	stats govCounters // kept across Stop, for reports and benchmarks
}

// govCounters accumulate GovernorStats.
type govCounters struct {
	samples, slow             atomic.Int64
	waits, pausedWaits        atomic.Int64
	paused, stalled, maxPause atomic.Int64 // nanoseconds
}

// GovernorStats is what a governor did since it was made: how often it
// measured the server, how often the server was over budget, and how much
// time Wait took from the work.
type GovernorStats struct {
	Samples int64 // latency samples taken (warm-up PINGs excluded)
	Slow    int64 // samples over budget
	Waits   int64 // calls to Wait or WaitNode
	// PausedWaits is how many of the Waits slept a pause; Paused their
	// total. Stalled is the total time Waits were held by a PING
	// outstanding for longer than the budget.
	PausedWaits     int64
	Paused, Stalled time.Duration
	MaxPause        time.Duration // the longest pause any node reached
}

// Stats reports the governor's counters; they survive Stop.
func (g *Governor) Stats() GovernorStats {
	c := &g.stats
	return GovernorStats{
		Samples: c.samples.Load(), Slow: c.slow.Load(),
		Waits: c.waits.Load(), PausedWaits: c.pausedWaits.Load(),
		Paused: time.Duration(c.paused.Load()), Stalled: time.Duration(c.stalled.Load()),
		MaxPause: time.Duration(c.maxPause.Load()),
	}
}

// govNode is one probed node: its samples and its pause.
type govNode struct {
	addr  string
	probe *redis.Client // dedicated single connection

	mu       sync.Mutex
	window   []time.Duration // ring of the last samples
	next     int
	filled   int
	pause    time.Duration
	inflight time.Time     // start of the outstanding PING; zero when none
	answered chan struct{} // closed when the outstanding PING returns
}

// NewGovernor returns a governor for c; call Start to begin probing.
func NewGovernor(c *Client, o GovernorOptions) *Governor {
	return &Governor{c: c, o: o.normalize(), nodes: map[string]*govNode{}}
}

// Options returns the options in effect (defaults applied).
func (g *Governor) Options() GovernorOptions { return g.o }

// Start probes every master (the one server, or each master of a cluster)
// until ctx ends or Stop is called. Starting twice does nothing.
func (g *Governor) Start(ctx context.Context) {
	g.mu.Lock()
	if g.started {
		g.mu.Unlock()
		return
	}
	g.started = true
	ctx, cancel := context.WithCancel(ctx)
	g.cancel = cancel
	g.mu.Unlock()

	var mu sync.Mutex
	var found []*redis.Client
	// Listing the masters needs no round trip for a standalone server; a
	// cluster client answers from its cached topology.
	_ = g.c.ForEachNode(ctx, func(_ context.Context, node *redis.Client) error {
		mu.Lock()
		found = append(found, node)
		mu.Unlock()
		return nil
	})
	slices.SortFunc(found, func(a, b *redis.Client) int {
		switch x, y := a.Options().Addr, b.Options().Addr; {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})

	g.mu.Lock()
	defer g.mu.Unlock()
	for _, node := range found {
		opts := *node.Options()
		if _, dup := g.nodes[opts.Addr]; dup {
			continue
		}
		// One connection, no retries, no pool wait: a probe measures the
		// server, not go-redis's queue.
		opts.PoolSize = 1
		opts.MinIdleConns = 1
		opts.MaxRetries = -1
		opts.PoolTimeout = time.Second
		n := &govNode{addr: opts.Addr, probe: redis.NewClient(&opts), window: make([]time.Duration, g.o.Window), pause: g.o.MinPause}
		g.nodes[n.addr] = n
		g.order = append(g.order, n.addr)
		g.done.Add(1)
		go func() {
			defer g.done.Done()
			g.run(ctx, n)
		}()
	}
}

// Stop ends the probes and releases their connections. Wait keeps working
// (it then observes MinPause only). Stop may be called more than once.
func (g *Governor) Stop() {
	g.mu.Lock()
	cancel := g.cancel
	g.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	g.done.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range g.nodes {
		_ = n.probe.Close()
	}
	g.nodes = map[string]*govNode{}
	g.order = nil
}

// run probes one node every Probe interval until ctx ends.
//
// The first PING of a connection also dials it and says HELLO (TLS,
// AUTH, CLIENT SETINFO): 10 ms and more on an idle server, and counted as
// a sample it throttled an idle server's whole run (the window remembers
// it for two seconds, and every slow PING meanwhile doubled the pause).
// It is a warm-up, not a sample, unless it times out (a hung server is
// slow however it is reached); the same after an error, when go-redis may
// have to dial again. While outstanding it still holds Wait (see
// WaitNode). Confirming each slow PING with a second one before counting
// it was measured too and not adopted: it spared an idle server more
// pauses but let an application's p99 rise under load
// (docs/PERFORMANCE.md).
func (g *Governor) run(ctx context.Context, n *govNode) {
	tick := time.NewTicker(g.o.Probe)
	defer tick.Stop()
	// A hung server must still produce samples: a probe gives up after
	// this long and counts as that slow.
	timeout := max(time.Second, 50*g.o.Budget)
	warm := false // the probe connection is dialled and initialised
	for {
		d, res := g.ping(ctx, n, timeout)
		if ctx.Err() != nil {
			return
		}
		switch {
		case res == pingFailed:
			warm = false
		case !warm && res == pingAnswered:
			warm = true
			continue // measure at once on the ready connection
		default:
			// A timed-out PING leaves a connection go-redis will dial again.
			warm = res == pingAnswered
			n.mu.Lock()
			n.observe(d, g.o)
			pause := n.pause
			n.mu.Unlock()
			g.counted(d, pause)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pingResult says what one probe PING measured.
type pingResult int

const (
	pingAnswered pingResult = iota // a reply, or a refusal: a round trip
	pingTimedOut                   // no reply within the probe timeout: as slow as that
	pingFailed                     // a connection error: nothing measured
)

// ping sends one probe PING (or, to a user denied PING, a cheap read),
// marking it outstanding for WaitNode, and returns its latency.
func (g *Governor) ping(ctx context.Context, n *govNode, timeout time.Duration) (time.Duration, pingResult) {
	n.mu.Lock()
	n.inflight = time.Now()
	n.answered = make(chan struct{})
	n.mu.Unlock()

	pctx, cancel := context.WithTimeout(ctx, timeout)
	start := time.Now()
	var err error
	if g.c.PingRefused {
		// PING is denied to this user: any cheap read measures the same.
		err = n.probe.Exists(pctx, "cachedeck:governor-probe").Err()
	} else {
		err = n.probe.Ping(pctx).Err()
	}
	d := time.Since(start)
	timedOut := pctx.Err() != nil
	cancel()

	n.mu.Lock()
	n.inflight = time.Time{}
	close(n.answered)
	n.mu.Unlock()
	switch {
	case err == nil || IsRefusal(err):
		return d, pingAnswered
	case timedOut:
		return d, pingTimedOut
	}
	return d, pingFailed
}

// counted adds one sample to the stats.
func (g *Governor) counted(d, pause time.Duration) {
	g.stats.samples.Add(1)
	if d > g.o.Budget {
		g.stats.slow.Add(1)
	}
	for {
		cur := g.stats.maxPause.Load()
		if int64(pause) <= cur || g.stats.maxPause.CompareAndSwap(cur, int64(pause)) {
			return
		}
	}
}

// observe records one PING latency and adjusts the pause. Callers hold
// n.mu.
func (n *govNode) observe(d time.Duration, o GovernorOptions) {
	n.window[n.next] = d
	n.next = (n.next + 1) % len(n.window)
	n.filled = min(n.filled+1, len(n.window))
	p99 := n.p99()
	switch {
	case p99 > o.Budget && d > o.Budget:
		// Still slow: back off multiplicatively.
		n.pause = min(o.MaxPause, max(2*n.pause, n.pause+governorStep, o.MinPause))
	case p99 > o.Budget*3/4:
		// The window still remembers a slow spell, or the p99 is close to
		// the budget: hold. The band keeps the pause where it brought the
		// p99 under budget instead of letting it go and come back.
	default:
		// Well under budget: give the time back slowly, an eighth (at least
		// a step) per probe.
		n.pause = max(o.MinPause, n.pause-max(governorStep, n.pause/8))
	}
}

// p99 of the samples held; callers hold n.mu.
func (n *govNode) p99() time.Duration {
	if n.filled == 0 {
		return 0
	}
	s := make([]time.Duration, n.filled)
	if n.filled < len(n.window) {
		copy(s, n.window[:n.filled])
	} else {
		copy(s, n.window)
	}
	slices.Sort(s)
	i := (99*len(s)+99)/100 - 1 // nearest rank
	return s[max(0, i)]
}

// Wait paces the next batch for the slowest node: see WaitNode.
func (g *Governor) Wait(ctx context.Context) error { return g.WaitNode(ctx, "") }

// WaitNode is called before each batch of work sent to the node at addr
// (redis.Options.Addr; "" for whichever node is slowest). If the node has
// a PING outstanding for longer than the budget it waits for the answer;
// then it sleeps the node's current pause. It returns ctx.Err() when ctx
// ends first.
func (g *Governor) WaitNode(ctx context.Context, addr string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g.stats.waits.Add(1)
	n := g.node(addr)
	pause := g.o.MinPause
	if n != nil {
		n.mu.Lock()
		stalled := !n.inflight.IsZero() && time.Since(n.inflight) > g.o.Budget
		answered := n.answered
		n.mu.Unlock()
		if stalled {
			start := time.Now()
			select {
			case <-answered:
				g.stats.stalled.Add(int64(time.Since(start)))
			case <-ctx.Done():
				g.stats.stalled.Add(int64(time.Since(start)))
				return ctx.Err()
			}
		}
		n.mu.Lock()
		pause = n.pause
		n.mu.Unlock()
	}
	if pause <= 0 {
		return nil
	}
	start := time.Now()
	defer func() {
		g.stats.pausedWaits.Add(1)
		g.stats.paused.Add(int64(time.Since(start)))
	}()
	t := time.NewTimer(pause)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// node returns the probe of addr, or the one with the longest pause (then
// the highest p99) when addr is "" or unknown; nil before Start.
func (g *Governor) node(addr string) *govNode {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := g.nodes[addr]; n != nil {
		return n
	}
	var worst *govNode
	var wp, wl time.Duration
	for _, a := range g.order {
		n := g.nodes[a]
		n.mu.Lock()
		p, l := n.pause, n.p99()
		n.mu.Unlock()
		if worst == nil || p > wp || (p == wp && l > wl) {
			worst, wp, wl = n, p, l
		}
	}
	return worst
}

// P99 is the highest p99 PING latency over the probed nodes (0 before the
// first sample).
func (g *Governor) P99() time.Duration {
	var out time.Duration
	g.each(func(n *govNode) { out = max(out, n.p99()) })
	return out
}

// Pause is the longest current pause over the probed nodes.
func (g *Governor) Pause() time.Duration {
	out := g.o.MinPause
	g.each(func(n *govNode) { out = max(out, n.pause) })
	return out
}

// NodeState is one probed node as the governor sees it.
type NodeState struct {
	Addr    string
	P99     time.Duration
	Pause   time.Duration
	Samples int
}

// Nodes reports every probed node, in address order.
func (g *Governor) Nodes() []NodeState {
	var out []NodeState
	g.each(func(n *govNode) {
		out = append(out, NodeState{Addr: n.addr, P99: n.p99(), Pause: n.pause, Samples: n.filled})
	})
	return out
}

// each runs fn on every node with the node's lock held.
func (g *Governor) each(fn func(n *govNode)) {
	g.mu.Lock()
	nodes := make([]*govNode, 0, len(g.order))
	for _, a := range g.order {
		nodes = append(nodes, g.nodes[a])
	}
	g.mu.Unlock()
	for _, n := range nodes {
		n.mu.Lock()
		fn(n)
		n.mu.Unlock()
	}
}
