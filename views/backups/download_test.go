package backups

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// seeded is a server with known namespaces: 120 lead: strings of 200
// bytes with a TTL, 30 ws: hashes without one.
func seeded(t *testing.T, directives ...string) *redisops.Client {
	t.Helper()
	srv := redistest.Standalone(t, directives...)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	pipe := c.Redis().Pipeline()
	for i := range 120 {
		pipe.Set(ctx, fmt.Sprintf("lead:%d", i), strings.Repeat("x", 200), time.Hour)
	}
	for i := range 30 {
		pipe.HSet(ctx, fmt.Sprintf("ws:%d", i), "plan", "pro")
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
	return c
}

func TestDownloadFromTheTabThenItsMemory(t *testing.T) {
	for _, diskless := range []string{"no", "yes"} {
		t.Run("repl-diskless-sync "+diskless, func(t *testing.T) {
			c := seeded(t, "repl-diskless-sync "+diskless, "repl-diskless-sync-delay 0")
			h := newHarness(t, c, true) // read-only: a download changes nothing
			h.Key("d")
			h.Until("the fork question", h.m.Confirming)
			v := h.view()
			assert.Contains(t, v, "Fork "+c.Addr)
			assert.Contains(t, v, "RDB download")
			h.Key("n")
			assert.False(t, h.m.Running(), "no answers no")
			assert.Empty(t, h.m.Entries())

			h.Key("d")
			h.Until("the fork question", h.m.Confirming)
			h.Key("y")
			require.True(t, h.m.Running())
			h.waitRun()
			assert.Contains(t, h.m.Last(), "RDB downloaded and verified: 150 keys")
			require.Len(t, h.m.Entries(), 1)
			e := h.m.Entries()[0]
			assert.Equal(t, redisops.KindRDB, e.Kind)
			assert.Equal(t, "ok", e.Status())
			assert.True(t, e.Verified)
			assert.EqualValues(t, 150, e.Keys)
			row := ""
			for _, l := range strings.Split(h.view(), "\n") {
				if strings.Contains(l, e.Name[:20]) {
					row = l
				}
			}
			require.NotEmpty(t, row, "the new backup is a row of the list")
			assert.Contains(t, row, "rdb")
			assert.Contains(t, row, "150")
			assert.Contains(t, row, "ok")

			entries, err := audit.ReadTail(h.auditPath, 10)
			require.NoError(t, err)
			require.Len(t, entries, 2)
			assert.Equal(t, audit.Attempted, entries[0].Outcome)
			assert.Equal(t, audit.Done, entries[1].Outcome)
			assert.Equal(t, "rdb "+e.Path, entries[1].Target)
			assert.EqualValues(t, 150, entries[1].Matched)
			assert.Equal(t, e.Bytes, entries[1].Bytes)

			// m: the namespace breakdown of the file, read here.
			h.Key("m")
			h.Until("the memory report", func() bool { r, _ := h.m.MemoryReport(); return r != nil })
			r, err := h.m.MemoryReport()
			require.NoError(t, err)
			assert.EqualValues(t, 150, r.ScannedKeys)
			byPrefix := map[string]redisops.NamespaceUsage{}
			for _, ns := range r.Namespaces {
				byPrefix[ns.Prefix] = ns
			}
			require.Contains(t, byPrefix, "lead:")
			require.Contains(t, byPrefix, "ws:")
			assert.EqualValues(t, 120, byPrefix["lead:"].Keys)
			assert.EqualValues(t, 0, byPrefix["lead:"].NoTTL)
			assert.EqualValues(t, 30, byPrefix["ws:"].Keys)
			assert.EqualValues(t, 30, byPrefix["ws:"].NoTTL)
			assert.Equal(t, "lead:", r.Namespaces[0].Prefix, "the 200-byte strings weigh most")
			var live int64
			for i := range 120 {
				live += c.Redis().MemoryUsage(context.Background(), fmt.Sprintf("lead:%d", i), 0).Val()
			}
			assert.InDelta(t, float64(live), float64(byPrefix["lead:"].Bytes), 0.01*float64(live), "within 1 %% of MEMORY USAGE")
			v = h.view()
			assert.Contains(t, v, "memory of "+e.Name[:20])
			assert.Contains(t, v, "150 keys")
			var leadLine, wsLine string
			for _, l := range strings.Split(v, "\n") {
				if strings.Contains(l, "lead:") && strings.Contains(l, "without TTL") {
					leadLine = l
				}
				if strings.Contains(l, "ws:") && strings.Contains(l, "without TTL") {
					wsLine = l
				}
			}
			assert.Contains(t, leadLine, "120 keys")
			assert.Contains(t, leadLine, "0 without TTL")
			assert.Contains(t, wsLine, "30 keys")
			assert.Contains(t, wsLine, "30 without TTL")
			h.Key("esc")
			assert.NotContains(t, h.view(), "memory of")
		})
	}
}

// A server that refuses SYNC: the download offers a logical backup.
func TestRefusedDownloadOffersALogicalBackup(t *testing.T) {
	c := seeded(t, `rename-command SYNC ""`)
	h := newHarness(t, c, true)
	h.Key("d")
	h.Until("the fork question", h.m.Confirming)
	h.Key("y")
	h.waitRun()
	require.True(t, h.m.Confirming(), "the refusal offers a logical backup")
	v := h.view()
	assert.Contains(t, v, "SYNC is refused")
	h.Key("y")
	h.waitRun()
	assert.Contains(t, h.m.Last(), "logical backup verified: 150 keys")
}

// esc in the middle of a download: the run is cancelled (not failed),
// audited as such, and nothing is left in the directory.
func TestEscCancelsADownload(t *testing.T) {
	srv := redistest.Standalone(t, "repl-diskless-sync yes", "repl-diskless-sync-delay 0", "rdb-key-save-delay 1000")
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	pipe := c.Redis().Pipeline()
	for i := range 4000 {
		pipe.Set(context.Background(), fmt.Sprintf("lead:%d", i), strings.Repeat("x", 300), 0)
	}
	_, err := pipe.Exec(context.Background())
	require.NoError(t, err)
	h := newHarness(t, c, true)
	h.Key("d")
	h.Until("the fork question", h.m.Confirming)
	h.Key("y")
	h.Until("bytes arriving", func() bool { return strings.Contains(h.view(), "downloading:") })
	h.Key("esc")
	h.waitRun()
	assert.Contains(t, h.m.Last(), "download cancelled")
	assert.NotContains(t, h.view(), "backup failed")
	assert.Empty(t, h.m.Entries())
	ents, err := os.ReadDir(h.m.Dir())
	require.NoError(t, err)
	assert.Empty(t, ents, "no temp file left")

	entries, err := audit.ReadTail(h.auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Attempted, entries[0].Outcome)
	assert.Equal(t, audit.Cancelled, entries[1].Outcome)
	assert.Empty(t, entries[1].Error)
}

// redis-server killed in the middle of a download from the tab: one
// failure line, nothing left in the directory, an attempted + failed pair
// with the bytes received.
func TestServerKilledDuringADownloadFromTheTab(t *testing.T) {
	srv := redistest.Standalone(t, "repl-diskless-sync yes", "repl-diskless-sync-delay 0", "rdb-key-save-delay 1000")
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	pipe := c.Redis().Pipeline()
	for i := range 4000 {
		pipe.Set(ctx, fmt.Sprintf("lead:%d", i), strings.Repeat("x", 300), 0)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
	var pid int
	_, err = fmt.Sscan(c.Redis().InfoMap(ctx, "server").Item("Server", "process_id"), &pid)
	require.NoError(t, err)
	h := newHarness(t, c, true)
	h.Key("d")
	h.Until("the fork question", h.m.Confirming)
	h.Key("y")
	h.Until("bytes arriving", func() bool { return strings.Contains(h.view(), "downloading:") })
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	h.waitRun()
	assert.Contains(t, h.m.Last(), "backup failed: rdb download: diskless transfer cut")
	assert.NotContains(t, h.m.Last(), "\n")
	assert.Empty(t, h.m.Entries())
	ents, err := os.ReadDir(h.m.Dir())
	require.NoError(t, err)
	assert.Empty(t, ents, "no temp file left")

	entries, err := audit.ReadTail(h.auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Attempted, entries[0].Outcome)
	assert.Equal(t, audit.Failed, entries[1].Outcome)
	assert.Positive(t, entries[1].Bytes)
	assert.Contains(t, entries[1].Error, "transfer cut")
}
