package redisops_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redisproc"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func nodeClient(t *testing.T, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: 30 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// migrateSlots moves slots [first, last] from one master to another the
// way redis-cli --cluster reshard does: IMPORTING/MIGRATING, MIGRATE of
// each slot's keys, then SETSLOT NODE on both.
func migrateSlots(t *testing.T, cl *redisproc.Cluster, from, to, first, last int) {
	t.Helper()
	ctx := context.Background()
	src, dst := nodeClient(t, cl.Nodes[from].Addr), nodeClient(t, cl.Nodes[to].Addr)
	srcID, err := src.ClusterMyID(ctx).Result()
	require.NoError(t, err)
	dstID, err := dst.ClusterMyID(ctx).Result()
	require.NoError(t, err)
	for slot := first; slot <= last; slot++ {
		require.NoError(t, dst.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", srcID).Err())
		require.NoError(t, src.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", dstID).Err())
		for {
			keys, err := src.ClusterGetKeysInSlot(ctx, slot, 100).Result()
			require.NoError(t, err)
			if len(keys) == 0 {
				break
			}
			args := []any{"MIGRATE", "127.0.0.1", cl.Nodes[to].Port, "", 0, 5000, "KEYS"}
			for _, k := range keys {
				args = append(args, k)
			}
			require.NoError(t, src.Do(ctx, args...).Err())
		}
		require.NoError(t, dst.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dstID).Err())
		require.NoError(t, src.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dstID).Err())
	}
}

func fillCluster(t *testing.T, c *redisops.Client, n int) {
	t.Helper()
	ctx := context.Background()
	pipe := c.Redis().Pipeline()
	for i := range n {
		pipe.Set(ctx, "k:"+strconv.Itoa(i), "v", 0)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
}

// TestScanAcrossASlotMigrationMissesNothing: slots move from one master to
// another in the middle of a scan. The scan notices, walks again, and
// hands every key exactly once.
func TestScanAcrossASlotMigrationMissesNothing(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Nodes[0].Addr})
	require.True(t, c.IsCluster())
	const total = 20_000
	fillCluster(t, c, total)

	var once sync.Once
	seen := map[string]int{}
	res, err := c.Scan(context.Background(), redisops.ScanOptions{Count: 100}, func(batch []redisops.ScannedKey) error {
		// Node 0 has slots 0-5460: move 0-199 to node 2 while the walk runs.
		once.Do(func() { migrateSlots(t, cl, 0, 2, 0, 199) })
		for _, k := range batch {
			seen[k.Key]++
		}
		return nil
	})
	require.NoError(t, err)
	assert.True(t, res.Complete)
	assert.GreaterOrEqual(t, res.Passes, 2, "the slot move made the scan walk again")
	assert.Equal(t, total, res.Keys)
	assert.Len(t, seen, total, "nothing missed")
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%s handed %d times", k, n)
		}
	}
}

// TestInvalidateAcrossASlotMigrationDeletesEverything: the same during an
// invalidation: every matching key deleted, each counted once.
func TestInvalidateAcrossASlotMigrationDeletesEverything(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Nodes[0].Addr})
	const total = 20_000
	fillCluster(t, c, total)
	ctx := context.Background()

	var once sync.Once
	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"k:*"}, Batch: 200,
		Progress: func(p redisops.InvalidateProgress) {
			if p.Deleted > 0 {
				once.Do(func() { migrateSlots(t, cl, 0, 2, 200, 399) })
			}
		}})
	require.NoError(t, err)
	assert.EqualValues(t, total, res.Deleted, "every key deleted, none counted twice")
	var left int64
	for _, n := range cl.Nodes {
		left += nodeClient(t, n.Addr).DBSize(ctx).Val()
	}
	assert.Zero(t, left, "nothing missed")
	_ = fmt.Sprint()
}

// failover runs CLUSTER FAILOVER on the replica of master i and waits
// until the replica is master and the old master a replica.
func failover(t *testing.T, cl *redisproc.Cluster, i int) {
	t.Helper()
	ctx := context.Background()
	replica := cl.Replicas[i]
	require.NoError(t, nodeClient(t, replica.Addr).Do(ctx, "CLUSTER", "FAILOVER").Err())
	require.Eventually(t, func() bool {
		r, err1 := replica.Role(ctx)
		m, err2 := cl.Nodes[i].Role(ctx)
		return err1 == nil && err2 == nil && r == "master" && m == "slave"
	}, 30*time.Second, 50*time.Millisecond, "the failover completes")
}

// TestScanAndInvalidateAcrossAFailover: a master of a 3+3 cluster fails
// over to its replica during a scan, then during an invalidation. The
// scan walks again over the new masters and hands every key once; the
// invalidation follows MOVED and deletes every key, each counted once.
func TestScanAndInvalidateAcrossAFailover(t *testing.T) {
	cl := redistest.ClusterWithReplicas(t, 3, 1)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Nodes[0].Addr})
	require.True(t, c.IsCluster())
	const total = 20_000
	fillCluster(t, c, total)
	ctx := context.Background()
	// The replicas have every key before the first failover.
	require.Eventually(t, func() bool {
		var n int64
		for _, r := range cl.Replicas {
			n += nodeClient(t, r.Addr).DBSize(ctx).Val()
		}
		return n == total
	}, 30*time.Second, 50*time.Millisecond)

	var once sync.Once
	seen := map[string]int{}
	res, err := c.Scan(ctx, redisops.ScanOptions{Count: 100}, func(batch []redisops.ScannedKey) error {
		once.Do(func() { failover(t, cl, 0) })
		for _, k := range batch {
			seen[k.Key]++
		}
		return nil
	})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, res.Passes, 2, "the failover made the scan walk again")
	assert.Equal(t, total, res.Keys)
	assert.Len(t, seen, total, "nothing missed")
	for k, n := range seen {
		require.Equal(t, 1, n, "%s handed more than once", k)
	}

	var again sync.Once
	inv, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"k:*"}, Batch: 200,
		Progress: func(p redisops.InvalidateProgress) {
			if p.Deleted > 0 {
				again.Do(func() { failover(t, cl, 1) })
			}
		}})
	require.NoError(t, err)
	assert.EqualValues(t, total, inv.Deleted, "every key deleted, none counted twice")
	require.Eventually(t, func() bool {
		var left int64
		for _, n := range append(append([]*redisproc.Server{}, cl.Nodes...), cl.Replicas...) {
			left += nodeClient(t, n.Addr).DBSize(ctx).Val()
		}
		return left == 0
	}, 10*time.Second, 50*time.Millisecond, "nothing left on any node")
}

// TestInvalidateFollowsASK: a slot half migrated (MIGRATING on its owner,
// IMPORTING on the target, some keys moved): the UNLINKs of the moved
// keys go to the owner, which answers ASK; they are followed, and every
// key is deleted and counted once.
func TestInvalidateFollowsASK(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Nodes[0].Addr})
	ctx := context.Background()
	// 40 keys in one slot (a hash tag), plus ordinary keys elsewhere.
	slot := int(c.Redis().ClusterKeySlot(ctx, "{ask}").Val())
	owner := slot * 3 / 16384 // StartCluster splits the slots evenly in order
	target := (owner + 1) % 3
	src, dst := nodeClient(t, cl.Nodes[owner].Addr), nodeClient(t, cl.Nodes[target].Addr)
	pipe := c.Redis().Pipeline()
	for i := range 40 {
		pipe.Set(ctx, "ask:{ask}:"+strconv.Itoa(i), "v", 0)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
	fillCluster(t, c, 1000)

	srcID := src.ClusterMyID(ctx).Val()
	dstID := dst.ClusterMyID(ctx).Val()
	require.NoError(t, dst.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", srcID).Err())
	require.NoError(t, src.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", dstID).Err())
	keys, err := src.ClusterGetKeysInSlot(ctx, slot, 20).Result()
	require.NoError(t, err)
	require.Len(t, keys, 20)
	args := []any{"MIGRATE", "127.0.0.1", cl.Nodes[target].Port, "", 0, 5000, "KEYS"}
	for _, k := range keys {
		args = append(args, k)
	}
	require.NoError(t, src.Do(ctx, args...).Err())

	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"ask:*"}})
	require.NoError(t, err)
	assert.EqualValues(t, 40, res.Matched)
	assert.EqualValues(t, 40, res.Deleted, "the moved keys were deleted through ASK")
	assert.Zero(t, src.Do(ctx, "CLUSTER", "COUNTKEYSINSLOT", slot).Val())
	assert.Zero(t, dst.Do(ctx, "CLUSTER", "COUNTKEYSINSLOT", slot).Val())
}
