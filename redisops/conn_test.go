package redisops_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func TestConnectIdentifiesServer(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	assert.Equal(t, "redis", c.Server.Product)
	assert.NotEmpty(t, c.Server.Version)
	assert.Equal(t, "master", c.Server.Role)
	assert.False(t, c.IsCluster())
	assert.Equal(t, srv.Addr, c.Addr)
}

func TestConnectSelectsDB(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL(), DB: 3})
	ctx := context.Background()
	require.NoError(t, c.Redis().Set(ctx, "in3", "v", 0).Err())
	c0 := connect(t, redisops.ConnOptions{URL: srv.URL() + "/0"})
	assert.Zero(t, c0.Redis().Exists(ctx, "in3").Val())
}

// silentListener accepts connections and never answers: a firewall that
// lets SYN through, or a hung server.
func silentListener(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

func TestConnectErrorsNameTheCause(t *testing.T) {
	plain := redistest.Standalone(t)
	restricted := redistest.Restricted(t)
	tlsSrv := redistest.TLS(t)
	refusedAddr := net.JoinHostPort("127.0.0.1", itoa(redistest.FreePort(t)))
	silent := silentListener(t)
	const secret = "hunter2-very-secret"

	cases := []struct {
		name   string
		opts   redisops.ConnOptions
		addr   string
		expect []string
	}{
		{"refused", redisops.ConnOptions{URL: "redis://:" + secret + "@" + refusedAddr}, refusedAddr, []string{"connection refused"}},
		{"dns", redisops.ConnOptions{URL: "redis://no-such-host.invalid:6379", Password: secret}, "no-such-host.invalid:6379", []string{"cannot resolve host"}},
		{"wrong password", redisops.ConnOptions{URL: restricted.URL(), Password: secret}, restricted.Addr, []string{"authentication failed"}},
		{"wrong user password", redisops.ConnOptions{URL: restricted.URL(), User: restricted.ReadOnlyUser, Password: secret}, restricted.Addr, []string{"authentication failed", restricted.ReadOnlyUser}},
		{"tls to a plain port", redisops.ConnOptions{URL: "rediss://:" + secret + "@" + plain.Addr, TLSCA: tlsSrv.Bundle.CAFile}, plain.Addr, []string{"plain (non-TLS) port", "redis://"}},
		{"plain to a tls port", redisops.ConnOptions{URL: "redis://" + tlsSrv.Addr, Password: secret}, tlsSrv.Addr, []string{"rediss://"}},
		{"unknown CA", redisops.ConnOptions{URL: "rediss://" + tlsSrv.Addr, Password: secret}, tlsSrv.Addr, []string{"unknown authority", "--tls-ca"}},
		{"no permission to select the db", redisops.ConnOptions{URL: restricted.URL(), User: restricted.ReadOnlyUser, Password: restricted.ReadOnlyPassword, DB: 2}, restricted.Addr, []string{"permission denied", "select"}},
		{"timeout", redisops.ConnOptions{URL: "redis://:" + secret + "@" + silent, DialTimeout: 300 * time.Millisecond}, silent, []string{"timed out"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.DB == 0 {
				tc.opts.DB = -1
			}
			if tc.opts.DialTimeout == 0 {
				tc.opts.DialTimeout = 3 * time.Second
			}
			_, err := redisops.Connect(context.Background(), tc.opts)
			require.Error(t, err)
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, tc.addr+": "), "message starts with host:port: %q", msg)
			for _, e := range tc.expect {
				assert.Contains(t, msg, e)
			}
			assert.NotContains(t, msg, secret)
			assert.NotContains(t, msg, restricted.ReadOnlyPassword)
			assert.NotContains(t, msg, "\n", "one line")
		})
	}
}

func TestConnectTLS(t *testing.T) {
	srv := redistest.TLS(t)
	t.Run("with the CA", func(t *testing.T) {
		c := connect(t, redisops.ConnOptions{URL: "rediss://" + srv.Addr, TLSCA: srv.Bundle.CAFile})
		assert.True(t, c.TLS)
		assert.NoError(t, c.Redis().Ping(context.Background()).Err())
	})
	t.Run("with a client certificate", func(t *testing.T) {
		c := connect(t, redisops.ConnOptions{URL: "rediss://" + srv.Addr, TLSCA: srv.Bundle.CAFile, TLSCert: srv.Bundle.ClientCert, TLSKey: srv.Bundle.ClientKey})
		assert.NoError(t, c.Redis().Ping(context.Background()).Err())
	})
	t.Run("skip verify", func(t *testing.T) {
		c := connect(t, redisops.ConnOptions{URL: "rediss://" + srv.Addr, TLSSkipVerify: true})
		assert.NoError(t, c.Redis().Ping(context.Background()).Err())
	})
	t.Run("cert without key", func(t *testing.T) {
		_, err := redisops.Connect(context.Background(), redisops.ConnOptions{URL: "rediss://" + srv.Addr, TLSCert: srv.Bundle.ClientCert, DB: -1})
		assert.ErrorContains(t, err, "--tls-cert and --tls-key go together")
	})
}

func TestConnectRejectsBadURL(t *testing.T) {
	for _, u := range []string{"http://x:1", "redis://user:pa ss@[::1", "memcached://h"} {
		_, err := redisops.Connect(context.Background(), redisops.ConnOptions{URL: u, DB: -1})
		require.Error(t, err, u)
		assert.Contains(t, err.Error(), "--url")
		assert.NotContains(t, err.Error(), "pa ss")
	}
}

func TestConnectClusterFallsBackWhenClusterIsRefused(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	for _, addr := range cl.Addrs() {
		admin := connect(t, redisops.ConnOptions{URL: "redis://" + addr, Standalone: true})
		require.NoError(t, admin.Redis().Do(context.Background(), "ACL", "SETUSER", "nocluster", "on", ">pw", "~*", "+@all", "-cluster").Err())
	}
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0], User: "nocluster", Password: "pw"})
	assert.False(t, c.IsCluster())
	require.NotEmpty(t, c.Notes)
	assert.Contains(t, c.Notes[0], "working on this node only")
}

func TestConnectAsReadOnlyUserWithoutPing(t *testing.T) {
	srv := redistest.Restricted(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.ReadOnlyUser, Password: srv.ReadOnlyPassword})
	assert.True(t, c.PingRefused)
	assert.Contains(t, strings.Join(c.Notes, "\n"), "PING denied by ACL")
	keys, _ := scanAll(t, c, redisops.ScanOptions{})
	assert.Empty(t, keys)
}

func TestConnectToRestrictedServerWithoutInfo(t *testing.T) {
	srv := redistest.Restricted(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.NoInfoUser, Password: srv.NoInfoPassword})
	assert.NotEmpty(t, c.Server.InfoRefused)
	require.NotEmpty(t, c.Notes)
	assert.Contains(t, c.Notes[0], "INFO")
}

func TestConnectUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "redis.sock")
	redistest.Standalone(t, "unixsocket "+sock, "unixsocketperm 700")
	c := connect(t, redisops.ConnOptions{URL: "unix://" + sock})
	assert.Equal(t, "unix:"+sock, c.Addr)
	assert.NoError(t, c.Redis().Set(context.Background(), "k", "v", 0).Err())

	_, err := redisops.Connect(context.Background(), redisops.ConnOptions{URL: "unix://" + sock, TLSCA: "/nonexistent", DB: -1})
	assert.ErrorContains(t, err, "TLS options do not apply to a unix:// socket")
}
