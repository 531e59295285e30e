package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
)

// statsPings is how many PINGs feed the latency window per interval.
const statsPings = 10

// nodeStatsJSON is one node (or the aggregate) in `cachedeck stats --json`.
// Unknown numbers are null, with the reason in "unavailable" where there is
// one. hit_rate is a ratio (0..1).
type nodeStatsJSON struct {
	Node                string            `json:"node"`
	Time                string            `json:"time"`
	HitRate             *float64          `json:"hit_rate"`
	HitRateTotal        *float64          `json:"hit_rate_total"`
	OpsPerSec           float64           `json:"ops_per_sec"`
	UsedMemory          int64             `json:"used_memory"`
	MaxMemory           int64             `json:"maxmemory"`
	MaxMemoryPolicy     string            `json:"maxmemory_policy"`
	MemFragRatio        float64           `json:"mem_fragmentation_ratio"`
	ConnectedClients    int64             `json:"connected_clients"`
	BlockedClients      int64             `json:"blocked_clients"`
	MaxClients          *int64            `json:"maxclients"`
	EvictedPerSec       *float64          `json:"evicted_keys_per_sec"`
	ExpiredPerSec       *float64          `json:"expired_keys_per_sec"`
	NetInBps            *float64          `json:"net_in_bps"`
	NetOutBps           *float64          `json:"net_out_bps"`
	CPUPercent          *float64          `json:"cpu_percent"`
	Keys                int64             `json:"keys"`
	Keyspace            map[string]dbJSON `json:"keyspace"`
	Role                string            `json:"role"`
	MasterLinkStatus    string            `json:"master_link_status,omitempty"`
	ConnectedReplicas   int               `json:"connected_replicas"`
	Replicas            []replicaJSON     `json:"replicas,omitempty"`
	RDBLastBgsaveStatus string            `json:"rdb_last_bgsave_status"`
	RDBLastSave         string            `json:"rdb_last_save,omitempty"`
	RDBBgsaveInProgress bool              `json:"rdb_bgsave_in_progress"`
	AOFEnabled          bool              `json:"aof_enabled"`
	AOFLastWriteStatus  string            `json:"aof_last_write_status,omitempty"`
	Unavailable         map[string]string `json:"unavailable,omitempty"`
}

type dbJSON struct {
	Keys     int64 `json:"keys"`
	Expires  int64 `json:"expires"`
	AvgTTLms int64 `json:"avg_ttl_ms"`
}

type replicaJSON struct {
	Addr       string `json:"addr"`
	State      string `json:"state"`
	Offset     int64  `json:"offset"`
	LagBytes   int64  `json:"lag_bytes"`
	LagSeconds int64  `json:"lag_seconds"`
}

type violationJSON struct {
	Metric   string `json:"metric"`
	Severity string `json:"severity"` // warning, critical
	Message  string `json:"message"`
	Node     string `json:"node,omitempty"`
}

// statsJSON is one sample: the aggregate's fields at the top level, the
// latency percentiles, what is out of bounds and, on a cluster, each node.
type statsJSON struct {
	nodeStatsJSON
	LatencyP50ms *float64        `json:"latency_p50_ms"`
	LatencyP99ms *float64        `json:"latency_p99_ms"`
	Violations   []violationJSON `json:"violations"`
	Cluster      bool            `json:"cluster"`
	Nodes        []nodeStatsJSON `json:"nodes,omitempty"`
}

func (a *app) statsCmd() *cobra.Command {
	var once, asJSON bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "stats [--once] [--interval D] [--json]",
		Short: "Live hit rate, ops/s, latency, memory, clients, evictions and persistence, against the cache's targets",
		Long: `stats polls INFO on every node and PINGs the server in between. Rates (hit
rate, evictions, network, CPU) need two polls one interval apart, so the first
line comes after one interval. --once prints one sample and exits; otherwise a
line (or an NDJSON object with --json) follows every interval until Ctrl-C.
Targets: hit rate > 80 %, p99 latency < 5 ms, memory < 80 % of maxmemory,
CPU < 70 %; violations are listed with each sample.`,
		Args: exactArgs(0, "no arguments"),
	}
	f := cmd.Flags()
	f.BoolVar(&once, "once", false, "print one sample and exit")
	f.DurationVar(&interval, "interval", time.Second, "time between samples")
	f.BoolVar(&asJSON, "json", false, "one JSON object per sample (NDJSON)")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string) error {
		if interval < 10*time.Millisecond {
			return usagef("--interval must be at least 10ms")
		}
		ctx := cmd.Context()
		c, notes, err := a.connectQuiet(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		poller := redisops.NewStatsPoller(c)
		win := redisops.NewLatencyWindow(max(redisops.DefaultLatencyWindow, statsPings*6))
		if _, err := poller.Poll(ctx); err != nil {
			return err
		}
		// Connection notes after INFO worked: when INFO is refused, the
		// error alone says it, in one line.
		for _, n := range notes {
			fmt.Fprintln(a.stderr, "cachedeck: note: "+n)
		}
		out := &statsWriter{w: a.stdout, stderr: a.stderr, json: asJSON}
		for {
			if err := sampleStatsPings(ctx, c, win, interval); err != nil {
				return statsStopped(ctx, once, err)
			}
			rep, err := poller.Poll(ctx)
			if err != nil {
				return statsStopped(ctx, once, err)
			}
			if err := out.write(rep, c, win); err != nil {
				return err
			}
			if once {
				return nil
			}
		}
	})
	return cmd
}

// stopped turns Ctrl-C into a clean end of the stream; --once interrupted
// has printed nothing, which is a failure.
func statsStopped(ctx context.Context, once bool, err error) error {
	if ctx.Err() != nil {
		if once {
			return errors.New("interrupted before the sample was complete")
		}
		return nil
	}
	return err
}

// connectQuiet is connect without printing the connection notes, so the
// caller can decide when they are worth saying.
func (a *app) connectQuiet(ctx context.Context) (*redisops.Client, []string, error) {
	s, err := a.resolveConn(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := redisops.Connect(ctx, s.opts)
	if err != nil {
		return nil, nil, err
	}
	return c, c.Notes, nil
}

// samplePings spreads statsPings PINGs over interval and returns when the
// interval is over. A refused PING leaves the window empty.
func sampleStatsPings(ctx context.Context, c *redisops.Client, win *redisops.LatencyWindow, interval time.Duration) error {
	start := time.Now()
	step := interval / statsPings
	for i := 1; i <= statsPings; i++ {
		t := time.NewTimer(time.Until(start.Add(time.Duration(i) * step)))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if c.PingRefused {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, max(interval, time.Second))
		d, err := c.Ping(pctx)
		cancel()
		if err != nil {
			return fmt.Errorf("PING: %s", redisops.Describe(err))
		}
		win.Add(d)
	}
	return nil
}

type statsWriter struct {
	w, stderr io.Writer
	json      bool
	rows      int
	noted     map[string]bool
}

func (sw *statsWriter) write(rep redisops.StatsReport, c *redisops.Client, win *redisops.LatencyWindow) error {
	p99 := win.P99()
	viol := redisops.CheckReport(rep, p99)
	if sw.json {
		enc := json.NewEncoder(sw.w)
		enc.SetEscapeHTML(false)
		return enc.Encode(toStatsJSON(rep, c, win, viol))
	}
	return sw.writeText(rep, c, win, viol)
}

func toStatsJSON(rep redisops.StatsReport, c *redisops.Client, win *redisops.LatencyWindow, viol []redisops.Violation) statsJSON {
	out := statsJSON{nodeStatsJSON: toNodeStatsJSON(rep.Aggregate), Cluster: rep.Cluster, Violations: []violationJSON{}}
	if win.Len() > 0 {
		out.LatencyP50ms = statsPtr(statsMs(win.P50()))
		out.LatencyP99ms = statsPtr(statsMs(win.P99()))
	} else {
		if out.Unavailable == nil {
			out.Unavailable = map[string]string{}
		}
		out.Unavailable["latency"] = statsLatencyUnknown(c)
	}
	for _, v := range viol {
		out.Violations = append(out.Violations, violationJSON{Metric: v.Metric, Severity: statsSeverity(v.Severity), Message: v.Message, Node: v.Node})
	}
	if rep.Cluster {
		for _, n := range rep.Nodes {
			out.Nodes = append(out.Nodes, toNodeStatsJSON(n))
		}
	}
	return out
}

func statsLatencyUnknown(c *redisops.Client) string {
	if c.PingRefused {
		return "PING is refused to this user: latency cannot be measured"
	}
	return "no PING answered yet"
}

func toNodeStatsJSON(s redisops.Stats) nodeStatsJSON {
	out := nodeStatsJSON{
		Node:                s.Node,
		Time:                s.At.UTC().Format(time.RFC3339Nano),
		HitRate:             statsKnown(s.HitRate),
		HitRateTotal:        statsKnown(s.HitRateTotal),
		OpsPerSec:           s.OpsPerSec,
		UsedMemory:          s.UsedMemory,
		MaxMemory:           s.MaxMemory,
		MaxMemoryPolicy:     s.MaxMemoryPolicy,
		MemFragRatio:        s.FragRatio,
		ConnectedClients:    s.ConnectedClients,
		BlockedClients:      s.BlockedClients,
		EvictedPerSec:       statsKnown(s.EvictedPerSec),
		ExpiredPerSec:       statsKnown(s.ExpiredPerSec),
		NetInBps:            statsKnown(s.NetInBps),
		NetOutBps:           statsKnown(s.NetOutBps),
		CPUPercent:          statsKnown(s.CPUPercent),
		Keyspace:            map[string]dbJSON{},
		Role:                s.Role,
		MasterLinkStatus:    s.MasterLinkStatus,
		ConnectedReplicas:   s.ConnectedReplicas,
		RDBLastBgsaveStatus: s.RDBLastBgsaveStatus,
		RDBBgsaveInProgress: s.RDBBgsaveInProgress,
		AOFEnabled:          s.AOFEnabled,
		AOFLastWriteStatus:  s.AOFLastWriteStatus,
	}
	if s.MaxClients >= 0 {
		out.MaxClients = &s.MaxClients
	}
	for db, k := range s.Keyspace {
		out.Keyspace["db"+strconv.Itoa(db)] = dbJSON{Keys: k.Keys, Expires: k.Expires, AvgTTLms: k.AvgTTLms}
		out.Keys += k.Keys
	}
	for _, r := range s.Replicas {
		out.Replicas = append(out.Replicas, replicaJSON(r))
	}
	if !s.RDBLastSave.IsZero() {
		out.RDBLastSave = s.RDBLastSave.UTC().Format(time.RFC3339)
	}
	if len(s.Unavailable) > 0 {
		out.Unavailable = map[string]string{}
		for k, v := range s.Unavailable {
			out.Unavailable[k] = v
		}
	}
	explainNulls(&out)
	return out
}

func statsKnown(v float64) *float64 {
	if v < 0 {
		return nil
	}
	return &v
}

func statsPtr[T any](v T) *T { return &v }

func statsMs(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func statsSeverity(s int) string {
	if s >= redisops.SeverityCritical {
		return "critical"
	}
	return "warning"
}

// Text mode: one row per node per sample, like vmstat, then the violations.
const statsHeader = "%-8s  %-21s %8s %6s %7s %7s %10s %5s %5s %7s %8s %8s %10s %10s %5s %s\n"

func (sw *statsWriter) writeText(rep redisops.StatsReport, c *redisops.Client, win *redisops.LatencyWindow, viol []redisops.Violation) error {
	var b strings.Builder
	if sw.rows == 0 {
		fmt.Fprintf(&b, statsHeader, "time", "node", "ops/s", "hit%", "p50ms", "p99ms", "memory", "mem%", "frag", "clients", "evict/s", "expire/s", "in/s", "out/s", "cpu%", "role")
	}
	if sw.noted == nil {
		sw.noted = map[string]bool{}
	}
	p50, p99 := "-", "-"
	if win.Len() > 0 {
		p50, p99 = fmt.Sprintf("%.2f", statsMs(win.P50())), fmt.Sprintf("%.2f", statsMs(win.P99()))
	} else if !sw.noted["latency"] {
		sw.noted["latency"] = true
		fmt.Fprintln(sw.stderr, "cachedeck: note: latency unknown: "+statsLatencyUnknown(c))
	}
	stamp := rep.Aggregate.At.Local().Format("15:04:05")
	rows := []redisops.Stats{rep.Aggregate}
	if rep.Cluster {
		rows = append(rows, rep.Nodes...)
	}
	for i, s := range rows {
		name := s.Node
		if rep.Cluster && i == 0 {
			name = "cluster"
		}
		lp50, lp99 := p50, p99
		if i > 0 {
			lp50, lp99 = "", "" // measured against the cluster, not per node
		}
		fmt.Fprintf(&b, statsHeader, stamp, name,
			fmt.Sprintf("%.0f", s.OpsPerSec), statsPct(s.HitRate), lp50, lp99,
			views.Bytes(s.UsedMemory), statsMemPct(s), fmt.Sprintf("%.2f", s.FragRatio),
			strconv.FormatInt(s.ConnectedClients, 10), statsRate(s.EvictedPerSec), statsRate(s.ExpiredPerSec),
			statsBps(s.NetInBps), statsBps(s.NetOutBps), statsCPU(s.CPUPercent), statsRole(s))
		sw.rows++
	}
	for _, v := range viol {
		mark := "!"
		if v.Severity >= redisops.SeverityCritical {
			mark = "!!"
		}
		fmt.Fprintf(&b, "%-2s %s\n", mark, v.Message)
	}
	// What could not be read, once per reason, on stderr.
	var keys []string
	for k := range rep.Aggregate.Unavailable {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		why := rep.Aggregate.Unavailable[k]
		if !sw.noted[k+why] {
			sw.noted[k+why] = true
			fmt.Fprintf(sw.stderr, "cachedeck: note: %s unavailable: %s\n", k, why)
		}
	}
	_, err := io.WriteString(sw.w, b.String())
	return err
}

func statsPct(r float64) string {
	if r < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", r*100)
}

func statsMemPct(s redisops.Stats) string {
	if s.MaxMemory <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(s.UsedMemory)/float64(s.MaxMemory)*100)
}

func statsRate(v float64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func statsBps(v float64) string {
	if v < 0 {
		return "-"
	}
	return views.Bytes(int64(v))
}

func statsCPU(v float64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

func statsRole(s redisops.Stats) string {
	r := s.Role
	if s.MasterLinkStatus != "" {
		r += " link " + s.MasterLinkStatus
	}
	if s.RDBLastBgsaveStatus == "err" {
		r += " bgsave err"
	}
	return r
}
