package redistest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

// Outcome classes of one command.
const (
	ok      = "ok"      // any reply, redis.Nil included
	noperm  = "NOPERM"  // ACL denial
	unknown = "unknown" // ERR unknown command (renamed away)
	otherEr = "ERR"     // allowed, but the command itself failed (e.g. cluster disabled)
)

func classify(err error) string {
	switch {
	case err == nil, errors.Is(err, redis.Nil):
		return ok
	case strings.HasPrefix(err.Error(), "NOPERM"):
		return noperm
	case strings.HasPrefix(err.Error(), "ERR unknown command"):
		return unknown
	case strings.HasPrefix(err.Error(), "ERR"):
		return otherEr
	}
	return err.Error()
}

// TestRestrictedPermissions proves the table in Restricted's doc comment.
func TestRestrictedPermissions(t *testing.T) {
	t.Parallel()
	r := redistest.Restricted(t)
	ctx := t.Context()

	users := []struct {
		name string
		c    *redis.Client
	}{
		{"default", client(t, &redis.Options{Addr: r.Addr, Password: r.DefaultPassword})},
		{r.AdminUser, client(t, &redis.Options{Addr: r.Addr, Username: r.AdminUser, Password: r.AdminPassword})},
		{r.ReadOnlyUser, client(t, &redis.Options{Addr: r.Addr, Username: r.ReadOnlyUser, Password: r.ReadOnlyPassword})},
		{r.NoInfoUser, client(t, &redis.Options{Addr: r.Addr, Username: r.NoInfoUser, Password: r.NoInfoPassword})},
	}
	if err := users[0].c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("seed key: %v", err)
	}

	// Expected outcome per user, in the order default, app_user,
	// readonly_user, noinfo_user.
	cases := []struct {
		cmd  []any
		want [4]string
	}{
		// Renamed away for everyone.
		{[]any{"KEYS", "*"}, [4]string{unknown, unknown, unknown, unknown}},
		{[]any{"FLUSHDB"}, [4]string{unknown, unknown, unknown, unknown}},
		{[]any{"FLUSHALL"}, [4]string{unknown, unknown, unknown, unknown}},
		{[]any{"CONFIG", "GET", "maxmemory"}, [4]string{unknown, unknown, unknown, unknown}},
		// Reads.
		{[]any{"GET", "k"}, [4]string{ok, ok, ok, ok}},
		{[]any{"SCAN", "0", "COUNT", "100"}, [4]string{ok, ok, ok, ok}},
		{[]any{"TYPE", "k"}, [4]string{ok, ok, ok, ok}},
		{[]any{"TTL", "k"}, [4]string{ok, ok, ok, ok}},
		{[]any{"EXISTS", "k"}, [4]string{ok, ok, ok, ok}},
		{[]any{"DBSIZE"}, [4]string{ok, ok, ok, ok}},
		{[]any{"SORT_RO", "nolist"}, [4]string{ok, noperm, ok, noperm}},
		// Introspection of keys.
		{[]any{"MEMORY", "USAGE", "k"}, [4]string{ok, ok, ok, noperm}},
		{[]any{"OBJECT", "ENCODING", "k"}, [4]string{ok, ok, ok, noperm}},
		{[]any{"MEMORY", "STATS"}, [4]string{ok, ok, noperm, noperm}},
		// Writes.
		{[]any{"SET", "k2", "v"}, [4]string{ok, ok, noperm, noperm}},
		{[]any{"EXPIRE", "k2", "1000"}, [4]string{ok, ok, noperm, noperm}},
		{[]any{"UNLINK", "k2"}, [4]string{ok, ok, noperm, noperm}},
		{[]any{"DEL", "k2"}, [4]string{ok, ok, noperm, noperm}},
		{[]any{"EVAL", "return 1", "0"}, [4]string{ok, ok, noperm, noperm}},
		{[]any{"SORT", "nolist"}, [4]string{ok, noperm, noperm, noperm}},
		// Connection.
		{[]any{"PING"}, [4]string{ok, ok, noperm, ok}},
		{[]any{"ECHO", "x"}, [4]string{ok, ok, noperm, ok}},
		{[]any{"SELECT", "0"}, [4]string{ok, ok, noperm, ok}},
		{[]any{"CLIENT", "SETNAME", "t"}, [4]string{ok, ok, noperm, ok}},
		{[]any{"COMMAND", "COUNT"}, [4]string{ok, ok, noperm, ok}},
		{[]any{"ACL", "WHOAMI"}, [4]string{ok, ok, noperm, noperm}},
		// Server introspection: @dangerous in Redis 7.0.
		{[]any{"INFO"}, [4]string{ok, noperm, noperm, noperm}},
		{[]any{"INFO", "memory"}, [4]string{ok, noperm, noperm, noperm}},
		{[]any{"SLOWLOG", "GET", "10"}, [4]string{ok, noperm, noperm, noperm}},
		{[]any{"LATENCY", "LATEST"}, [4]string{ok, noperm, noperm, noperm}},
		{[]any{"CLIENT", "LIST"}, [4]string{ok, noperm, noperm, noperm}},
		{[]any{"ROLE"}, [4]string{ok, noperm, noperm, noperm}},
		{[]any{"LASTSAVE"}, [4]string{ok, noperm, noperm, noperm}},
		{[]any{"ACL", "LIST"}, [4]string{ok, noperm, noperm, noperm}},
		// DEBUG is refused before the ACL check, to everyone, because
		// enable-debug-command is no (the 7.0 default): "ERR DEBUG command
		// not allowed. If the enable-debug-command option is set to ...".
		{[]any{"DEBUG", "SLEEP", "0"}, [4]string{otherEr, otherEr, otherEr, otherEr}},
		// Not a @dangerous subcommand, but this server is not a cluster.
		{[]any{"CLUSTER", "INFO"}, [4]string{otherEr, otherEr, noperm, noperm}},
	}
	for _, tc := range cases {
		for i, u := range users {
			err := u.c.Do(ctx, tc.cmd...).Err()
			if got := classify(err); got != tc.want[i] {
				t.Errorf("%s: %v: got %s (%v), want %s", u.name, tc.cmd, got, err, tc.want[i])
			}
		}
	}
}

// The exact texts callers classify; see the package doc for the list.
func TestRestrictedErrorTexts(t *testing.T) {
	t.Parallel()
	r := redistest.Restricted(t)
	ctx := t.Context()
	ro := client(t, &redis.Options{Addr: r.Addr, Username: r.ReadOnlyUser, Password: r.ReadOnlyPassword})
	noinfo := client(t, &redis.Options{Addr: r.Addr, Username: r.NoInfoUser, Password: r.NoInfoPassword})
	admin := client(t, &redis.Options{Addr: r.Addr, Username: r.AdminUser, Password: r.AdminPassword})

	checks := []struct {
		name string
		err  error
		want string
	}{
		{"SET as readonly_user", ro.Set(ctx, "k", "v", 0).Err(),
			"NOPERM this user has no permissions to run the 'set' command"},
		{"INFO as noinfo_user", noinfo.Info(ctx).Err(),
			"NOPERM this user has no permissions to run the 'info' command"},
		{"OBJECT ENCODING as noinfo_user", noinfo.ObjectEncoding(ctx, "k").Err(),
			"NOPERM this user has no permissions to run the 'object|encoding' command"},
		{"MEMORY USAGE as noinfo_user", noinfo.MemoryUsage(ctx, "k").Err(),
			"NOPERM this user has no permissions to run the 'memory|usage' command"},
		{"KEYS via go-redis Keys", admin.Keys(ctx, "*").Err(),
			"ERR unknown command 'keys', with args beginning with: '*' "},
		{"CONFIG via Do", admin.Do(ctx, "CONFIG", "GET", "maxmemory").Err(),
			"ERR unknown command 'CONFIG', with args beginning with: 'GET' 'maxmemory' "},
		{"FLUSHDB via go-redis FlushDB", admin.FlushDB(ctx).Err(),
			"ERR unknown command 'flushdb', with args beginning with: "},
		{"wrong password", client(t, &redis.Options{Addr: r.Addr, Username: r.AdminUser, Password: "wrong"}).Ping(ctx).Err(),
			"WRONGPASS invalid username-password pair or user is disabled."},
		{"no password", client(t, &redis.Options{Addr: r.Addr}).Ping(ctx).Err(),
			"NOAUTH Authentication required."},
	}
	for _, c := range checks {
		t.Logf("%s: %q", c.name, errText(c.err))
		if errText(c.err) != c.want {
			t.Errorf("%s: got %q, want %q", c.name, errText(c.err), c.want)
		}
	}
	if err := ro.Set(ctx, "k", "v", 0).Err(); !redis.IsPermissionError(err) {
		t.Errorf("redis.IsPermissionError(%v) = false", err)
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
