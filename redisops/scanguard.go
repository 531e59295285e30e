package redisops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// A SCAN walk holds only if the server under it stays the same: a cursor
// means nothing to a restarted server (go-redis resends the SCAN on a new
// connection and the walk goes on, silently wrong), and a cluster slot that
// moves between two masters while they are walked can be missed on both.
// So a scan notes each node's run_id and slots before and after its walk:
// a restart makes the scan incomplete (an error), a slot move or failover
// makes it walk again, with the duplicate filter keeping every key counted
// once.

// maxScanPasses bounds the walks of one scan while slots keep moving.
const maxScanPasses = 4

// ServerRestartedError: a node's run_id changed during a scan.
type ServerRestartedError struct {
	Addr string
	What string // "scan", "invalidation", …
}

func (e *ServerRestartedError) Error() string {
	return fmt.Sprintf("%s restarted during the %s (its run_id changed): the result is incomplete, keys may have been missed; run it again", e.Addr, e.What)
}

// ErrSlotsKeptMoving: the cluster's slots moved during every pass.
var ErrSlotsKeptMoving = errors.New("the cluster's slots kept moving during the scan (a resharding or failover in progress): the result is incomplete; run it again when it has finished")

// nodeState is what a node must keep for a walk over it to hold.
type nodeState struct {
	runID string // "" when INFO is refused
	slots string // this master's node id and slots, migrations included; "" off cluster
}

type clusterState map[string]nodeState // by node address

// scanState reads every node's run_id and, on a cluster, its slots.
func (c *Client) scanState(ctx context.Context) (clusterState, error) {
	var mu sync.Mutex
	state := clusterState{}
	err := c.ForEachNode(ctx, func(ctx context.Context, node *redis.Client) error {
		var ns nodeState
		info, err := node.Info(ctx, "server").Result()
		switch {
		case err == nil:
			ns.runID = infoField(info, "run_id")
		case !IsRefusal(err):
			return err
		}
		if c.cluster != nil {
			nodes, err := node.ClusterNodes(ctx).Result()
			switch {
			case err == nil:
				ns.slots = mySlots(nodes)
			case !IsRefusal(err):
				return err
			}
		}
		mu.Lock()
		state[node.Options().Addr] = ns
		mu.Unlock()
		return nil
	})
	return state, err
}

// infoField is one "name:value" field of an INFO reply.
func infoField(info, name string) string {
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

// mySlots is the node's own line of CLUSTER NODES reduced to its id, role
// and slots: the slot ranges it serves and the [slot->-id] / [slot-<-id]
// markers of slots it is migrating or importing.
func mySlots(nodes string) string {
	for line := range strings.SplitSeq(nodes, "\n") {
		f := strings.Fields(line)
		if len(f) >= 8 && strings.Contains(f[2], "myself") {
			role := "master"
			if strings.Contains(f[2], "slave") || strings.Contains(f[2], "replica") {
				role = "replica"
			}
			return f[0] + " " + role + " " + strings.Join(f[8:], " ")
		}
	}
	return ""
}

// migrating reports whether a slot is on its way between two masters.
func (s clusterState) migrating() bool {
	for _, ns := range s {
		if strings.Contains(ns.slots, "->-") || strings.Contains(ns.slots, "-<-") {
			return true
		}
	}
	return false
}

// restarted names a node whose run_id changed between before and after.
func restarted(before, after clusterState) string {
	addrs := make([]string, 0, len(before))
	for addr := range before {
		addrs = append(addrs, addr)
	}
	slices.Sort(addrs)
	for _, addr := range addrs {
		a, ok := after[addr]
		if b := before[addr]; ok && b.runID != "" && a.runID != "" && a.runID != b.runID {
			return addr
		}
	}
	return ""
}

// sameSlots reports whether before and after have the same masters with
// the same slots (and the same migrations open).
func sameSlots(before, after clusterState) bool {
	if len(before) != len(after) {
		return false
	}
	for addr, b := range before {
		if a, ok := after[addr]; !ok || a.slots != b.slots {
			return false
		}
	}
	return true
}

// walkStable runs walk (one pass over every node) until a pass starts and
// ends on the same servers and slots. It returns the number of passes.
func (c *Client) walkStable(ctx context.Context, what string, walk func(ctx context.Context) error) (int, error) {
	before, err := c.scanState(ctx)
	if err != nil {
		return 0, err
	}
	for pass := 1; ; pass++ {
		if err := walk(ctx); err != nil {
			return pass, err
		}
		after, err := c.scanState(ctx)
		if err != nil {
			return pass, err
		}
		if addr := restarted(before, after); addr != "" {
			return pass, &ServerRestartedError{Addr: addr, What: what}
		}
		// A pass over unchanged slots holds. With a migration open, a key
		// can move between two masters during a pass (MIGRATE is per key),
		// so it takes a second pass over the same state; a resharding left
		// open for good must not make every scan fail.
		migrating := before.migrating() || after.migrating()
		if c.cluster == nil || (sameSlots(before, after) && (!migrating || pass >= 2)) {
			return pass, nil
		}
		if pass == maxScanPasses {
			return pass, ErrSlotsKeptMoving
		}
		before = after
	}
}

// SlotsMovedError: cluster slots moved during a one-pass walk.
type SlotsMovedError struct{ What string }

func (e *SlotsMovedError) Error() string {
	return "cluster slots moved during the " + e.What + " (a resharding or failover): its figures may miss or double-count keys; run it again"
}

// Unchanged runs fn, one walk over the keyspace that cannot simply be run
// again (it sums what it sees, like the exact memory breakdown), and fails
// when a node restarted or cluster slots moved meanwhile: its result would
// be wrong without saying so.
func (c *Client) Unchanged(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	before, err := c.scanState(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return fn(ctx) // interrupted: fn reports it in its own way
		}
		return err
	}
	if err := fn(ctx); err != nil || ctx.Err() != nil {
		return err // an interrupted walk is reported as such by the caller
	}
	after, err := c.scanState(ctx)
	if err != nil {
		return err
	}
	if addr := restarted(before, after); addr != "" {
		return &ServerRestartedError{Addr: addr, What: what}
	}
	if c.cluster != nil && !sameSlots(before, after) {
		return &SlotsMovedError{What: what}
	}
	return nil
}
