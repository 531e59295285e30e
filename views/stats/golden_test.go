package stats

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// fakeReport is a fixed poll: a server with a poor hit rate and memory
// close to its limit, so that the golden screen shows both colours of
// trouble and a refused field.
func fakeReport(cluster bool) redisops.StatsReport {
	node := func(name string, ops float64, hit float64, used int64) redisops.Stats {
		return redisops.Stats{
			Node: name, At: viewtest.Pinned,
			OpsPerSec: ops, HitRate: hit, HitRateTotal: 0.91,
			UsedMemory: used, MaxMemory: 512 << 20, MaxMemoryPolicy: "allkeys-lru", FragRatio: 1.12,
			ConnectedClients: 42, BlockedClients: 1, MaxClients: -1,
			EvictedPerSec: 0, ExpiredPerSec: 3.5, NetInBps: 123456, NetOutBps: 2345678, CPUPercent: 12.5,
			Keyspace:            map[int]redisops.DBKeys{0: {Keys: 12345, Expires: 1000, AvgTTLms: 60000}, 1: {Keys: 5}},
			RDBLastSave:         viewtest.Pinned.Add(-12 * time.Minute),
			RDBLastBgsaveStatus: "ok",
			Role:                "master", ConnectedReplicas: 1,
			Replicas:    []redisops.Replica{{Addr: "10.0.0.2:6379", State: "online", LagSeconds: 0, LagBytes: 120}},
			Unavailable: map[string]string{"maxclients": "CONFIG renamed or blocked on this server: ERR unknown command 'CONFIG'"},
		}
	}
	if !cluster {
		n := node("10.0.0.1:6379", 12345, 0.625, 430<<20)
		return redisops.StatsReport{Nodes: []redisops.Stats{n}, Aggregate: n}
	}
	a := node("10.0.0.1:7000", 1000, 0.9, 100<<20)
	b := node("10.0.0.2:7000", 2000, 0.5, 480<<20)
	agg := node("cluster", 3000, 0.7, 580<<20)
	agg.MaxMemory = 1024 << 20
	return redisops.StatsReport{Nodes: []redisops.Stats{a, b}, Aggregate: agg, Cluster: true}
}

// TestGoldenStats renders the pane at 100x30 from injected reports: the
// clock is pinned and no Redis is involved, so the screen is stable.
func TestGoldenStats(t *testing.T) {
	for _, cluster := range []bool{false, true} {
		name := "standalone"
		if cluster {
			name = "cluster"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, nil, 100, 30)
			// History: a ramp of ten polls, then the report itself.
			for i := range 10 {
				r := fakeReport(cluster)
				r.Aggregate.OpsPerSec = float64(1000 * i)
				r.Aggregate.HitRate = 0.95 - 0.03*float64(i)
				r.Aggregate.UsedMemory = int64(300+10*i) << 20
				h.Dispatch(h.m.Inject(r, time.Duration(200+100*i)*time.Microsecond))
			}
			h.Dispatch(h.m.Inject(fakeReport(cluster), 6*time.Millisecond))
			golden.RequireEqual(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 100, 30)))
		})
	}
}
