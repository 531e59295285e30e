package redisops

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// go-redis prints pool and dial failures to stderr on its own. cachedeck
// reports every failure itself, in one line; a second copy on stderr would
// garble the console's screen.
func init() { redis.SetLogger(quietLogger{}) }

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...interface{}) {}
