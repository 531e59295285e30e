package redisops

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// isDBOutOfRange: SELECT named a database the server does not have.
func isDBOutOfRange(err error) bool {
	return err != nil && strings.Contains(err.Error(), "DB index is out of range")
}

// dbOutOfRange explains a --db the server does not have, with the number
// of databases it has (CONFIG GET databases on database 0); when CONFIG is
// refused (managed servers), it says so instead of guessing.
func dbOutOfRange(ctx context.Context, opts *redis.Options, db int, addr string) *ConnError {
	ce := &ConnError{Addr: addr, Cause: fmt.Sprintf("database %d does not exist on this server", db)}
	zero := *opts
	zero.DB = 0
	zero.PoolSize, zero.MinIdleConns = 1, 0
	c := redis.NewClient(&zero)
	defer c.Close()
	n := 0
	if kv, err := c.ConfigGet(ctx, "databases").Result(); err == nil {
		n, _ = strconv.Atoi(kv["databases"])
	}
	if n > 0 {
		ce.Cause += fmt.Sprintf(": it has %d databases", n)
		ce.Remedy = fmt.Sprintf("use --db 0 to %d", n-1)
		if n == 1 {
			ce.Remedy = "use --db 0 (or drop --db)"
		}
		return ce
	}
	ce.Remedy = "its database count is not readable (CONFIG refused); --db 0 always exists"
	return ce
}
