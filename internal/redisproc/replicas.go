package redisproc

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// StartClusterWithReplicas is StartCluster plus replicas per master:
// Replicas[i] replicates Nodes[i % masters]. It returns once every node
// knows every other and every replica's link to its master is up, so a
// CLUSTER FAILOVER on a replica can proceed at once.
func StartClusterWithReplicas(ctx context.Context, masters, replicas int) (*Cluster, error) {
	c, err := StartCluster(ctx, masters)
	if err != nil {
		return nil, err
	}
	if err := c.addReplicas(ctx, masters, replicas); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) addReplicas(ctx context.Context, masters, replicas int) error {
	for range masters * replicas {
		s, err := Start(ctx, Config{cluster: true})
		if err != nil {
			return err
		}
		c.Replicas = append(c.Replicas, s)
		for _, to := range c.Nodes {
			if err := nodeDo(ctx, s, []string{"CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(to.Port), strconv.Itoa(to.busPort)}); err != nil {
				return err
			}
		}
	}
	deadline := time.Now().Add(clusterJoinTimeout)
	for i, r := range c.Replicas {
		master := c.Nodes[i%masters]
		id, err := nodeQuery(ctx, master, "CLUSTER", "MYID")
		if err != nil {
			return err
		}
		// REPLICATE fails with "Unknown node" until gossip has told the
		// replica about its master.
		for {
			err := nodeDo(ctx, r, []string{"CLUSTER", "REPLICATE", id})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("redisproc: replica %s never accepted its master %s: %w", r.Addr, master.Addr, err)
			}
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	total := strconv.Itoa(len(c.Nodes) + len(c.Replicas))
	for _, s := range append(append([]*Server{}, c.Nodes...), c.Replicas...) {
		for {
			info, err := nodeQuery(ctx, s, "CLUSTER", "INFO")
			if err != nil {
				return err
			}
			repl, err := nodeQuery(ctx, s, "INFO", "replication")
			if err != nil {
				return err
			}
			f, r := parseInfo(info), parseInfo(repl)
			linked := r["role"] == "master" || r["master_link_status"] == "up"
			if f["cluster_state"] == "ok" && f["cluster_known_nodes"] == total && linked {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("redisproc: node %s not ready: cluster_state:%s known_nodes:%s (want %s) role:%s link:%s",
					s.Addr, f["cluster_state"], f["cluster_known_nodes"], total, r["role"], r["master_link_status"])
			}
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

// Role is the node's replication role: "master" or "slave".
func (s *Server) Role(ctx context.Context) (string, error) {
	repl, err := nodeQuery(ctx, s, "INFO", "replication")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(parseInfo(repl)["role"]), nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
