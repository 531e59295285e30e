package redisproc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clusterJoinTimeout bounds the wait for a new cluster to report ok. A master
// waits about 2 s (CLUSTER_WRITABLE_DELAY) before it first reports ok.
const clusterJoinTimeout = 15 * time.Second

// totalSlots is the number of Redis Cluster hash slots.
const totalSlots = 16384

// Cluster is a Redis Cluster of masters without replicas.
type Cluster struct {
	Nodes    []*Server
	Replicas []*Server // StartClusterWithReplicas only
}

// StartCluster runs masters redis-servers as one cluster: the 16384 slots are
// split evenly in order (node 0 gets the lowest), the nodes are joined with
// CLUSTER MEET, and it returns once every node reports cluster_state:ok and
// knows all masters. On failure every node is stopped.
func StartCluster(ctx context.Context, masters int) (*Cluster, error) {
	if masters < 1 || masters > totalSlots {
		return nil, fmt.Errorf("redisproc: a cluster needs 1..%d masters, not %d", totalSlots, masters)
	}
	c := &Cluster{}
	if err := c.start(ctx, masters); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context, masters int) error {
	for range masters {
		s, err := Start(ctx, Config{cluster: true})
		if err != nil {
			return err
		}
		c.Nodes = append(c.Nodes, s)
	}
	for i, s := range c.Nodes {
		first := i * totalSlots / masters
		last := (i+1)*totalSlots/masters - 1
		// Distinct config epochs up front, as redis-cli --cluster create
		// does, so the nodes need not resolve an epoch collision first.
		err := nodeDo(ctx, s,
			[]string{"CLUSTER", "SET-CONFIG-EPOCH", strconv.Itoa(i + 1)},
			[]string{"CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(first), strconv.Itoa(last)})
		if err != nil {
			return err
		}
	}
	// Meeting node 0 would do, but gossip then spreads the others at one
	// ping a second; meeting every pair directly joins in a few 100 ms.
	for i, from := range c.Nodes {
		for _, to := range c.Nodes[i+1:] {
			err := nodeDo(ctx, from,
				[]string{"CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(to.Port), strconv.Itoa(to.busPort)})
			if err != nil {
				return err
			}
		}
	}
	return c.waitOK(ctx, masters)
}

// waitOK polls CLUSTER INFO on every node until all agree the cluster is whole.
func (c *Cluster) waitOK(ctx context.Context, masters int) error {
	deadline := time.Now().Add(clusterJoinTimeout)
	want := strconv.Itoa(masters)
	for {
		var notReady error
		for _, s := range c.Nodes {
			info, err := nodeQuery(ctx, s, "CLUSTER", "INFO")
			if err != nil {
				return err
			}
			fields := parseInfo(info)
			if fields["cluster_state"] != "ok" || fields["cluster_known_nodes"] != want || fields["cluster_size"] != want {
				notReady = fmt.Errorf("node %s: cluster_state:%s cluster_known_nodes:%s cluster_size:%s (want ok, %s, %s)",
					s.Addr, fields["cluster_state"], fields["cluster_known_nodes"], fields["cluster_size"], want, want)
				break
			}
		}
		if notReady == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redisproc: cluster not ok within %v: %w", clusterJoinTimeout, notReady)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redisproc: waiting for cluster: %w (%v)", ctx.Err(), notReady)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Addrs returns the nodes' host:port addresses, e.g. for redis.ClusterOptions.Addrs.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, s := range c.Nodes {
		addrs[i] = s.Addr
	}
	return addrs
}

// Stop stops all nodes in parallel (each may wait up to 5 s). Idempotent.
func (c *Cluster) Stop() error {
	if c == nil {
		return nil
	}
	all := append(append([]*Server{}, c.Nodes...), c.Replicas...)
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, s := range all {
		wg.Go(func() { errs[i] = s.Stop() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// nodeDo runs commands on one node and expects no error replies.
func nodeDo(ctx context.Context, s *Server, cmds ...[]string) error {
	conn, err := dialRESP(ctx, s.Addr, s.tlsConf)
	if err != nil {
		return fmt.Errorf("redisproc: connect to %s: %w", s.Addr, err)
	}
	defer conn.Close()
	for _, args := range cmds {
		if _, err := conn.Do(args...); err != nil {
			return fmt.Errorf("redisproc: %s on %s: %w", strings.Join(args, " "), s.Addr, err)
		}
	}
	return nil
}

// nodeQuery runs one command on one node and returns its reply.
func nodeQuery(ctx context.Context, s *Server, args ...string) (string, error) {
	conn, err := dialRESP(ctx, s.Addr, s.tlsConf)
	if err != nil {
		return "", fmt.Errorf("redisproc: connect to %s: %w", s.Addr, err)
	}
	defer conn.Close()
	reply, err := conn.Do(args...)
	if err != nil {
		return "", fmt.Errorf("redisproc: %s on %s: %w", strings.Join(args, " "), s.Addr, err)
	}
	return reply, nil
}

// parseInfo turns "key:value" lines (INFO, CLUSTER INFO) into a map.
func parseInfo(text string) map[string]string {
	fields := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			fields[k] = v
		}
	}
	return fields
}
