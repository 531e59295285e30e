package redisops

// Internal tests: besides real servers, they feed parseStats and aggregate
// INFO texts no local server produces (Valkey fields, replicas, restarts).

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

func statsConnect(t *testing.T, o ConnOptions) *Client {
	t.Helper()
	if o.DB == 0 {
		o.DB = -1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func rawClient(t *testing.T, o *redis.Options) *redis.Client {
	rdb := redis.NewClient(o)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func poll(t *testing.T, p *StatsPoller) StatsReport {
	t.Helper()
	r, err := p.Poll(context.Background())
	require.NoError(t, err)
	return r
}

func TestStatsStandaloneIntervalHitRateIsExact(t *testing.T) {
	srv := redistest.Standalone(t, "maxmemory 64mb", "maxmemory-policy allkeys-lru")
	ctx := context.Background()
	rdb := rawClient(t, &redis.Options{Addr: srv.Addr})
	require.NoError(t, rdb.Set(ctx, "a", "1", 0).Err())
	require.NoError(t, rdb.Set(ctx, "b", "2", 0).Err())
	require.NoError(t, rdb.Set(ctx, "t", "3", time.Hour).Err())
	require.NoError(t, rawClient(t, &redis.Options{Addr: srv.Addr, DB: 2}).Set(ctx, "in2", "x", 0).Err())

	c := statsConnect(t, ConnOptions{URL: srv.URL()})
	p := NewStatsPoller(c)
	first := poll(t, p)
	require.Len(t, first.Nodes, 1)
	assert.False(t, first.Cluster)
	s := first.Aggregate
	assert.Equal(t, srv.Addr, s.Node)
	assert.Equal(t, -1.0, s.HitRate, "no interval yet")
	assert.Equal(t, -1.0, s.HitRateTotal, "no reads yet")
	for name, v := range map[string]float64{"evicted": s.EvictedPerSec, "expired": s.ExpiredPerSec, "in": s.NetInBps, "out": s.NetOutBps, "cpu": s.CPUPercent} {
		assert.Equal(t, -1.0, v, name)
	}
	assert.Equal(t, int64(64<<20), s.MaxMemory)
	assert.Equal(t, "allkeys-lru", s.MaxMemoryPolicy)
	assert.Positive(t, s.UsedMemory)
	assert.Positive(t, s.FragRatio)
	assert.Equal(t, DBKeys{Keys: 3, Expires: 1, AvgTTLms: s.Keyspace[0].AvgTTLms}, s.Keyspace[0])
	assert.Equal(t, int64(1), s.Keyspace[2].Keys)
	assert.Equal(t, "master", s.Role)
	assert.Equal(t, "ok", s.RDBLastBgsaveStatus)
	assert.False(t, s.AOFEnabled)
	assert.Equal(t, "ok", s.AOFLastWriteStatus)
	assert.Positive(t, s.ConnectedClients)
	want, err := rdb.ConfigGet(ctx, "maxclients").Result()
	require.NoError(t, err)
	assert.Equal(t, want["maxclients"], strconv.FormatInt(s.MaxClients, 10))
	assert.Empty(t, s.Unavailable)

	// 6 hits and 2 misses between two polls: exactly 75 %.
	for i := 0; i < 3; i++ {
		require.NoError(t, rdb.Get(ctx, "a").Err())
		require.NoError(t, rdb.Get(ctx, "b").Err())
	}
	for i := 0; i < 2; i++ {
		require.ErrorIs(t, rdb.Get(ctx, fmt.Sprint("missing", i)).Err(), redis.Nil)
	}
	second := poll(t, p).Aggregate
	assert.Equal(t, 0.75, second.HitRate)
	assert.Equal(t, 0.75, second.HitRateTotal)
	assert.Positive(t, second.NetInBps)
	assert.Positive(t, second.NetOutBps)
	assert.GreaterOrEqual(t, second.CPUPercent, 0.0)
	assert.Equal(t, 0.0, second.EvictedPerSec)
	assert.Equal(t, 0.0, second.ExpiredPerSec)

	for i := 0; i < 4; i++ {
		require.NoError(t, rdb.Get(ctx, "a").Err())
	}
	third := poll(t, p).Aggregate
	assert.Equal(t, 1.0, third.HitRate, "only this interval's reads count")
	assert.Equal(t, 10.0/12.0, third.HitRateTotal)

	fourth := poll(t, p).Aggregate
	assert.Equal(t, -1.0, fourth.HitRate, "no reads in the interval: unknown, not 0")
}

func TestStatsEvictionRate(t *testing.T) {
	srv := redistest.Standalone(t, "maxmemory 2mb", "maxmemory-policy allkeys-random")
	ctx := context.Background()
	c := statsConnect(t, ConnOptions{URL: srv.URL()})
	p := NewStatsPoller(c)
	poll(t, p)
	rdb := rawClient(t, &redis.Options{Addr: srv.Addr})
	val := strings.Repeat("v", 1024)
	pipe := rdb.Pipeline()
	for i := 0; i < 4000; i++ {
		pipe.Set(ctx, fmt.Sprint("k", i), val, 0)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
	s := poll(t, p).Aggregate
	assert.Positive(t, s.EvictedPerSec)
	var metrics []string
	for _, v := range CheckTargets(s, 0) {
		metrics = append(metrics, v.Metric)
	}
	assert.Contains(t, metrics, "evictions")
	assert.Contains(t, metrics, "memory", "used %d of %d", s.UsedMemory, s.MaxMemory)
}

func TestStatsClusterAggregates(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	ctx := context.Background()
	c := statsConnect(t, ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	require.True(t, c.IsCluster())
	rdb := c.Redis()
	for i := 0; i < 30; i++ {
		require.NoError(t, rdb.Set(ctx, fmt.Sprint("lead:", i), "v", 0).Err())
	}
	p := NewStatsPoller(c)
	first := poll(t, p)
	assert.True(t, first.Cluster)
	require.Len(t, first.Nodes, 3)
	var names []string
	var perNode int64
	for _, n := range first.Nodes {
		names = append(names, n.Node)
		perNode += n.Keyspace[0].Keys
		assert.Positive(t, n.Keyspace[0].Keys, "30 keys land on every master")
	}
	assert.ElementsMatch(t, cl.Addrs(), names)
	assert.Equal(t, int64(30), perNode)
	assert.Equal(t, int64(30), first.Aggregate.Keyspace[0].Keys)
	assert.Contains(t, first.Aggregate.Node, "3 masters")

	for i := 0; i < 30; i++ {
		require.NoError(t, rdb.Get(ctx, fmt.Sprint("lead:", i)).Err())
	}
	for i := 0; i < 10; i++ {
		require.ErrorIs(t, rdb.Get(ctx, fmt.Sprint("nope:", i)).Err(), redis.Nil)
	}
	agg := poll(t, p).Aggregate
	assert.Equal(t, 0.75, agg.HitRate, "30 hits, 10 misses over three masters")
	assert.Equal(t, 0.75, agg.HitRateTotal)
	assert.GreaterOrEqual(t, agg.CPUPercent, 0.0)
	assert.Positive(t, agg.NetInBps)
	assert.Equal(t, "master", agg.Role)
	assert.GreaterOrEqual(t, agg.ConnectedClients, int64(3))
}

func TestStatsRefusals(t *testing.T) {
	srv := redistest.Restricted(t)
	ctx := context.Background()

	app := statsConnect(t, ConnOptions{URL: srv.URL(), User: srv.AdminUser, Password: srv.AdminPassword})
	_, err := NewStatsPoller(app).Poll(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "INFO")
	assert.Contains(t, err.Error(), "NOPERM")
	assert.NotContains(t, err.Error(), "\n")
	var oe *OpError
	require.True(t, errors.As(err, &oe))
	assert.Contains(t, oe.Refused(), "denied by ACL")

	def := statsConnect(t, ConnOptions{URL: srv.URL(), Password: srv.DefaultPassword})
	p := NewStatsPoller(def)
	r := poll(t, p)
	// Redis 7 reports maxclients in INFO: CONFIG, renamed away here, is not needed.
	assert.Positive(t, r.Aggregate.MaxClients)
	assert.Empty(t, r.Aggregate.Unavailable)

	// A server whose INFO lacks maxclients (Redis < 7) falls back to CONFIG
	// GET, which is renamed away here: unknown, with the reason, once.
	p.fetchMaxClients(ctx)
	assert.Equal(t, int64(-1), p.maxClients)
	assert.Contains(t, p.maxClientsWhy, "CONFIG renamed or blocked")
	assert.True(t, p.maxClientsDone, "a refusal is not asked again")

	s, _ := parseStats("n", map[string]map[string]string{"Clients": {"connected_clients": "1"}}, time.Now())
	assert.Equal(t, int64(-1), s.MaxClients, "absent from INFO: unknown until CONFIG answers")
}

func TestStatsMaxClientsFromConfigWhenINFOLacksIt(t *testing.T) {
	srv := redistest.Standalone(t, "maxclients 123")
	c := statsConnect(t, ConnOptions{URL: srv.URL()})
	p := NewStatsPoller(c)
	p.fetchMaxClients(context.Background())
	assert.Equal(t, int64(123), p.maxClients)
	assert.Empty(t, p.maxClientsWhy)
}

func TestStatsReplication(t *testing.T) {
	master := redistest.Standalone(t, "repl-diskless-sync-delay 0")
	replica := redistest.Standalone(t)
	ctx := context.Background()
	host, port, _ := strings.Cut(master.Addr, ":")
	require.NoError(t, rawClient(t, &redis.Options{Addr: replica.Addr}).ReplicaOf(ctx, host, port).Err())
	require.NoError(t, rawClient(t, &redis.Options{Addr: master.Addr}).Set(ctx, "k", "v", 0).Err())

	mc := statsConnect(t, ConnOptions{URL: master.URL()})
	rc := statsConnect(t, ConnOptions{URL: replica.URL()})
	mp, rp := NewStatsPoller(mc), NewStatsPoller(rc)
	require.Eventually(t, func() bool {
		s := poll(t, rp).Aggregate
		return s.MasterLinkStatus == "up"
	}, 10*time.Second, 50*time.Millisecond)
	rs := poll(t, rp).Aggregate
	assert.Equal(t, "slave", rs.Role)
	assert.Empty(t, CheckTargets(rs, 0))

	require.Eventually(t, func() bool {
		s := poll(t, mp).Aggregate
		return len(s.Replicas) == 1 && s.Replicas[0].State == "online"
	}, 10*time.Second, 50*time.Millisecond)
	ms := poll(t, mp).Aggregate
	assert.Equal(t, 1, ms.ConnectedReplicas)
	assert.Equal(t, replica.Addr, ms.Replicas[0].Addr)
	assert.GreaterOrEqual(t, ms.Replicas[0].LagBytes, int64(0))
	assert.GreaterOrEqual(t, ms.Replicas[0].Offset, int64(0))

	require.NoError(t, master.Stop())
	require.Eventually(t, func() bool {
		return poll(t, rp).Aggregate.MasterLinkStatus == "down"
	}, 10*time.Second, 50*time.Millisecond)
	v := CheckTargets(poll(t, rp).Aggregate, 0)
	require.Len(t, v, 1)
	assert.Equal(t, "master_link", v[0].Metric)
	assert.Equal(t, SeverityCritical, v[0].Severity)
}

// valkeyInfo is INFO as Valkey 8 writes it, trimmed, with a replica.
func valkeyInfo(hits, misses, evicted, netIn int64, cpu float64, usec int64, runID string) map[string]map[string]string {
	return map[string]map[string]string{
		"Server":      {"server_name": "valkey", "valkey_version": "8.0.1", "run_id": runID, "server_time_usec": strconv.FormatInt(usec, 10)},
		"Clients":     {"connected_clients": "12", "blocked_clients": "1", "maxclients": "10000"},
		"Memory":      {"used_memory": "800", "maxmemory": "1000", "maxmemory_policy": "allkeys-lru", "mem_fragmentation_ratio": "1.25"},
		"Persistence": {"rdb_last_save_time": "1700000000", "rdb_last_bgsave_status": "err", "rdb_bgsave_in_progress": "1", "aof_enabled": "1", "aof_last_write_status": "ok"},
		"Stats": {
			"instantaneous_ops_per_sec": "42", "keyspace_hits": strconv.FormatInt(hits, 10), "keyspace_misses": strconv.FormatInt(misses, 10),
			"evicted_keys": strconv.FormatInt(evicted, 10), "expired_keys": "0",
			"total_net_input_bytes": strconv.FormatInt(netIn, 10), "total_net_output_bytes": "0", "some_future_field": "x",
		},
		"Replication": {"role": "master", "connected_slaves": "2", "master_repl_offset": "1000",
			"slave0": "ip=10.0.0.2,port=6380,state=online,offset=990,lag=1",
			"slave1": "ip=::1,port=6381,state=wait_bgsave,offset=0,lag=7,type=replica"},
		"CPU":      {"used_cpu_sys": fmt.Sprint(cpu / 2), "used_cpu_user": fmt.Sprint(cpu / 2)},
		"Keyspace": {"db0": "keys=10,expires=4,avg_ttl=5000,subexpiry=0", "db12": "keys=1,expires=0,avg_ttl=0", "dbx": "junk"},
	}
}

func TestParseStatsAndDeltas(t *testing.T) {
	t0 := int64(1_700_000_000_000_000)
	s, cur := parseStats("n1", valkeyInfo(80, 20, 5, 1000, 1.0, t0, "r1"), time.Now())
	assert.Equal(t, 0.8, s.HitRateTotal)
	assert.Equal(t, int64(800), s.UsedMemory)
	assert.Equal(t, int64(1000), s.MaxMemory)
	assert.Equal(t, 1.25, s.FragRatio)
	assert.Equal(t, int64(12), s.ConnectedClients)
	assert.Equal(t, int64(1), s.BlockedClients)
	assert.Equal(t, int64(10000), s.MaxClients)
	assert.Equal(t, 42.0, s.OpsPerSec)
	assert.Equal(t, time.Unix(1700000000, 0), s.RDBLastSave)
	assert.Equal(t, "err", s.RDBLastBgsaveStatus)
	assert.True(t, s.RDBBgsaveInProgress)
	assert.True(t, s.AOFEnabled)
	assert.Equal(t, map[int]DBKeys{0: {10, 4, 5000}, 12: {1, 0, 0}}, s.Keyspace)
	assert.Equal(t, 2, s.ConnectedReplicas)
	assert.Equal(t, []Replica{
		{Addr: "10.0.0.2:6380", State: "online", Offset: 990, LagBytes: 10, LagSeconds: 1},
		{Addr: "[::1]:6381", State: "wait_bgsave", Offset: 0, LagBytes: 1000, LagSeconds: 7},
	}, s.Replicas)
	applyDeltas(&s, &cur, infoSample{}, false)
	assert.Equal(t, -1.0, s.HitRate)
	assert.Equal(t, -1.0, s.CPUPercent)

	// Two seconds later by the server's clock: 30 hits, 10 misses, 4 evictions.
	s2, cur2 := parseStats("n1", valkeyInfo(110, 30, 9, 3000, 2.0, t0+2_000_000, "r1"), time.Now())
	applyDeltas(&s2, &cur2, cur, true)
	assert.Equal(t, 0.75, s2.HitRate)
	assert.Equal(t, 2.0, s2.EvictedPerSec)
	assert.Equal(t, 1000.0, s2.NetInBps)
	assert.Equal(t, 0.0, s2.NetOutBps)
	assert.InDelta(t, 50.0, s2.CPUPercent, 1e-9)

	// A restart (new run_id) or CONFIG RESETSTAT: no rates, not negative ones.
	s3, cur3 := parseStats("n1", valkeyInfo(1, 1, 0, 10, 0.1, t0+3_000_000, "r2"), time.Now())
	applyDeltas(&s3, &cur3, cur2, true)
	assert.Equal(t, -1.0, s3.HitRate)
	assert.Equal(t, -1.0, s3.EvictedPerSec)
	s4, cur4 := parseStats("n1", valkeyInfo(1, 1, 0, 10, 2.5, t0+4_000_000, "r1"), time.Now())
	applyDeltas(&s4, &cur4, cur2, true)
	assert.Equal(t, -1.0, s4.NetInBps)

	viol := map[string]int{}
	for _, v := range CheckTargets(s2, 6*time.Millisecond) {
		viol[v.Metric] = v.Severity
		assert.Equal(t, "n1", v.Node)
	}
	assert.Equal(t, map[string]int{"hit_rate": SeverityWarning, "latency_p99": SeverityWarning, "rdb_bgsave": SeverityCritical, "evictions": SeverityWarning}, viol,
		"memory is 80 %% exactly: not above; fragmentation 1.25 is fine")
}

func TestAggregateWithAFailedNode(t *testing.T) {
	t0 := int64(1_700_000_000_000_000)
	a, ca := parseStats("a", valkeyInfo(10, 0, 0, 0, 0, t0, "ra"), time.Now())
	b := unknownStats("b", time.Now(), "INFO timed out")
	c := &Client{Addr: "a", cluster: &redis.ClusterClient{}}
	agg := aggregate(c, StatsReport{Nodes: []Stats{a, b}, Cluster: true}, []infoSample{ca})
	assert.Equal(t, -1.0, agg.EvictedPerSec)
	assert.Equal(t, -1.0, agg.HitRate)
	assert.Equal(t, int64(-1), agg.MaxClients)
	assert.Equal(t, "INFO timed out", agg.Unavailable["info@b"])
	assert.Equal(t, int64(10), agg.Keyspace[0].Keys, "the node that answered still counts")
	assert.Equal(t, 1.0, agg.HitRateTotal)
}

func TestOpErrorText(t *testing.T) {
	noperm := errors.New("NOPERM this user has no permissions to run the 'slowlog' command")
	e := &OpError{Op: "SLOWLOG GET", Nodes: map[string]error{"x:1": noperm}, Total: 1}
	assert.Equal(t, "SLOWLOG GET denied by ACL: NOPERM this user has no permissions to run the 'slowlog' command", e.Error())
	e = &OpError{Op: "SLOWLOG GET", Nodes: map[string]error{"x:1": noperm, "x:2": noperm}, Total: 2}
	assert.True(t, strings.HasPrefix(e.Error(), "SLOWLOG GET on all 2 nodes: denied by ACL: NOPERM"), e.Error())
	e = &OpError{Op: "INFO", Nodes: map[string]error{"x:2": context.DeadlineExceeded}, Total: 3}
	assert.Equal(t, "INFO failed on 1 of 3 nodes: x:2: timed out", e.Error())
	assert.Empty(t, e.Refused())
	assert.ErrorIs(t, e, context.DeadlineExceeded)
}

// boundArg lives in slowlog.go; it is tested here, with the other internals.
// Redis itself cuts slow log arguments to 128 bytes, so a real server never
// reaches this bound.
func TestBoundArg(t *testing.T) {
	assert.Equal(t, "short", boundArg("short", 200))
	exact := strings.Repeat("a", 200)
	assert.Equal(t, exact, boundArg(exact, 200))

	got := boundArg(strings.Repeat("a", 1000), 200)
	assert.LessOrEqual(t, len(got), 200)
	assert.True(t, strings.HasSuffix(got, " more bytes)"), got)
	kept := strings.Index(got, "…")
	assert.Equal(t, fmt.Sprintf("… (%d more bytes)", 1000-kept), got[kept:])

	utf := strings.Repeat("é", 500) // 2 bytes each
	got = boundArg(utf, 200)
	assert.LessOrEqual(t, len(got), 200)
	assert.True(t, utf8.ValidString(got), "no character is split")

	bin := strings.Repeat("\xff", 500)
	assert.LessOrEqual(t, len(boundArg(bin, 200)), 200)
}
