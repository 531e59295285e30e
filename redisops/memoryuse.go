package redisops

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// MemoryUse is INFO memory's figures a resize is judged on, summed over the
// masters of a cluster (one server otherwise).
type MemoryUse struct {
	Used      int64  // used_memory
	Peak      int64  // used_memory_peak (summed: an upper bound on a cluster)
	MaxMemory int64  // maxmemory; 0 when unset on any master
	Policy    string // maxmemory_policy of the masters ("mixed" if they differ)
	Nodes     int
}

// MemoryUse reads INFO memory from every master (one round trip each). A
// refused INFO is an error naming the refusal: without used_memory no fit
// can be judged.
func (c *Client) MemoryUse(ctx context.Context) (*MemoryUse, error) {
	var mu sync.Mutex
	out := &MemoryUse{}
	maxUnset := false
	err := c.ForEachNode(ctx, func(ctx context.Context, node *redis.Client) error {
		raw, err := node.Info(ctx, "memory").Result()
		if err != nil {
			if why := Refusal(err); why != "" {
				return fmt.Errorf("INFO memory %s on %s", why, node.Options().Addr)
			}
			return fmt.Errorf("INFO memory on %s: %w", node.Options().Addr, err)
		}
		f := map[string]string{}
		for _, line := range strings.Split(raw, "\n") {
			if k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":"); ok && !strings.HasPrefix(k, "#") {
				f[k] = v
			}
		}
		used, err := strconv.ParseInt(f["used_memory"], 10, 64)
		if err != nil {
			return fmt.Errorf("INFO memory on %s has no used_memory", node.Options().Addr)
		}
		peak, _ := strconv.ParseInt(f["used_memory_peak"], 10, 64)
		maxmem, _ := strconv.ParseInt(f["maxmemory"], 10, 64)
		mu.Lock()
		defer mu.Unlock()
		out.Nodes++
		out.Used += used
		out.Peak += max(peak, used)
		out.MaxMemory += maxmem
		maxUnset = maxUnset || maxmem == 0
		switch p := f["maxmemory_policy"]; {
		case out.Policy == "":
			out.Policy = p
		case out.Policy != p:
			out.Policy = "mixed"
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("memory use: %w", err)
	}
	if maxUnset {
		out.MaxMemory = 0
	}
	return out, nil
}
