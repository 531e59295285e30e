package redisops_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func TestRedactArgsEveryForm(t *testing.T) {
	cases := []struct{ in, want []string }{
		{[]string{"AUTH", "pw"}, []string{"AUTH", "****"}},
		{[]string{"auth", "alice", "pw"}, []string{"auth", "alice", "****"}},
		{[]string{"Auth", "alice", "pw", "extra"}, []string{"Auth", "alice", "****", "****"}},
		{[]string{"AUTH"}, []string{"AUTH"}},
		{[]string{"HELLO", "3", "AUTH", "alice", "pw", "SETNAME", "app"}, []string{"HELLO", "3", "AUTH", "alice", "****", "SETNAME", "app"}},
		{[]string{"hello", "2", "setname", "auth", "auth", "u", "p"}, []string{"hello", "2", "setname", "auth", "auth", "u", "****"}},
		{[]string{"HELLO", "3", "AUTH", "alice"}, []string{"HELLO", "3", "AUTH", "alice"}},
		{[]string{"ACL", "SETUSER", "bob", "on", ">pw1", "<pw2", "#abc123", "!def456", "~*", "+@all"},
			[]string{"ACL", "SETUSER", "bob", "on", ">****", "<****", "#****", "!****", "~*", "+@all"}},
		{[]string{"acl", "setuser", ">odd-user-name"}, []string{"acl", "setuser", ">odd-user-name"}},
		{[]string{"MIGRATE", "h", "6379", "", "0", "5000", "COPY", "AUTH", "pw", "KEYS", "a", "AUTH", "b"},
			[]string{"MIGRATE", "h", "6379", "", "0", "5000", "COPY", "AUTH", "****", "KEYS", "a", "AUTH", "b"}},
		{[]string{"migrate", "h", "6379", "k", "0", "5000", "REPLACE", "auth2", "alice", "pw"},
			[]string{"migrate", "h", "6379", "k", "0", "5000", "REPLACE", "auth2", "alice", "****"}},
		{[]string{"MIGRATE", "h", "6379", "AUTH", "0", "5000"}, []string{"MIGRATE", "h", "6379", "AUTH", "0", "5000"}},
		{[]string{"CONFIG", "SET", "requirepass", "pw"}, []string{"CONFIG", "SET", "requirepass", "****"}},
		{[]string{"config", "set", "maxmemory", "1gb", "MasterAuth", "pw", "tls-key-file-pass", "x"},
			[]string{"config", "set", "maxmemory", "1gb", "MasterAuth", "****", "tls-key-file-pass", "****"}},
		{[]string{"CONFIG", "GET", "requirepass"}, []string{"CONFIG", "GET", "requirepass"}},
		{[]string{"SENTINEL", "SET", "mymaster", "quorum", "2", "auth-pass", "pw"}, []string{"SENTINEL", "SET", "mymaster", "quorum", "2", "auth-pass", "****"}},
		{[]string{"sentinel", "config", "set", "sentinel-pass", "pw"}, []string{"sentinel", "config", "set", "sentinel-pass", "****"}},
		{[]string{"SET", "AUTH", "pw"}, []string{"SET", "AUTH", "pw"}},
		{[]string{"auth", "(redacted)"}, []string{"auth", "****"}},
		{nil, nil},
	}
	for _, tc := range cases {
		in := append([]string(nil), tc.in...)
		got := redisops.RedactArgs(tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
		assert.Equal(t, in, tc.in, "the input is not modified")
	}
}

func TestSlowLogStandaloneRedactedNewestFirst(t *testing.T) {
	srv := redistest.Standalone(t)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = admin.Close() })
	require.NoError(t, admin.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err())

	named := redis.NewClient(&redis.Options{Addr: srv.Addr, ClientName: "worker-1"})
	t.Cleanup(func() { _ = named.Close() })
	long := strings.Repeat("x", 1000)
	require.NoError(t, named.Set(ctx, "lead:1", long, 0).Err())
	require.NoError(t, admin.Set(ctx, "new\nline", "v", 0).Err())

	secrets := []string{"s3cret-auth", "s3cret-hello", "s3cret-master", "s3cret-acl", "s3cret-mig"}
	_ = admin.Do(ctx, "AUTH", secrets[0]).Err() // no password configured: an error, still logged
	_ = admin.Do(ctx, "HELLO", "2", "AUTH", "default", secrets[1]).Err()
	require.NoError(t, admin.Do(ctx, "CONFIG", "SET", "masterauth", secrets[2]).Err())
	require.NoError(t, admin.Do(ctx, "ACL", "SETUSER", "bob", ">"+secrets[3]).Err())
	_ = admin.Do(ctx, "MIGRATE", "127.0.0.1", "1", "nokey", "0", "10", "AUTH", secrets[4]).Err()

	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	entries, err := c.SlowLog(ctx, 128)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(entries), 8)
	var commands []string
	for i, e := range entries {
		assert.Equal(t, srv.Addr, e.Node)
		assert.NotEmpty(t, e.ClientAddr)
		assert.False(t, e.Time.IsZero())
		assert.WithinDuration(t, time.Now(), e.Time, time.Minute)
		if i > 0 {
			assert.Less(t, e.ID, entries[i-1].ID, "newest first")
		}
		for _, a := range e.Args {
			assert.LessOrEqual(t, len(a), 200)
			for _, s := range secrets {
				assert.NotContains(t, a, s)
			}
		}
		commands = append(commands, strings.ToLower(e.Args[0]))
		switch strings.ToLower(e.Args[0]) {
		case "set":
			if e.Args[1] == "lead:1" {
				assert.Equal(t, "worker-1", e.ClientName)
				assert.Contains(t, e.Args[2], "more bytes", "the server cuts long arguments")
			}
		case "migrate":
			assert.NotContains(t, strings.Join(e.Args, " "), "s3cret")
		}
	}
	for _, want := range []string{"set", "auth", "hello", "config", "acl", "migrate"} {
		assert.Contains(t, commands, want)
	}
	var sawAwkward bool
	for _, e := range entries {
		if len(e.Args) > 1 && e.Args[1] == "new\nline" {
			sawAwkward = true // raw bytes: display is the caller's job
		}
	}
	assert.True(t, sawAwkward)

	three, err := c.SlowLog(ctx, 3)
	require.NoError(t, err)
	assert.Len(t, three, 3)
	assert.Equal(t, entries[0].ID+1, three[0].ID, "the first SlowLog call (SLOWLOG GET) is now logged too")

	require.NoError(t, c.SlowLogReset(ctx))
	after, err := c.SlowLog(ctx, 128)
	require.NoError(t, err)
	for _, e := range after {
		assert.NotEqual(t, "lead:1", argAt(e.Args, 1), "reset removed the old entries")
	}
	assert.LessOrEqual(t, len(after), 2)
}

func argAt(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

func TestSlowLogClusterMergesEveryMaster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	ctx := context.Background()
	for _, addr := range cl.Addrs() {
		n := redis.NewClient(&redis.Options{Addr: addr})
		require.NoError(t, n.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err())
		require.NoError(t, n.Close())
	}
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	require.True(t, c.IsCluster())
	for i := 0; i < 30; i++ {
		require.NoError(t, c.Redis().Set(ctx, "lead:"+itoa(i), "v", 0).Err())
	}
	entries, err := c.SlowLog(ctx, 128)
	require.NoError(t, err)
	nodes := map[string]bool{}
	for i, e := range entries {
		nodes[e.Node] = true
		if i > 0 {
			assert.False(t, e.Time.After(entries[i-1].Time), "newest first across nodes")
		}
	}
	got := make([]string, 0, len(nodes))
	for n := range nodes {
		got = append(got, n)
	}
	sort.Strings(got)
	want := append([]string(nil), cl.Addrs()...)
	sort.Strings(want)
	assert.Equal(t, want, got)

	five, err := c.SlowLog(ctx, 5)
	require.NoError(t, err)
	assert.Len(t, five, 5, "n entries in all, not n per node")

	require.NoError(t, c.SlowLogReset(ctx))
}

func TestSlowLogAndLatencyRefusals(t *testing.T) {
	srv := redistest.Restricted(t)
	ctx := context.Background()
	app := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.AdminUser, Password: srv.AdminPassword})

	_, err := app.SlowLog(ctx, 10)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SLOWLOG GET denied by ACL: NOPERM")
	err = app.SlowLogReset(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NOPERM")
	_, err = app.LatencyLatest(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "LATENCY LATEST denied by ACL: NOPERM")
	var oe *redisops.OpError
	require.ErrorAs(t, err, &oe)
	assert.NotEmpty(t, oe.Refused())

	// The connection still works after the refusals.
	require.NoError(t, app.Redis().Set(ctx, "k", "v", 0).Err())
}

func TestLatencyLatest(t *testing.T) {
	srv := redistest.Standalone(t)
	ctx := context.Background()
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	events, err := c.LatencyLatest(ctx)
	require.NoError(t, err)
	assert.Empty(t, events, "latency-monitor-threshold is 0 by default")

	require.NoError(t, c.Redis().ConfigSet(ctx, "latency-monitor-threshold", "1").Err())
	// A script that busy-waits 15 ms by the server's clock.
	const busy = `local t = redis.call('TIME')
local start = t[1] * 1000000 + t[2]
repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= 15000
return 1`
	require.NoError(t, c.Redis().Eval(ctx, busy, nil).Err())
	events, err = c.LatencyLatest(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, events)
	assert.Equal(t, "command", events[0].Event)
	assert.Equal(t, srv.Addr, events[0].Node)
	assert.GreaterOrEqual(t, events[0].Max, 15*time.Millisecond)
	assert.GreaterOrEqual(t, events[0].Latest, 15*time.Millisecond)
	assert.WithinDuration(t, time.Now(), events[0].Time, time.Minute)
}
