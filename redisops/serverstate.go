package redisops

import (
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"
)

// stateHints explain the error replies a server gives about its own state,
// not about the command: the on-call engineer needs what is going on and
// what to do, not the raw prefix.
var stateHints = []struct{ prefix, hint string }{
	{"OOM", "the server is out of memory (maxmemory reached, eviction policy noeviction) and refuses writes: free memory, raise maxmemory or choose an evicting policy"},
	{"BUSY", "the server is busy running a long script: wait for it, or stop it with SCRIPT KILL (FUNCTION KILL for a function)"},
	{"LOADING", "the server is loading its dataset after a restart and answers nothing else: wait until it has finished"},
	{"READONLY", "this server is now a read-only replica (a failover moved the primary): connect to the new primary"},
	{"MASTERDOWN", "this replica lost its link to the primary and does not serve stale data: wait for the link, or connect to the primary"},
	{"CLUSTERDOWN", "the cluster is down (slots without a master): wait for the failover, or check the cluster's health"},
	{"TRYAGAIN", "a cluster slot is being resharded: run it again in a moment"},
	{"NOREPLICAS", "not enough replicas acknowledge writes (min-replicas-to-write): check the replicas"},
}

// StateHint explains an error reply about the server's state (OOM, BUSY,
// LOADING, READONLY, MASTERDOWN, …) anywhere in err's chain; "" for any
// other error.
func StateHint(err error) string {
	var reply redis.Error
	if err == nil || !errors.As(err, &reply) {
		return ""
	}
	msg := reply.Error()
	for _, h := range stateHints {
		if strings.HasPrefix(msg, h.prefix+" ") || msg == h.prefix {
			return h.hint
		}
	}
	return ""
}
