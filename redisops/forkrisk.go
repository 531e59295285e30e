package redisops

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// ForkRisk is what a fork (BGSAVE, an RDB download) may cost the server's
// machine: the child shares the parent's pages, and every page the
// application writes during the save is copied, up to used_memory more in
// the worst case.
type ForkRisk struct {
	UsedMemory  int64 // used_memory; -1 unknown
	TotalMemory int64 // total_system_memory; -1 unknown
	// Available is MemAvailable of this machine when the server runs on it
	// (a loopback or unix-socket address); -1 when not known.
	Available int64
	Warning   string // empty when nothing to fear is known
}

// ForkRisk reads INFO memory and, for a server on this machine,
// /proc/meminfo, and says whether a fork could run the machine out of
// memory. It never fails: what it cannot read stays unknown.
func (c *Client) ForkRisk(ctx context.Context) ForkRisk {
	r := ForkRisk{UsedMemory: -1, TotalMemory: -1, Available: -1}
	if c.cluster != nil {
		return r
	}
	m, err := c.nodes[0].InfoMap(ctx, "memory").Result()
	if err != nil {
		return r
	}
	num := func(k string) int64 {
		v, err := strconv.ParseInt(m["Memory"][k], 10, 64)
		if err != nil || v <= 0 {
			return -1
		}
		return v
	}
	r.UsedMemory, r.TotalMemory = num("used_memory"), num("total_system_memory")
	if isLocalAddr(c.Addr) {
		r.Available = memAvailable("/proc/meminfo")
	}
	r.Warning = forkWarning(r)
	return r
}

// forkWarning judges the figures: with free memory known, a dataset larger
// than half of it could exhaust it under heavy writes; with only the
// machine's total, a dataset over half of it.
func forkWarning(r ForkRisk) string {
	if r.UsedMemory <= 0 {
		return ""
	}
	switch {
	case r.Available > 0 && r.UsedMemory > r.Available:
		return fmt.Sprintf("used_memory %s is more than the %s of free memory on the server's machine: a fork under heavy writes can copy up to all of it and get the server OOM-killed", humanSize(r.UsedMemory), humanSize(r.Available))
	case r.Available > 0 && r.UsedMemory > r.Available/2:
		return fmt.Sprintf("used_memory %s is more than half of the %s of free memory on the server's machine: copy-on-write during the fork may exhaust it if the application writes a lot meanwhile", humanSize(r.UsedMemory), humanSize(r.Available))
	case r.Available <= 0 && r.TotalMemory > 0 && r.UsedMemory > r.TotalMemory/2:
		return fmt.Sprintf("used_memory %s is more than half of the machine's %s (free memory unknown): copy-on-write during the fork may exhaust it", humanSize(r.UsedMemory), humanSize(r.TotalMemory))
	}
	return ""
}

func isLocalAddr(addr string) bool {
	if strings.HasPrefix(addr, "unix:") {
		return true
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// memAvailable reads MemAvailable (kB) from a meminfo file; -1 when absent.
func memAvailable(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return -1
			}
			return kb * 1024
		}
	}
	return -1
}

func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
