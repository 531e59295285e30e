package redistest

import (
	"testing"

	"github.com/coldcopy/cachedeck/internal/redisproc"
)

// RestrictedServer is a redis-server locked down like ColdCopy's production
// cache (docs coldcopy-redis-cache.md, "Security"), with the credentials of
// each user. All users may read every key (~*).
type RestrictedServer struct {
	*redisproc.Server
	// DefaultPassword is requirepass. The default user keeps +@all, so it is
	// the one account that can run INFO, SLOWLOG, CLIENT LIST, LATENCY...
	DefaultPassword string
	// AdminUser is app_user: +@all -@dangerous ~* &*.
	AdminUser, AdminPassword string
	// ReadOnlyUser is readonly_user: +@read ~*.
	ReadOnlyUser, ReadOnlyPassword string
	// NoInfoUser is noinfo_user: reads keys, but INFO, OBJECT and MEMORY are
	// denied, for testing how callers degrade.
	NoInfoUser, NoInfoPassword string
}

// Restricted runs a redis-server configured like production and stops it when
// the test ends. What each account can run on redis-server 7.0.15 (proved by
// TestRestrictedPermissions; "unknown" = ERR unknown command, "NOPERM" = ACL):
//
//   - everyone: KEYS, FLUSHDB, FLUSHALL and CONFIG (any subcommand) are
//     unknown: rename-command removed them, and that check comes before
//     authentication and ACLs. DEBUG is refused to everyone with "ERR DEBUG
//     command not allowed..." (enable-debug-command no), also before ACLs.
//   - default user (DefaultPassword): everything else, INFO included.
//   - app_user (+@all -@dangerous): reads, writes, DEL/UNLINK, SCAN, PING,
//     SELECT, EVAL, MEMORY USAGE/STATS, OBJECT, COMMAND, ACL WHOAMI, CLIENT
//     SETNAME. NOPERM for all of @dangerous, which in 7.0 includes INFO,
//     SLOWLOG, LATENCY, CLIENT LIST/KILL/PAUSE, MONITOR, ROLE, LASTSAVE, SAVE,
//     BGSAVE, BGREWRITEAOF, SORT and SORT_RO, SWAPDB, SHUTDOWN, MODULE, ACL
//     LIST/SETUSER/LOG..., REPLICAOF, MIGRATE, RESTORE and the cluster admin
//     subcommands (CLUSTER INFO is allowed; this server is not a cluster).
//   - readonly_user (+@read only): GET, MGET, EXISTS, TYPE, TTL/PTTL, STRLEN,
//     SCAN/HSCAN/SSCAN/ZSCAN, HGETALL, LRANGE, ..., DBSIZE, RANDOMKEY,
//     SORT_RO, MEMORY USAGE, OBJECT ENCODING/FREQ/IDLETIME. NOPERM for every
//     write (SET, DEL, UNLINK, EXPIRE, EVAL) and for all outside @read: PING,
//     ECHO, SELECT, INFO, CLIENT *, COMMAND, ACL WHOAMI, CLUSTER INFO, MEMORY
//     STATS, MULTI, SUBSCRIBE, SLOWLOG. It can log in (AUTH and HELLO are
//     exempt from ACLs), so go-redis connects, but a health check for it
//     cannot use PING: use DBSIZE, or count NOPERM as "connected".
//   - noinfo_user (+@read +@connection -@dangerous -info -object -memory):
//     like readonly_user plus PING, ECHO, SELECT, CLIENT SETNAME/INFO and
//     COMMAND; NOPERM for INFO, every OBJECT and MEMORY subcommand (MEMORY
//     USAGE included), SORT_RO, ACL WHOAMI, CLUSTER INFO and all writes.
func Restricted(t testing.TB) *RestrictedServer {
	t.Helper()
	r := &RestrictedServer{
		DefaultPassword:  "default_password",
		AdminUser:        "app_user",
		AdminPassword:    "app_password",
		ReadOnlyUser:     "readonly_user",
		ReadOnlyPassword: "readonly_password",
		NoInfoUser:       "noinfo_user",
		NoInfoPassword:   "noinfo_password",
	}
	r.Server = start(t, redisproc.Config{
		Password: r.DefaultPassword,
		Directives: []string{
			`rename-command FLUSHDB ""`,
			`rename-command FLUSHALL ""`,
			`rename-command KEYS ""`,
			`rename-command CONFIG ""`,
			// Rules use categories only; Redis 7.0 would also accept rules
			// naming renamed commands (it resolves original names).
			"user " + r.AdminUser + " on >" + r.AdminPassword + " ~* &* +@all -@dangerous",
			"user " + r.ReadOnlyUser + " on >" + r.ReadOnlyPassword + " ~* +@read",
			// -info is already implied by -@dangerous; spelled out for readers.
			"user " + r.NoInfoUser + " on >" + r.NoInfoPassword +
				" ~* +@read +@connection -@dangerous -info -object -memory",
		},
	})
	return r
}
