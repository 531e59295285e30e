package redisops

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClientInfo is one line of CLIENT LIST.
type ClientInfo struct {
	Node      string
	ID        int64
	Addr      string
	LAddr     string
	Name      string
	Age, Idle time.Duration
	DB        int
	Cmd       string // last command, e.g. "get", "client|list"
	Flags     string // N (normal), S (replica), M (master), P (pub/sub), x (MULTI)...
	User      string
	// Fields holds every field of the line as the server wrote it, those
	// above included (qbuf, omem, tot-mem, resp, lib-name...).
	Fields map[string]string
}

// ClientList runs CLIENT LIST on every node and parses it, sorted by node
// then id. Unknown fields are kept in Fields. If some nodes fail it returns
// the others' clients with an *OpError.
func (c *Client) ClientList(ctx context.Context) ([]ClientInfo, error) {
	var mu sync.Mutex
	var out []ClientInfo
	results, err := c.eachNode(ctx, func(ctx context.Context, name string, node *redis.Client) error {
		text, err := node.ClientList(ctx).Result()
		if err != nil {
			return err
		}
		list := ParseClientList(name, text)
		mu.Lock()
		out = append(out, list...)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, &OpError{Op: "CLIENT LIST", Nodes: map[string]error{c.Addr: err}, Total: 1}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		return out[i].ID < out[j].ID
	})
	return out, opErr("CLIENT LIST", results)
}

// ParseClientList parses CLIENT LIST output: one client per line, fields
// "name=value" separated by spaces. A client name cannot hold spaces (CLIENT
// SETNAME refuses them), so splitting on spaces is safe; a part without "="
// is ignored.
func ParseClientList(node, text string) []ClientInfo {
	var out []ClientInfo
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r ")
		if line == "" {
			continue
		}
		f := parseKV(line, " ")
		id, err := strconv.ParseInt(f["id"], 10, 64)
		if err != nil {
			continue // not a client line
		}
		age, _ := strconv.ParseInt(f["age"], 10, 64)
		idle, _ := strconv.ParseInt(f["idle"], 10, 64)
		db, _ := strconv.Atoi(f["db"])
		out = append(out, ClientInfo{
			Node: node, ID: id, Addr: f["addr"], LAddr: f["laddr"], Name: f["name"],
			Age: time.Duration(age) * time.Second, Idle: time.Duration(idle) * time.Second,
			DB: db, Cmd: f["cmd"], Flags: f["flags"], User: f["user"], Fields: f,
		})
	}
	return out
}

// KillClient closes one client connection: CLIENT KILL ID id on the named
// node (ClientInfo.Node; on a standalone server "" also names it). It fails
// when the node is unknown or no client has that id there.
func (c *Client) KillClient(ctx context.Context, node string, id int64) error {
	found := false
	var killed int64
	var killErr error
	// Only one node matches, so only one goroutine writes these.
	results, err := c.eachNode(ctx, func(ctx context.Context, name string, n *redis.Client) error {
		if name != node && (node != "" || c.cluster != nil) {
			return nil
		}
		found = true
		killed, killErr = n.Do(ctx, "client", "kill", "id", id).Int64()
		return nil
	})
	if err != nil {
		return &OpError{Op: "CLIENT KILL", Nodes: map[string]error{c.Addr: err}, Total: 1}
	}
	where := node
	if where == "" {
		where = c.Addr
	}
	if !found {
		names := make([]string, 0, len(results))
		for n := range results {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("CLIENT KILL: no node %q (nodes: %s)", node, strings.Join(names, ", "))
	}
	if killErr != nil {
		return &OpError{Op: "CLIENT KILL", Nodes: map[string]error{where: killErr}, Total: 1}
	}
	if killed == 0 {
		return fmt.Errorf("CLIENT KILL: no client with id %d on %s (already gone?)", id, where)
	}
	return nil
}
