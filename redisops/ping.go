package redisops

import (
	"context"
	"time"
)

// Ping measures one PING round trip to the server (the first master of a
// cluster answers). A refused PING (a +@read ACL user) reports no error
// and zero latency: the connection works, latency is just unknown.
func (c *Client) Ping(ctx context.Context) (time.Duration, error) {
	if c.PingRefused {
		// Any cheap read proves the connection is alive.
		err := c.rdb.Exists(ctx, "cachedeck:liveness-probe").Err()
		return 0, err
	}
	start := time.Now()
	err := c.rdb.Ping(ctx).Err()
	return time.Since(start), err
}
