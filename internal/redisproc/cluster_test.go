package redisproc_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/internal/redisproc"
)

func TestStartClusterOfThree(t *testing.T) {
	t.Parallel()
	begin := time.Now()
	c, err := redisproc.StartCluster(t.Context(), 3)
	if err != nil {
		t.Fatalf("StartCluster: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop() }) // safety net if an assertion below fails
	t.Logf("cluster of 3 ready in %v", time.Since(begin).Round(time.Millisecond))
	ctx := t.Context()

	if got := c.Addrs(); len(got) != 3 {
		t.Fatalf("Addrs() = %v, want 3 addresses", got)
	}
	for _, addr := range c.Addrs() {
		info, err := client(t, &redis.Options{Addr: addr}).ClusterInfo(ctx).Result()
		if err != nil || !strings.Contains(info, "cluster_state:ok") {
			t.Errorf("CLUSTER INFO on %s: %v\n%s", addr, err, info)
		}
	}

	slots, err := client(t, &redis.Options{Addr: c.Addrs()[0]}).ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatalf("CLUSTER SLOTS: %v", err)
	}
	masters := map[string]bool{}
	covered := 0
	for _, r := range slots {
		masters[r.Nodes[0].Addr] = true
		covered += int(r.End - r.Start + 1)
	}
	if len(masters) != 3 || covered != 16384 {
		t.Errorf("CLUSTER SLOTS: %d masters covering %d slots, want 3 covering 16384: %+v", len(masters), covered, slots)
	}
	for _, addr := range c.Addrs() {
		if !masters[addr] {
			t.Errorf("node %s serves no slots (masters: %v)", addr, masters)
		}
	}

	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = cc.Close() })
	for i := range 100 {
		key := fmt.Sprintf("key:%d", i)
		if err := cc.Set(ctx, key, i, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", key, err)
		}
		if got, err := cc.Get(ctx, key).Int(); err != nil || got != i {
			t.Fatalf("GET %s = %d, %v; want %d", key, got, err, i)
		}
	}
	var mu sync.Mutex
	perNode := map[string]int64{}
	err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		n, err := m.DBSize(ctx).Result()
		mu.Lock()
		perNode[m.Options().Addr] = n
		mu.Unlock()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range c.Addrs() {
		if perNode[addr] == 0 {
			t.Errorf("no key landed on %s: %v", addr, perNode)
		}
	}

	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for _, s := range c.Nodes {
		requireStopped(t, s, true)
	}
}

func TestStartClusterRejectsZeroMasters(t *testing.T) {
	t.Parallel()
	if _, err := redisproc.StartCluster(t.Context(), 0); err == nil {
		t.Error("StartCluster(0) succeeded")
	}
}
