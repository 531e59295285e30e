package redisops

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stats is one node's INFO at one moment, plus the rates computed from the
// previous poll of the same node. Unknown numbers are -1 where noted.
type Stats struct {
	Node string
	At   time.Time

	OpsPerSec float64 // instantaneous_ops_per_sec (the server's own short average)
	// HitRate is keyspace_hits / (hits + misses) over the last interval, as
	// a ratio 0..1; -1 when unknown (first poll, or no reads in the interval).
	HitRate float64
	// HitRateTotal is the same ratio since the server started; -1 when
	// there were no reads at all.
	HitRateTotal float64

	UsedMemory      int64
	MaxMemory       int64 // 0 = no limit
	MaxMemoryPolicy string
	FragRatio       float64 // mem_fragmentation_ratio (RSS / used_memory)

	ConnectedClients, BlockedClients int64
	// MaxClients comes from INFO (Redis 7+) or, when INFO lacks it, from
	// CONFIG GET maxclients; -1 when CONFIG is refused (reason in Unavailable).
	MaxClients int64

	// Rates per second between this poll and the previous one; -1 on the
	// first poll (and after a server restart).
	EvictedPerSec, ExpiredPerSec float64
	NetInBps, NetOutBps          float64 // bytes per second
	CPUPercent                   float64 // used_cpu_sys+used_cpu_user; 100 = one core busy

	Keyspace map[int]DBKeys

	RDBLastSave         time.Time // zero when unknown
	RDBLastBgsaveStatus string    // ok, err
	RDBBgsaveInProgress bool
	AOFEnabled          bool
	AOFLastWriteStatus  string

	Role              string // master, slave
	ConnectedReplicas int
	Replicas          []Replica
	MasterLinkStatus  string // up, down on a replica; empty on a master

	// Unavailable says what could not be read and why ("maxclients": "CONFIG
	// renamed or blocked on this server: ...", "info": ...).
	Unavailable map[string]string
}

// DBKeys is one line of INFO keyspace.
type DBKeys struct {
	Keys, Expires int64
	AvgTTLms      int64
}

// Replica is one connected replica as its master sees it.
type Replica struct {
	Addr       string // ip:port
	State      string // online, wait_bgsave, send_bulk...
	Offset     int64  // replication offset the replica acknowledged
	LagBytes   int64  // master_repl_offset - Offset
	LagSeconds int64  // seconds since the replica's last ACK (INFO's lag)
}

// StatsReport is one poll of every node. Aggregate is the one node itself on
// a standalone server; on a cluster it sums counts and rates, takes the
// busiest node's CPU and the worst fragmentation, and computes the hit rate
// from the summed hits and misses.
type StatsReport struct {
	Nodes     []Stats
	Aggregate Stats
	Cluster   bool
}

// StatsPoller polls INFO and remembers the previous sample of each node, so
// that it can report rates. Use it from one goroutine.
type StatsPoller struct {
	c    *Client
	prev map[string]infoSample

	maxClientsDone bool // CONFIG GET maxclients answered or was refused
	maxClients     int64
	maxClientsWhy  string
}

// infoSample holds the cumulative counters rates are computed from.
type infoSample struct {
	at                time.Time
	runID             string
	hits, misses      int64
	evicted, expired  int64
	netIn, netOut     int64
	cpu               float64
	countersOK, cpuOK bool
	dHits, dMisses    int64 // this interval's deltas; -1 when unknown
}

// NewStatsPoller returns a poller for c. Its first Poll has no rates.
func NewStatsPoller(c *Client) *StatsPoller {
	return &StatsPoller{c: c, prev: map[string]infoSample{}}
}

// Poll runs INFO (default sections) on every node concurrently. A node whose
// INFO fails is reported with Unavailable["info"]; when INFO fails on every
// node Poll returns an *OpError naming INFO and the reason.
func (p *StatsPoller) Poll(ctx context.Context) (StatsReport, error) {
	var mu sync.Mutex
	infos := map[string]map[string]map[string]string{}
	at := map[string]time.Time{}
	errs, err := p.c.eachNode(ctx, func(ctx context.Context, name string, node *redis.Client) error {
		m, err := node.InfoMap(ctx).Result()
		if err == nil {
			mu.Lock()
			infos[name] = m
			at[name] = time.Now()
			mu.Unlock()
		}
		return err
	})
	if err != nil {
		return StatsReport{}, &OpError{Op: "INFO", Nodes: map[string]error{p.c.Addr: err}, Total: 1}
	}
	if failed := failures(errs); len(failed) == len(errs) {
		return StatsReport{}, &OpError{Op: "INFO", Nodes: failed, Total: len(errs)}
	}

	names := make([]string, 0, len(errs))
	for name := range errs {
		names = append(names, name)
	}
	sort.Strings(names)

	rep := StatsReport{Cluster: p.c.IsCluster()}
	samples := make([]infoSample, 0, len(names))
	needMaxClients := false
	for _, name := range names {
		info, ok := infos[name]
		if !ok {
			why := Describe(errs[name])
			rep.Nodes = append(rep.Nodes, unknownStats(name, time.Now(), "INFO "+why))
			delete(p.prev, name)
			continue
		}
		s, cur := parseStats(name, info, at[name])
		prev, seen := p.prev[name]
		applyDeltas(&s, &cur, prev, seen)
		p.prev[name] = cur
		samples = append(samples, cur)
		if s.MaxClients < 0 {
			needMaxClients = true
		}
		rep.Nodes = append(rep.Nodes, s)
	}
	for name := range p.prev {
		if _, ok := errs[name]; !ok {
			delete(p.prev, name) // a node that left the cluster
		}
	}

	if needMaxClients {
		p.fetchMaxClients(ctx)
		for i := range rep.Nodes {
			s := &rep.Nodes[i]
			if s.MaxClients >= 0 || s.Unavailable["info"] != "" {
				continue
			}
			s.MaxClients = p.maxClients
			if p.maxClients < 0 {
				s.Unavailable["maxclients"] = p.maxClientsWhy
			}
		}
	}
	rep.Aggregate = aggregate(p.c, rep, samples)
	return rep, nil
}

// fetchMaxClients asks CONFIG GET maxclients once. A refusal (CONFIG renamed
// away, blocked by DigitalOcean, denied by ACL) is remembered; another
// failure is retried on the next poll.
func (p *StatsPoller) fetchMaxClients(ctx context.Context) {
	if p.maxClientsDone {
		return
	}
	var once sync.Once
	_, err := p.c.eachNode(ctx, func(ctx context.Context, _ string, node *redis.Client) error {
		once.Do(func() {
			m, err := node.ConfigGet(ctx, "maxclients").Result()
			switch {
			case err != nil && IsRefusal(err):
				p.maxClientsDone, p.maxClients, p.maxClientsWhy = true, -1, "CONFIG "+Refusal(err)
			case err != nil:
				p.maxClients, p.maxClientsWhy = -1, "CONFIG GET maxclients failed: "+Describe(err)
			default:
				n, perr := strconv.ParseInt(m["maxclients"], 10, 64)
				if perr != nil {
					p.maxClients, p.maxClientsWhy = -1, "CONFIG GET maxclients gave no number"
				} else {
					p.maxClientsDone, p.maxClients, p.maxClientsWhy = true, n, ""
				}
			}
		})
		return nil
	})
	if err != nil && !p.maxClientsDone {
		p.maxClients, p.maxClientsWhy = -1, "CONFIG GET maxclients failed: "+Describe(err)
	}
}

// unknownStats is a node whose INFO failed: every number unknown.
func unknownStats(name string, at time.Time, why string) Stats {
	return Stats{
		Node: name, At: at,
		HitRate: -1, HitRateTotal: -1, MaxClients: -1,
		EvictedPerSec: -1, ExpiredPerSec: -1, NetInBps: -1, NetOutBps: -1, CPUPercent: -1,
		Keyspace:    map[int]DBKeys{},
		Unavailable: map[string]string{"info": why},
	}
}

// parseStats reads one node's INFO. Fields a server does not report keep
// their "unknown" values; unknown fields are ignored.
func parseStats(name string, info map[string]map[string]string, localAt time.Time) (Stats, infoSample) {
	f := map[string]string{}
	for _, sec := range info {
		for k, v := range sec {
			f[k] = v
		}
	}
	i64 := func(k string) (int64, bool) {
		n, err := strconv.ParseInt(strings.TrimSpace(f[k]), 10, 64)
		return n, err == nil
	}
	f64 := func(k string) (float64, bool) {
		n, err := strconv.ParseFloat(strings.TrimSpace(f[k]), 64)
		return n, err == nil
	}
	num := func(k string) int64 { n, _ := i64(k); return n }
	fl := func(k string) float64 { n, _ := f64(k); return n }

	s := unknownStats(name, localAt, "")
	delete(s.Unavailable, "info")
	s.OpsPerSec = fl("instantaneous_ops_per_sec")
	s.UsedMemory = num("used_memory")
	s.MaxMemory = num("maxmemory")
	s.MaxMemoryPolicy = f["maxmemory_policy"]
	s.FragRatio = fl("mem_fragmentation_ratio")
	s.ConnectedClients = num("connected_clients")
	s.BlockedClients = num("blocked_clients")
	if n, ok := i64("maxclients"); ok {
		s.MaxClients = n
	}
	if t := num("rdb_last_save_time"); t > 0 {
		s.RDBLastSave = time.Unix(t, 0)
	}
	s.RDBLastBgsaveStatus = f["rdb_last_bgsave_status"]
	s.RDBBgsaveInProgress = f["rdb_bgsave_in_progress"] == "1"
	s.AOFEnabled = f["aof_enabled"] == "1"
	s.AOFLastWriteStatus = f["aof_last_write_status"]
	s.Role = f["role"]
	s.MasterLinkStatus = f["master_link_status"]
	s.ConnectedReplicas = int(num("connected_slaves"))

	hits, hOK := i64("keyspace_hits")
	misses, mOK := i64("keyspace_misses")
	if hOK && mOK && hits+misses > 0 {
		s.HitRateTotal = float64(hits) / float64(hits+misses)
	}

	for k, v := range info["Keyspace"] {
		db, ok := strings.CutPrefix(k, "db")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(db)
		if err != nil {
			continue
		}
		kv := parseKV(v, ",")
		keys, _ := strconv.ParseInt(kv["keys"], 10, 64)
		expires, _ := strconv.ParseInt(kv["expires"], 10, 64)
		ttl, _ := strconv.ParseInt(kv["avg_ttl"], 10, 64)
		s.Keyspace[n] = DBKeys{Keys: keys, Expires: expires, AvgTTLms: ttl}
	}

	masterOffset := num("master_repl_offset")
	for i := 0; ; i++ {
		v, ok := f["slave"+strconv.Itoa(i)]
		if !ok {
			break
		}
		kv := parseKV(v, ",")
		off, _ := strconv.ParseInt(kv["offset"], 10, 64)
		lag, _ := strconv.ParseInt(kv["lag"], 10, 64)
		addr := kv["ip"]
		if kv["port"] != "" {
			addr = net.JoinHostPort(kv["ip"], kv["port"])
		}
		s.Replicas = append(s.Replicas, Replica{Addr: addr, State: kv["state"], Offset: off, LagBytes: max(masterOffset-off, 0), LagSeconds: lag})
	}

	cur := infoSample{at: localAt, runID: f["run_id"], hits: hits, misses: misses, dHits: -1, dMisses: -1}
	if usec, ok := i64("server_time_usec"); ok && usec > 0 {
		cur.at = time.UnixMicro(usec) // the server's clock: no network jitter in the interval
	}
	var ok [4]bool
	cur.evicted, ok[0] = i64("evicted_keys")
	cur.expired, ok[1] = i64("expired_keys")
	cur.netIn, ok[2] = i64("total_net_input_bytes")
	cur.netOut, ok[3] = i64("total_net_output_bytes")
	cur.countersOK = hOK && mOK && ok[0] && ok[1] && ok[2] && ok[3]
	sys, sysOK := f64("used_cpu_sys")
	user, userOK := f64("used_cpu_user")
	cur.cpu, cur.cpuOK = sys+user, sysOK && userOK
	return s, cur
}

// applyDeltas fills the rates of s from the previous sample of the same
// node. A restart (new run_id or counters going backwards) starts over.
func applyDeltas(s *Stats, cur *infoSample, prev infoSample, seen bool) {
	if !seen || prev.runID != cur.runID || !cur.countersOK || !prev.countersOK {
		return
	}
	dt := cur.at.Sub(prev.at).Seconds()
	if dt <= 0 {
		return
	}
	dh, dm := cur.hits-prev.hits, cur.misses-prev.misses
	de, dx := cur.evicted-prev.evicted, cur.expired-prev.expired
	di, do := cur.netIn-prev.netIn, cur.netOut-prev.netOut
	if dh < 0 || dm < 0 || de < 0 || dx < 0 || di < 0 || do < 0 {
		return // counters were reset (CONFIG RESETSTAT)
	}
	cur.dHits, cur.dMisses = dh, dm
	if dh+dm > 0 {
		s.HitRate = float64(dh) / float64(dh+dm)
	}
	s.EvictedPerSec = float64(de) / dt
	s.ExpiredPerSec = float64(dx) / dt
	s.NetInBps = float64(di) / dt
	s.NetOutBps = float64(do) / dt
	if cur.cpuOK && prev.cpuOK && cur.cpu >= prev.cpu {
		s.CPUPercent = (cur.cpu - prev.cpu) / dt * 100
	}
}

// aggregate sums a cluster's nodes; a standalone server's aggregate is the
// node itself.
func aggregate(c *Client, rep StatsReport, samples []infoSample) Stats {
	if !rep.Cluster && len(rep.Nodes) == 1 {
		a := rep.Nodes[0]
		a.Keyspace = cloneMap(a.Keyspace)
		a.Unavailable = cloneMap(a.Unavailable)
		a.Replicas = append([]Replica(nil), a.Replicas...)
		return a
	}
	var known []Stats
	a := Stats{
		Node: fmt.Sprintf("cluster at %s (%d masters)", c.Addr, len(rep.Nodes)), At: time.Now(),
		HitRate: -1, HitRateTotal: -1,
		Keyspace: map[int]DBKeys{}, Unavailable: map[string]string{},
	}
	for _, s := range rep.Nodes {
		for k, v := range s.Unavailable {
			a.Unavailable[k+"@"+s.Node] = v
		}
		if s.Unavailable["info"] == "" {
			known = append(known, s)
		}
	}
	rates := []*float64{&a.EvictedPerSec, &a.ExpiredPerSec, &a.NetInBps, &a.NetOutBps}
	policies := map[string]bool{}
	roles := map[string]bool{}
	allLimited := true
	for i, s := range known {
		a.OpsPerSec += s.OpsPerSec
		a.UsedMemory += s.UsedMemory
		a.MaxMemory += s.MaxMemory
		allLimited = allLimited && s.MaxMemory > 0
		policies[s.MaxMemoryPolicy] = true
		roles[s.Role] = true
		a.FragRatio = max(a.FragRatio, s.FragRatio)
		a.ConnectedClients += s.ConnectedClients
		a.BlockedClients += s.BlockedClients
		a.MaxClients = sumKnown(a.MaxClients, s.MaxClients, i == 0)
		for j, v := range []float64{s.EvictedPerSec, s.ExpiredPerSec, s.NetInBps, s.NetOutBps} {
			*rates[j] = sumKnownF(*rates[j], v, i == 0)
		}
		switch {
		case i == 0:
			a.CPUPercent = s.CPUPercent
		case a.CPUPercent < 0 || s.CPUPercent < 0:
			a.CPUPercent = -1
		default:
			a.CPUPercent = max(a.CPUPercent, s.CPUPercent) // the busiest node
		}
		for db, k := range s.Keyspace {
			t := a.Keyspace[db]
			// avg_ttl weighted by keys with a TTL
			if t.Expires+k.Expires > 0 {
				t.AvgTTLms = (t.AvgTTLms*t.Expires + k.AvgTTLms*k.Expires) / (t.Expires + k.Expires)
			}
			t.Keys += k.Keys
			t.Expires += k.Expires
			a.Keyspace[db] = t
		}
		if !s.RDBLastSave.IsZero() && (a.RDBLastSave.IsZero() || s.RDBLastSave.Before(a.RDBLastSave)) {
			a.RDBLastSave = s.RDBLastSave
		}
		a.RDBLastBgsaveStatus = worst(a.RDBLastBgsaveStatus, s.RDBLastBgsaveStatus, "err")
		a.AOFLastWriteStatus = worst(a.AOFLastWriteStatus, s.AOFLastWriteStatus, "err")
		a.MasterLinkStatus = worst(a.MasterLinkStatus, s.MasterLinkStatus, "down")
		a.RDBBgsaveInProgress = a.RDBBgsaveInProgress || s.RDBBgsaveInProgress
		a.AOFEnabled = a.AOFEnabled || s.AOFEnabled
		a.ConnectedReplicas += s.ConnectedReplicas
		a.Replicas = append(a.Replicas, s.Replicas...)
	}
	if !allLimited {
		a.MaxMemory = 0
	}
	if len(known) < len(rep.Nodes) {
		// A node's numbers are missing: sums would mislead.
		a.MaxClients, a.EvictedPerSec, a.ExpiredPerSec, a.NetInBps, a.NetOutBps, a.CPUPercent = -1, -1, -1, -1, -1, -1
	}
	a.MaxMemoryPolicy = single(policies)
	a.Role = single(roles)

	var hits, misses, dh, dm int64
	deltasKnown := len(samples) == len(rep.Nodes)
	for _, s := range samples {
		hits += s.hits
		misses += s.misses
		if s.dHits < 0 {
			deltasKnown = false
		}
		dh += s.dHits
		dm += s.dMisses
	}
	if hits+misses > 0 {
		a.HitRateTotal = float64(hits) / float64(hits+misses)
	}
	if deltasKnown && dh+dm > 0 {
		a.HitRate = float64(dh) / float64(dh+dm)
	}
	return a
}

func sumKnown(acc, v int64, first bool) int64 {
	if first {
		return v
	}
	if acc < 0 || v < 0 {
		return -1
	}
	return acc + v
}

func sumKnownF(acc, v float64, first bool) float64 {
	if first {
		return v
	}
	if acc < 0 || v < 0 {
		return -1
	}
	return acc + v
}

// worst keeps bad once any node reports it, else the first known status.
func worst(acc, v, bad string) string {
	if acc == bad || v == "" {
		return acc
	}
	if v == bad || acc == "" {
		return v
	}
	return acc
}

// single is the one value every node shares, or "mixed".
func single(set map[string]bool) string {
	switch len(set) {
	case 0:
		return ""
	case 1:
		for v := range set {
			return v
		}
	}
	return "mixed"
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// parseKV splits "a=1,b=2" (sep ",") or "a=1 b=2" (sep " ") into a map;
// a part without "=" is ignored.
func parseKV(s, sep string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(s, sep) {
		if k, v, ok := strings.Cut(part, "="); ok {
			out[k] = v
		}
	}
	return out
}

// nodeName is how a node is named in reports: the connection's address on a
// standalone server, host:port of each master on a cluster.
func (c *Client) nodeName(node *redis.Client) string {
	if c.cluster == nil {
		return c.Addr
	}
	return node.Options().Addr
}

// eachNode runs fn on every node (concurrently on a cluster) and returns
// every node's result, nil included, so that one node's failure does not
// hide the others. The error is set only when the nodes could not be listed.
func (c *Client) eachNode(ctx context.Context, fn func(ctx context.Context, name string, node *redis.Client) error) (map[string]error, error) {
	var mu sync.Mutex
	results := map[string]error{}
	err := c.ForEachNode(ctx, func(ctx context.Context, node *redis.Client) error {
		name := c.nodeName(node)
		e := fn(ctx, name, node)
		mu.Lock()
		results[name] = e
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func failures(results map[string]error) map[string]error {
	out := map[string]error{}
	for n, err := range results {
		if err != nil {
			out[n] = err
		}
	}
	return out
}

// OpError is a command that failed on one or more nodes. Its text names the
// command and the reason (for a refusal, Refusal's wording: "denied by ACL:
// NOPERM ..." or "renamed or blocked on this server: ERR unknown command
// ..."), once when every node said the same.
type OpError struct {
	Op    string           // "INFO", "SLOWLOG GET", "CLIENT KILL"...
	Nodes map[string]error // failing node → its error
	Total int              // nodes the command was sent to
}

func (e *OpError) Error() string {
	names := make([]string, 0, len(e.Nodes))
	reasons := map[string]bool{}
	for n, err := range e.Nodes {
		names = append(names, n)
		reasons[Describe(err)] = true
	}
	sort.Strings(names)
	if len(reasons) == 1 {
		why := Describe(e.Nodes[names[0]])
		switch {
		case e.Total <= 1:
			return e.Op + " " + why
		case len(names) == e.Total:
			return fmt.Sprintf("%s on all %d nodes: %s", e.Op, e.Total, why)
		}
	}
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, n+": "+Describe(e.Nodes[n]))
	}
	return fmt.Sprintf("%s failed on %d of %d nodes: %s", e.Op, len(names), e.Total, strings.Join(parts, "; "))
}

// Unwrap gives the nodes' errors, for errors.Is(err, context.Canceled).
func (e *OpError) Unwrap() []error {
	out := make([]error, 0, len(e.Nodes))
	for _, err := range e.Nodes {
		out = append(out, err)
	}
	return out
}

// Refused is the refusal reason when every failing node refused the
// command (renamed, blocked, NOPERM); empty otherwise.
func (e *OpError) Refused() string {
	why := ""
	for _, err := range e.Nodes {
		r := Refusal(err)
		if r == "" {
			return ""
		}
		why = r
	}
	return why
}

// opErr is nil when no node failed, else an *OpError.
func opErr(op string, results map[string]error) error {
	failed := failures(results)
	if len(failed) == 0 {
		return nil
	}
	return &OpError{Op: op, Nodes: failed, Total: len(results)}
}
