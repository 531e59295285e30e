package redisops_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/rdbfixture"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/rdb"
	"github.com/coldcopy/cachedeck/redisops"
)

// downloadKeys walks a downloaded file and returns its keys by name.
func downloadKeys(t *testing.T, path string) map[string]rdb.Entry {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	got := map[string]rdb.Entry{}
	_, err = rdb.Walk(f, func(e *rdb.Entry) error {
		got[string(e.Key)] = *e
		return nil
	})
	require.NoError(t, err)
	return got
}

func TestDownloadRDBBothTransferForms(t *testing.T) {
	for _, diskless := range []bool{false, true} {
		name := map[bool]string{false: "disk ($len)", true: "diskless ($EOF:mark)"}[diskless]
		t.Run(name, func(t *testing.T) {
			directives := append([]string{"repl-diskless-sync-delay 0"}, rdbfixture.Directives...)
			if diskless {
				directives = append(directives, "repl-diskless-sync yes")
			} else {
				directives = append(directives, "repl-diskless-sync no")
			}
			srv := redistest.Standalone(t, directives...)
			raw := redis.NewClient(&redis.Options{Addr: srv.Addr})
			defer raw.Close()
			keys := rdbfixture.Fill(t, raw)
			c := connect(t, redisops.ConnOptions{URL: srv.URL()})

			dir := t.TempDir()
			path := filepath.Join(dir, "srv.rdb")
			var calls int
			var lastReceived, lastTotal int64
			d, err := c.DownloadRDB(context.Background(), path, func(received, total int64) {
				calls++
				lastReceived, lastTotal = received, total
			})
			require.NoError(t, err)
			assert.Equal(t, diskless, d.Diskless)
			assert.Equal(t, path, d.Path)
			st, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
			assert.Equal(t, st.Size(), d.Bytes)
			assert.Equal(t, int64(len(keys)), d.Info.Keys)
			assert.Positive(t, calls)
			assert.Equal(t, d.Bytes, lastReceived)
			if diskless {
				assert.Equal(t, int64(-1), lastTotal)
			} else {
				assert.Equal(t, d.Bytes, lastTotal)
			}
			got := downloadKeys(t, path)
			for _, k := range keys {
				e, ok := got[k.Name]
				if assert.True(t, ok, k.Name) {
					assert.Equal(t, k.Type, e.Type, k.Name)
					assert.Equal(t, k.DB, e.DB, k.Name)
				}
			}
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Len(t, entries, 1, "no temp file left")

			// Never overwritten: the same name again is refused and the
			// file is unchanged.
			before, _ := os.ReadFile(path)
			_, err = c.DownloadRDB(context.Background(), path, nil)
			assert.ErrorContains(t, err, "never overwritten")
			after, _ := os.ReadFile(path)
			assert.Equal(t, before, after)
		})
	}
}

func TestDownloadRDBOverTLSWithPassword(t *testing.T) {
	srv := redistest.TLS(t)
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr, TLSConfig: srv.ClientTLS(t, false)})
	defer raw.Close()
	ctx := context.Background()
	require.NoError(t, raw.Do(ctx, "ACL", "SETUSER", "backup", "on", ">backup_pw", "~*", "+@read", "+replconf", "+sync", "+psync", "+ping").Err())
	for i := range 100 {
		require.NoError(t, raw.Set(ctx, "tls:"+itoa(i), strings.Repeat("v", i), 0).Err())
	}
	c := connect(t, redisops.ConnOptions{URL: "rediss://" + srv.Addr, TLSCA: srv.Bundle.CAFile, User: "backup", Password: "backup_pw"})
	path := filepath.Join(t.TempDir(), "tls.rdb")
	d, err := c.DownloadRDB(ctx, path, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(100), d.Info.Keys)
	assert.Len(t, downloadKeys(t, path), 100)
}

func TestDownloadRDBWithRequirepassOnly(t *testing.T) {
	srv := redistest.Restricted(t)
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: srv.DefaultPassword})
	defer raw.Close()
	require.NoError(t, raw.Set(context.Background(), "k", "v", 0).Err())
	// The default user, by password alone (AUTH <password>).
	c := connect(t, redisops.ConnOptions{URL: srv.URL(), Password: srv.DefaultPassword})
	d, err := c.DownloadRDB(context.Background(), filepath.Join(t.TempDir(), "x.rdb"), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(1), d.Info.Keys)
}

func TestDownloadRDBRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("ACL user without the replication permission", func(t *testing.T) {
		srv := redistest.Restricted(t)
		c := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.AdminUser, Password: srv.AdminPassword})
		dir := t.TempDir()
		_, err := c.DownloadRDB(ctx, filepath.Join(dir, "x.rdb"), nil)
		require.Error(t, err)
		assert.True(t, errors.Is(err, redisops.ErrSyncRefused), "%v", err)
		assert.Contains(t, err.Error(), "NOPERM")
		assert.Contains(t, err.Error(), "replication permission")
		// A refusal the callers recognise; they offer the logical backup.
		assert.NotNil(t, redisops.AsRefused(err, "SYNC"), "%v", err)
		assert.NotContains(t, err.Error(), srv.AdminPassword)
		assertEmptyDir(t, dir)
	})
	t.Run("SYNC renamed away", func(t *testing.T) {
		srv := redistest.Standalone(t, `rename-command SYNC ""`, `rename-command PSYNC ""`)
		c := connect(t, redisops.ConnOptions{URL: srv.URL()})
		dir := t.TempDir()
		_, err := c.DownloadRDB(ctx, filepath.Join(dir, "x.rdb"), nil)
		require.Error(t, err)
		assert.True(t, errors.Is(err, redisops.ErrSyncRefused), "%v", err)
		assert.Contains(t, err.Error(), "SYNC renamed or blocked")
		assertEmptyDir(t, dir)
	})
	t.Run("server gone: a connection failure, not a refusal", func(t *testing.T) {
		srv := redistest.Restricted(t)
		c := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.AdminUser, Password: srv.AdminPassword})
		require.NoError(t, srv.Server.Stop())
		_, err := c.DownloadRDB(ctx, filepath.Join(t.TempDir(), "x.rdb"), nil)
		require.Error(t, err)
		assert.False(t, errors.Is(err, redisops.ErrSyncRefused))
	})
	t.Run("cluster", func(t *testing.T) {
		cl := redistest.Cluster(t, 3)
		c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
		require.True(t, c.IsCluster())
		_, err := c.DownloadRDB(ctx, filepath.Join(t.TempDir(), "x.rdb"), nil)
		require.Error(t, err)
		for _, a := range cl.Addrs() {
			assert.Contains(t, err.Error(), a)
		}
	})
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing is left behind")
}

// streamProxy forwards connections to target and passes the server's
// bytes through edit, which may change them or end the stream (false).
type streamProxy struct {
	ln     net.Listener
	target string
	edit   func(sent int64, p []byte) ([]byte, bool)
}

func newStreamProxy(t *testing.T, target string, edit func(sent int64, p []byte) ([]byte, bool)) *streamProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &streamProxy{ln: ln, target: target, edit: edit}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				_ = client.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(server, client); _ = server.Close() }()
			go func() {
				defer wg.Done()
				defer client.Close()
				defer server.Close()
				buf := make([]byte, 32<<10)
				var sent int64
				for {
					n, err := server.Read(buf)
					if n > 0 {
						out, more := p.edit(sent, bytes.Clone(buf[:n]))
						sent += int64(n)
						if _, werr := client.Write(out); werr != nil || !more {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return p
}

func (p *streamProxy) Addr() string { return p.ln.Addr().String() }

func TestDownloadRDBRefusesDamagedTransfers(t *testing.T) {
	for _, diskless := range []bool{false, true} {
		mode := map[bool]string{false: "disk", true: "diskless"}[diskless]
		srv := redistest.Standalone(t, "repl-diskless-sync-delay 0", "repl-diskless-sync "+map[bool]string{false: "no", true: "yes"}[diskless], "rdbcompression no")
		raw := redis.NewClient(&redis.Options{Addr: srv.Addr})
		ctx := context.Background()
		for i := range 2000 {
			require.NoError(t, raw.Set(ctx, "k:"+itoa(i), "value-"+itoa(i)+"-hello world", 0).Err())
		}
		_ = raw.Close()

		t.Run(mode+": truncated", func(t *testing.T) {
			cut := newStreamProxy(t, srv.Addr, func(sent int64, p []byte) ([]byte, bool) {
				const limit = 20_000
				if sent+int64(len(p)) >= limit {
					return p[:limit-sent], false
				}
				return p, true
			})
			c := connect(t, redisops.ConnOptions{URL: "redis://" + cut.Addr()})
			dir := t.TempDir()
			_, err := c.DownloadRDB(ctx, filepath.Join(dir, "cut.rdb"), nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "cut after")
			assertEmptyDir(t, dir)
		})
		t.Run(mode+": bad CRC", func(t *testing.T) {
			flipped := false
			var mu sync.Mutex
			flip := newStreamProxy(t, srv.Addr, func(_ int64, p []byte) ([]byte, bool) {
				mu.Lock()
				defer mu.Unlock()
				if i := bytes.Index(p, []byte("-1500-hello world")); i >= 0 && !flipped {
					p[i+7] = 'H' // same length, same structure: only the checksum tells
					flipped = true
				}
				return p, true
			})
			c := connect(t, redisops.ConnOptions{URL: "redis://" + flip.Addr()})
			dir := t.TempDir()
			_, err := c.DownloadRDB(ctx, filepath.Join(dir, "flip.rdb"), nil)
			require.Error(t, err)
			mu.Lock()
			assert.True(t, flipped, "the proxy found the value to change")
			mu.Unlock()
			assert.True(t, errors.Is(err, rdb.ErrChecksum), "%v", err)
			assert.Contains(t, err.Error(), "fails verification")
			assert.NotContains(t, err.Error(), ".partial")
			assertEmptyDir(t, dir)
		})
	}
}

func TestDownloadRDBCancel(t *testing.T) {
	srv := redistest.Standalone(t, "repl-diskless-sync yes", "repl-diskless-sync-delay 5")
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	done := make(chan error, 1)
	go func() {
		_, err := c.DownloadRDB(ctx, filepath.Join(dir, "x.rdb"), nil)
		done <- err
	}()
	// The server waits 5 s before a diskless transfer, sending newlines:
	// cancel once it lists the waiting replica.
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer raw.Close()
	for !strings.Contains(raw.Info(context.Background(), "replication").Val(), "slave0:") {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	err := <-done
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assertEmptyDir(t, dir)
}
