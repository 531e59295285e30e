package redisops

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Mutations whose reply says what they did (UNLINK's count, RESTORE's OK
// or BUSYKEY) must not be resent blindly: go-redis resends a pipeline
// after a network error, and a resent UNLINK whose first reply was lost
// answers 0 for the keys it had already deleted, so the count would be
// wrong. These commands tell go-redis never to resend them; the callers
// resend them themselves and count what they could not confirm.

// onceIntCmd is an IntCmd go-redis never resends. It also keeps a reply
// once read: after a connection error, go-redis sets that error on every
// command of the pipeline still without one, including those whose reply
// had already arrived, and those must not be taken for lost.
type onceIntCmd struct {
	*redis.IntCmd
	answered bool
}

func (*onceIntCmd) NoRetry() bool { return true }

func (c *onceIntCmd) SetErr(e error) {
	if answers(e) {
		c.answered = true
	} else if c.answered && replyLost(e) {
		return // the reply was read: a later connection error does not undo it
	}
	c.IntCmd.SetErr(e)
}

// onceStatusCmd is a StatusCmd go-redis never resends; like onceIntCmd it
// keeps a reply once read.
type onceStatusCmd struct {
	*redis.StatusCmd
	answered bool
}

func (*onceStatusCmd) NoRetry() bool { return true }

func (c *onceStatusCmd) SetErr(e error) {
	if answers(e) {
		c.answered = true
	} else if c.answered && replyLost(e) {
		return
	}
	c.StatusCmd.SetErr(e)
}

// answers reports whether e (set after a reply was read) is the command's
// final answer: success or a refusal. A cluster redirect is not: the
// command is sent again to another node.
func answers(e error) bool {
	if e == nil {
		return true
	}
	msg := e.Error()
	return !replyLost(e) && !strings.HasPrefix(msg, "MOVED ") && !strings.HasPrefix(msg, "ASK ")
}

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

// notRunYet reports whether err is a reply saying the server did not run
// the command because of a passing state: loading its dataset after a
// restart, busy with a script, a slot in migration, a replica cut off. The
// command can be sent again after a pause, and a reply of this kind to a
// resent command leaves its first attempt's fate as unknown as before.
func notRunYet(err error) bool {
	if err == nil || replyLost(err) {
		return false
	}
	msg := err.Error()
	for _, p := range []string{"LOADING ", "BUSY ", "TRYAGAIN ", "MASTERDOWN "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// maxWaits bounds the pauses for a server that is not running commands
// yet (notRunYet): with resendPause's growing pauses capped at 1 s, about
// half a minute, long enough for a cache to reload after a restart.
const maxWaits = 30
