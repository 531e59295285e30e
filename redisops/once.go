package redisops

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Mutations whose reply says what they did (UNLINK's count, RESTORE's OK
// or BUSYKEY) must not be resent blindly: go-redis resends a pipeline
// after a network error, and a resent UNLINK whose first reply was lost
// answers 0 for the keys it had already deleted, so the count would be
// wrong. These commands tell go-redis never to resend them; the callers
// resend them themselves and count what they could not confirm.

// onceIntCmd is an IntCmd go-redis never resends.
type onceIntCmd struct{ *redis.IntCmd }

func (onceIntCmd) NoRetry() bool { return true }

// onceStatusCmd is a StatusCmd go-redis never resends.
type onceStatusCmd struct{ *redis.StatusCmd }

func (onceStatusCmd) NoRetry() bool { return true }

// maxResends bounds how often a batch whose reply was lost is sent again.
const maxResends = 3

// replyLost reports whether err leaves a command's fate unknown: a network
// error or timeout after it may have reached the server. A server error
// reply (NOPERM, MOVED, …) means the command did not run.
func replyLost(err error) bool {
	if err == nil {
		return false
	}
	var reply redis.Error
	return !errors.As(err, &reply)
}

// resendPause waits before sending a lost batch again: long enough for
// the pool to dial a fresh connection, short enough not to matter.
func resendPause(ctx context.Context, attempt int) error {
	t := time.NewTimer(time.Duration(attempt) * 100 * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
