package redisops_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func TestParseClientListToleratesUnknownFields(t *testing.T) {
	text := "id=7 addr=10.0.0.9:5000 laddr=10.0.0.1:6379 fd=8 name=worker-1 age=3600 idle=12 flags=N db=2 sub=0 cmd=client|list user=app_user lib-name=go-redis future-field=x\n" +
		"garbage line\n" +
		"id=8 addr=[::1]:6000 name= age=0 idle=0 flags=S db=0 cmd=replconf\r\n\n"
	got := redisops.ParseClientList("n:1", text)
	require.Len(t, got, 2)
	c := got[0]
	assert.Equal(t, int64(7), c.ID)
	assert.Equal(t, "10.0.0.9:5000", c.Addr)
	assert.Equal(t, "10.0.0.1:6379", c.LAddr)
	assert.Equal(t, "worker-1", c.Name)
	assert.Equal(t, time.Hour, c.Age)
	assert.Equal(t, 12*time.Second, c.Idle)
	assert.Equal(t, 2, c.DB)
	assert.Equal(t, "client|list", c.Cmd)
	assert.Equal(t, "N", c.Flags)
	assert.Equal(t, "app_user", c.User)
	assert.Equal(t, "x", c.Fields["future-field"])
	assert.Equal(t, "n:1", c.Node)
	assert.Equal(t, "[::1]:6000", got[1].Addr)
	assert.Equal(t, "", got[1].Name)
	assert.Equal(t, "replconf", got[1].Cmd)
}

func TestClientListAndKill(t *testing.T) {
	srv := redistest.Standalone(t)
	ctx := context.Background()
	victim := redis.NewClient(&redis.Options{Addr: srv.Addr, ClientName: "victim", DB: 3, MaxRetries: -1})
	t.Cleanup(func() { _ = victim.Close() })
	require.NoError(t, victim.Ping(ctx).Err())

	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	list, err := c.ClientList(ctx)
	require.NoError(t, err)
	var v *redisops.ClientInfo
	for i := range list {
		assert.Equal(t, srv.Addr, list[i].Node)
		if i > 0 {
			assert.Less(t, list[i-1].ID, list[i].ID)
		}
		if list[i].Name == "victim" {
			v = &list[i]
		}
	}
	require.NotNil(t, v, "%+v", list)
	assert.Equal(t, 3, v.DB)
	assert.Equal(t, "default", v.User)
	assert.Equal(t, "ping", v.Cmd)
	assert.NotEmpty(t, v.Addr)
	assert.Contains(t, v.Flags, "N")

	require.NoError(t, c.KillClient(ctx, v.Node, v.ID))
	list, err = c.ClientList(ctx)
	require.NoError(t, err)
	for _, ci := range list {
		assert.NotEqual(t, v.ID, ci.ID)
	}

	err = c.KillClient(ctx, "", v.ID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no client with id")
	err = c.KillClient(ctx, "10.9.9.9:1", 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no node")
}

func TestClientListCluster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	ctx := context.Background()
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	list, err := c.ClientList(ctx)
	require.NoError(t, err)
	nodes := map[string]bool{}
	for _, ci := range list {
		nodes[ci.Node] = true
	}
	assert.Len(t, nodes, 3, "CLIENT LIST ran on every master")

	victim := redis.NewClient(&redis.Options{Addr: cl.Addrs()[1], ClientName: "victim"})
	t.Cleanup(func() { _ = victim.Close() })
	require.NoError(t, victim.Ping(ctx).Err())
	list, err = c.ClientList(ctx)
	require.NoError(t, err)
	for _, ci := range list {
		if ci.Name == "victim" {
			assert.Equal(t, cl.Addrs()[1], ci.Node)
			// The id exists on one node only; on another it is someone else or nobody.
			require.NoError(t, c.KillClient(ctx, ci.Node, ci.ID))
			return
		}
	}
	t.Fatal("victim not listed")
}

func TestClientRefusals(t *testing.T) {
	srv := redistest.Restricted(t)
	ctx := context.Background()
	app := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.AdminUser, Password: srv.AdminPassword})
	_, err := app.ClientList(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CLIENT LIST denied by ACL: NOPERM")
	err = app.KillClient(ctx, "", 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CLIENT KILL denied by ACL: NOPERM")

	def := connect(t, redisops.ConnOptions{URL: srv.URL(), Password: srv.DefaultPassword})
	list, err := def.ClientList(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, list)
}
