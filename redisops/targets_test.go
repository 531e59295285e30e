package redisops_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/coldcopy/cachedeck/redisops"
)

// healthy is a node inside every target, after its second poll.
func healthy() redisops.Stats {
	return redisops.Stats{
		Node: "n:1", HitRate: 0.95, HitRateTotal: 0.9,
		UsedMemory: 100 << 20, MaxMemory: 1 << 30, MaxMemoryPolicy: "allkeys-lru", FragRatio: 1.1,
		EvictedPerSec: 0, ExpiredPerSec: 3, NetInBps: 1, NetOutBps: 1, CPUPercent: 12,
		RDBLastBgsaveStatus: "ok", AOFLastWriteStatus: "ok", Role: "master",
	}
}

func metrics(vs []redisops.Violation) map[string]int {
	out := map[string]int{}
	for _, v := range vs {
		out[v.Metric] = v.Severity
	}
	return out
}

func TestCheckTargetsHealthy(t *testing.T) {
	assert.Empty(t, redisops.CheckTargets(healthy(), 2*time.Millisecond))
	s := healthy()
	s.HitRate, s.CPUPercent, s.EvictedPerSec = -1, -1, -1 // unknown: not checked
	s.HitRateTotal = -1
	s.MaxMemory = 0 // no limit: the ratio cannot be checked
	assert.Empty(t, redisops.CheckTargets(s, 0))
}

func TestCheckTargetsEachBound(t *testing.T) {
	cases := []struct {
		name   string
		change func(*redisops.Stats)
		p99    time.Duration
		want   map[string]int
	}{
		{"hit rate", func(s *redisops.Stats) { s.HitRate = 0.79 }, 0, map[string]int{"hit_rate": redisops.SeverityWarning}},
		{"hit rate collapse", func(s *redisops.Stats) { s.HitRate = 0.3 }, 0, map[string]int{"hit_rate": redisops.SeverityCritical}},
		{"hit rate at target", func(s *redisops.Stats) { s.HitRate = 0.80 }, 0, map[string]int{}},
		{"first poll uses total", func(s *redisops.Stats) { s.HitRate, s.EvictedPerSec, s.HitRateTotal = -1, -1, 0.6 }, 0, map[string]int{"hit_rate": redisops.SeverityWarning}},
		{"no reads this interval", func(s *redisops.Stats) { s.HitRate, s.HitRateTotal = -1, 0.6 }, 0, map[string]int{}},
		{"latency", nil, 5*time.Millisecond + time.Microsecond, map[string]int{"latency_p99": redisops.SeverityWarning}},
		{"latency at target", nil, 5 * time.Millisecond, map[string]int{}},
		{"latency critical", nil, 80 * time.Millisecond, map[string]int{"latency_p99": redisops.SeverityCritical}},
		{"memory", func(s *redisops.Stats) { s.UsedMemory = s.MaxMemory * 85 / 100 }, 0, map[string]int{"memory": redisops.SeverityWarning}},
		{"memory critical", func(s *redisops.Stats) { s.UsedMemory = s.MaxMemory * 97 / 100 }, 0, map[string]int{"memory": redisops.SeverityCritical}},
		{"cpu", func(s *redisops.Stats) { s.CPUPercent = 71 }, 0, map[string]int{"cpu": redisops.SeverityWarning}},
		{"cpu critical", func(s *redisops.Stats) { s.CPUPercent = 99 }, 0, map[string]int{"cpu": redisops.SeverityCritical}},
		{"bgsave", func(s *redisops.Stats) { s.RDBLastBgsaveStatus = "err" }, 0, map[string]int{"rdb_bgsave": redisops.SeverityCritical}},
		{"aof", func(s *redisops.Stats) { s.AOFEnabled, s.AOFLastWriteStatus = true, "err" }, 0, map[string]int{"aof_write": redisops.SeverityCritical}},
		{"evictions", func(s *redisops.Stats) { s.EvictedPerSec = 0.5 }, 0, map[string]int{"evictions": redisops.SeverityWarning}},
		{"fragmentation", func(s *redisops.Stats) { s.FragRatio = 1.6 }, 0, map[string]int{"fragmentation": redisops.SeverityWarning}},
		{"fragmentation of a tiny dataset", func(s *redisops.Stats) { s.FragRatio, s.UsedMemory = 8, 1<<20 }, 0, map[string]int{}},
		{"master link", func(s *redisops.Stats) { s.Role, s.MasterLinkStatus = "slave", "down" }, 0, map[string]int{"master_link": redisops.SeverityCritical}},
		{"master link up", func(s *redisops.Stats) { s.Role, s.MasterLinkStatus = "slave", "up" }, 0, map[string]int{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := healthy()
			if tc.change != nil {
				tc.change(&s)
			}
			vs := redisops.CheckTargets(s, tc.p99)
			assert.Equal(t, tc.want, metrics(vs))
			for _, v := range vs {
				assert.NotEmpty(t, v.Message)
				assert.NotContains(t, v.Message, "\n")
				assert.Equal(t, "n:1", v.Node)
			}
		})
	}
}

func TestCheckTargetsMessages(t *testing.T) {
	s := healthy()
	s.HitRate = 0.755
	s.UsedMemory = s.MaxMemory * 9 / 10
	vs := redisops.CheckTargets(s, 7500*time.Microsecond)
	var msgs []string
	for _, v := range vs {
		msgs = append(msgs, v.Message)
	}
	assert.Contains(t, msgs, "hit rate 75.5 % over the last interval is below the 80 % target")
	assert.Contains(t, msgs, "p99 latency 7.50 ms is above the 5.00 ms target")
	assert.Contains(t, msgs, "memory 90.0 % of maxmemory is above the 80 % target (policy allkeys-lru)")
}

func TestCheckReportChecksEachMastersMemory(t *testing.T) {
	full, idle := healthy(), healthy()
	full.Node, idle.Node = "a:1", "b:1"
	full.UsedMemory = full.MaxMemory * 9 / 10
	agg := healthy()
	agg.Node = "cluster"
	agg.UsedMemory = full.UsedMemory + idle.UsedMemory
	agg.MaxMemory = full.MaxMemory + idle.MaxMemory // 50 %: the sum hides the full node
	vs := redisops.CheckReport(redisops.StatsReport{Nodes: []redisops.Stats{full, idle}, Aggregate: agg, Cluster: true}, 0)
	assert.Len(t, vs, 1)
	assert.Equal(t, "memory", vs[0].Metric)
	assert.Equal(t, "a:1", vs[0].Node)
	assert.Contains(t, vs[0].Message, "a:1: memory 90.0 %")

	single := redisops.StatsReport{Nodes: []redisops.Stats{full}, Aggregate: full}
	assert.Len(t, redisops.CheckReport(single, 0), 1)
}
