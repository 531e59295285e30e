package redisops

import (
	"context"
	"strings"

	"github.com/redis/go-redis/v9"
)

// WriteAccess tells whether this connection may delete keys, without
// changing anything. A replica (INFO role, or a READONLY reply) cannot; an
// ACL user that may not UNLINK cannot. It asks ACL DRYRUN (Redis 7+) when
// the user may run it, else sends PEXPIRE with an invalid time: the ACL
// and replica checks run before the argument is parsed, so a user allowed
// to write gets "not an integer" and nothing changes. When neither tells,
// the answer is ok with reason "unknown".
func (c *Client) WriteAccess(ctx context.Context) (ok bool, reason string) {
	if c.Server.Role == "slave" || c.Server.Role == "replica" {
		return false, "the server is a replica"
	}
	if user := c.user(); user != "" {
		res, err := c.rdb.ACLDryRun(ctx, user, "UNLINK", "cachedeck:probe").Result()
		if err == nil {
			if res == "OK" {
				return true, ""
			}
			return false, "the ACL user " + user + " cannot delete keys: " + firstLine(res)
		}
	}
	err := c.rdb.Do(ctx, "PEXPIRE", "cachedeck:probe", "not-a-number").Err()
	switch {
	case err == nil:
		return true, "" // cannot happen; nothing to worry about either
	case strings.HasPrefix(err.Error(), "READONLY"):
		return false, "the server is a replica"
	case strings.HasPrefix(err.Error(), "NOPERM"):
		return false, "the ACL user cannot write: " + firstLine(err.Error())
	case strings.Contains(err.Error(), "not an integer"):
		return true, ""
	}
	return true, "unknown"
}

// user is the ACL user this client logs in as ("default" when none).
func (c *Client) user() string {
	var o *redis.Options
	if c.cluster != nil {
		co := c.cluster.Options()
		if co.Username != "" {
			return co.Username
		}
		return "default"
	}
	o = c.nodes[0].Options()
	if o.Username != "" {
		return o.Username
	}
	return "default"
}
