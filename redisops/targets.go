package redisops

import (
	"fmt"
	"time"
)

// Severity of a Violation.
const (
	SeverityWarning  = 1 // a target from the operations doc is missed
	SeverityCritical = 2 // act now: data or availability at risk
)

// The targets of ColdCopy's cache (coldcopy-redis-cache.md, "Monitoring"),
// and the points past which a miss becomes critical.
const (
	TargetHitRate        = 0.80
	TargetLatency        = 5 * time.Millisecond
	TargetMemoryRatio    = 0.80
	TargetCPUPercent     = 70.0
	TargetFragRatio      = 1.5
	criticalLatency      = 50 * time.Millisecond
	criticalMemoryRatio  = 0.95
	criticalCPUPercent   = 90.0
	fragMinUsedMemory    = 64 << 20 // below this, the process's own RSS makes the ratio meaningless
	hitRateCriticalBelow = 0.50
)

// Violation is one metric out of bounds right now, in one line.
type Violation struct {
	Metric   string // hit_rate, latency_p99, memory, cpu, rdb_bgsave, evictions, fragmentation, master_link, aof_write
	Message  string
	Severity int
	Node     string // the node it concerns (Stats.Node)
}

// CheckTargets lists what in s is outside the targets: hit rate below 80 %,
// p99 latency above 5 ms, memory above 80 % of maxmemory, CPU above 70 %,
// last BGSAVE failed, keys being evicted, fragmentation above 1.5 and a
// replica's link to its master down. Unknown metrics (-1, p99 of 0, no
// maxmemory) are not checked. The hit rate is the last interval's; before
// the second poll it falls back to the rate since start.
func CheckTargets(s Stats, p99 time.Duration) []Violation {
	var out []Violation
	add := func(metric string, sev int, format string, args ...any) {
		out = append(out, Violation{Metric: metric, Message: fmt.Sprintf(format, args...), Severity: sev, Node: s.Node})
	}
	rate, since := s.HitRate, "over the last interval"
	if rate < 0 && s.EvictedPerSec < 0 { // first poll: no interval yet
		rate, since = s.HitRateTotal, "since the server started"
	}
	if rate >= 0 && rate < TargetHitRate {
		sev := SeverityWarning
		if rate < hitRateCriticalBelow {
			sev = SeverityCritical
		}
		add("hit_rate", sev, "hit rate %.1f %% %s is below the %.0f %% target", rate*100, since, TargetHitRate*100)
	}
	if p99 > TargetLatency {
		sev := SeverityWarning
		if p99 > criticalLatency {
			sev = SeverityCritical
		}
		add("latency_p99", sev, "p99 latency %s is above the %s target", fmtMs(p99), fmtMs(TargetLatency))
	}
	if s.MaxMemory > 0 {
		ratio := float64(s.UsedMemory) / float64(s.MaxMemory)
		if ratio > TargetMemoryRatio {
			sev := SeverityWarning
			if ratio > criticalMemoryRatio {
				sev = SeverityCritical
			}
			add("memory", sev, "memory %.1f %% of maxmemory is above the %.0f %% target (policy %s)", ratio*100, TargetMemoryRatio*100, s.MaxMemoryPolicy)
		}
	}
	if s.CPUPercent > TargetCPUPercent {
		sev := SeverityWarning
		if s.CPUPercent > criticalCPUPercent {
			sev = SeverityCritical
		}
		add("cpu", sev, "CPU %.0f %% is above the %.0f %% target", s.CPUPercent, TargetCPUPercent)
	}
	if s.RDBLastBgsaveStatus == "err" {
		add("rdb_bgsave", SeverityCritical, "the last background save (BGSAVE) failed: snapshots are not being written")
	}
	if s.AOFEnabled && s.AOFLastWriteStatus == "err" {
		add("aof_write", SeverityCritical, "the last append-only file write failed")
	}
	if s.EvictedPerSec > 0 {
		add("evictions", SeverityWarning, "%.1f keys/s evicted: the cache is full (policy %s)", s.EvictedPerSec, s.MaxMemoryPolicy)
	}
	if s.FragRatio > TargetFragRatio && s.UsedMemory >= fragMinUsedMemory {
		add("fragmentation", SeverityWarning, "memory fragmentation %.2f is above %.1f", s.FragRatio, TargetFragRatio)
	}
	if s.MasterLinkStatus == "down" {
		add("master_link", SeverityCritical, "the replica's link to its master is down: it serves stale data")
	}
	return out
}

// CheckReport checks a whole poll: the aggregate against every target and,
// on a cluster, each master's memory against its own maxmemory (a sum
// would hide one full node).
func CheckReport(r StatsReport, p99 time.Duration) []Violation {
	if !r.Cluster {
		return CheckTargets(r.Aggregate, p99)
	}
	agg := r.Aggregate
	agg.MaxMemory = 0 // per node below
	out := CheckTargets(agg, p99)
	for _, n := range r.Nodes {
		for _, v := range CheckTargets(n, 0) {
			if v.Metric == "memory" {
				v.Message = n.Node + ": " + v.Message
				out = append(out, v)
			}
		}
	}
	return out
}

func fmtMs(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
}
