package inspector

import (
	"context"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// editHarness runs an inspector with the shared harness, showing k.
type editHarness struct {
	*viewtest.Harness
	m *Model
}

func newEditHarness(t *testing.T, c *redisops.Client, readOnly bool, k string, w, h int) *editHarness {
	t.Helper()
	m := New(viewtest.NewCommon(c, readOnly))
	m.tick = nil // no TTL countdown ticks: the tests do not wait on them
	hs := &editHarness{Harness: viewtest.Start(t, m, w, h), m: m}
	hs.Dispatch(views.OpenKeyMsg{Key: k, Focus: true})
	hs.Until("the key", func() bool { return !m.Loading() })
	require.NotNil(t, m.Report())
	return hs
}

func (h *editHarness) settle() {
	h.Until("the edit and the refresh", func() bool { return !h.m.EditBusy() && !h.m.Loading() })
	h.Drain()
}

func editServer(t *testing.T) *redisops.Client {
	t.Helper()
	srv := redistest.Standalone(t)
	return viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
}

// auditLines is the audit log written under the test's XDG_STATE_HOME.
func auditLines(t *testing.T) []audit.Entry {
	t.Helper()
	es, err := audit.ReadTail(audit.DefaultPath(), 100)
	require.NoError(t, err)
	return es
}

func helpKeys(bs []key.Binding) string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Help().Key)
	}
	return strings.Join(out, " ")
}

func TestDeleteKeyAsksFirst(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := editServer(t)
	ctx := context.Background()
	require.NoError(t, c.Redis().HSet(ctx, "edit:del\x1b", "a", "1", "b", "2").Err())
	h := newEditHarness(t, c, false, "edit:del\x1b", 90, 20)
	full := h.m.FullHelp()
	assert.Contains(t, helpKeys(full[len(full)-1]), "D E P")

	// n cancels, and nothing changes.
	h.Key("D")
	require.True(t, h.m.Editing())
	assert.True(t, h.m.Capturing())
	assert.Equal(t, "Delete key", h.m.ed.confirm.Title())
	assert.Equal(t, `Delete key "edit:del\x1b" (hash, 2 fields, `, h.m.ed.confirm.Text()[:len(`Delete key "edit:del\x1b" (hash, 2 fields, `)])
	assert.Contains(t, h.m.ed.confirm.Text(), `This runs UNLINK "edit:del\x1b".`)
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 20))
	assert.Contains(t, v, "Delete key")
	assert.Contains(t, v, "y confirms")
	assert.Equal(t, "y", helpKeys(h.m.ShortHelp())[:1])
	for _, size := range [][2]int{{20, 5}, {12, 3}, {1, 1}, {200, 50}} {
		h.m.SetSize(size[0], size[1])
		viewtest.RequireSafeView(t, h.m, size[0], size[1])
	}
	h.m.SetSize(90, 20)
	h.Key("n")
	assert.False(t, h.m.Editing())
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), "cancelled")
	n, err := c.Redis().Exists(ctx, "edit:del\x1b").Result()
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	assert.Empty(t, auditLines(t), "nothing written for a cancelled dialog")

	// y deletes, and the inspector says the key is gone.
	h.Key("D")
	h.Key("y")
	h.settle()
	n, err = c.Redis().Exists(ctx, "edit:del\x1b").Result()
	require.NoError(t, err)
	assert.EqualValues(t, 0, n)
	assert.True(t, h.m.Gone())
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 20)), "no such key")
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), `deleted "edit:del\x1b"`)
	full = h.m.FullHelp()
	assert.NotContains(t, strings.Fields(helpKeys(full[len(full)-1])), "D", "nothing left to edit")

	es := auditLines(t)
	require.Len(t, es, 2)
	for i, want := range []string{audit.Attempted, audit.Done} {
		assert.Equal(t, ActionDelete, es[i].Action)
		assert.Equal(t, `"edit:del\x1b"`, es[i].Key, "the display form")
		assert.Equal(t, want, es[i].Outcome)
		assert.Equal(t, c.Addr, es[i].Server)
	}
	assert.Zero(t, es[0].Deleted, "nothing deleted before the attempt")
	assert.EqualValues(t, 1, es[1].Deleted, "UNLINK's reply")

	// D on a gone key only says so.
	h.Key("D")
	assert.False(t, h.m.Editing())
}

func TestSetTTLAndPersist(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := editServer(t)
	ctx := context.Background()
	require.NoError(t, c.Redis().Set(ctx, "edit:ttl", "v", 0).Err())
	h := newEditHarness(t, c, false, "edit:ttl", 80, 16)

	// A TTL that does not parse keeps the input open.
	h.Key("E")
	require.True(t, h.m.Editing())
	for _, r := range "abc" {
		h.Key(string(r))
	}
	h.Key("enter")
	assert.True(t, h.m.ed.inputTTL, "the input stays open")
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 80, 16)), "not a TTL")
	for range 3 {
		h.Key("backspace")
	}
	for _, r := range "5m" {
		h.Key(string(r))
	}
	h.Key("enter")
	require.Equal(t, "Set TTL", h.m.ed.confirm.Title())
	assert.False(t, h.m.ed.inputTTL)
	// The pinned clock is 12:00:00 UTC.
	// The dialog names the command EditKey sends (PEXPIRE, in ms), then
	// what it means.
	assert.Equal(t, "PEXPIRE edit:ttl 300000 — the key will expire at 12:05:00 UTC (in 5m 0s)", h.m.ed.confirm.Text())
	viewtest.RequireSafeView(t, h.m, 80, 16)
	h.Key("y")
	h.settle()
	pttl, err := c.Redis().PTTL(ctx, "edit:ttl").Result()
	require.NoError(t, err)
	assert.Greater(t, pttl, 290*time.Second)
	assert.LessOrEqual(t, pttl, 300*time.Second)
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), "TTL of edit:ttl set to 5m 0s")
	require.NotNil(t, h.m.Report())
	assert.Greater(t, h.m.Report().TTL, int64(0))

	// P removes it.
	h.Key("P")
	require.Equal(t, "Remove TTL", h.m.ed.confirm.Title())
	assert.True(t, strings.HasPrefix(h.m.ed.confirm.Text(), "PERSIST edit:ttl: remove its TTL (now "), h.m.ed.confirm.Text())
	viewtest.RequireSafeView(t, h.m, 80, 16)
	h.Key("y")
	h.settle()
	pttl, err = c.Redis().PTTL(ctx, "edit:ttl").Result()
	require.NoError(t, err)
	assert.Equal(t, time.Duration(-1), pttl)
	assert.EqualValues(t, -1, h.m.Report().TTL)

	// With no TTL left, P only says so.
	h.Key("P")
	assert.False(t, h.m.Editing())
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), "has no TTL")

	es := auditLines(t)
	require.Len(t, es, 4)
	assert.Equal(t, []string{ActionSetTTL, ActionSetTTL, ActionPersist, ActionPersist},
		[]string{es[0].Action, es[1].Action, es[2].Action, es[3].Action})
	assert.Equal(t, audit.Done, es[1].Outcome)
	assert.Equal(t, audit.Done, es[3].Outcome)
	assert.Equal(t, "ttl 300000ms", es[1].Target)
	for _, e := range es {
		assert.Equal(t, "edit:ttl", e.Key)
	}
}

func TestEditFailureIsAudited(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := editServer(t)
	ctx := context.Background()
	require.NoError(t, c.Redis().Set(ctx, "edit:racy", "v", 0).Err())
	h := newEditHarness(t, c, false, "edit:racy", 80, 16)
	h.Key("D")
	require.NoError(t, c.Redis().Del(ctx, "edit:racy").Err()) // gone before y
	h.Key("y")
	h.settle()
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), "could not delete edit:racy: no such key")
	es := auditLines(t)
	require.Len(t, es, 2)
	assert.Equal(t, audit.Failed, es[1].Outcome)
	assert.Zero(t, es[1].Deleted, "UNLINK's reply: the key was gone")
	assert.True(t, h.m.Gone())
}

func TestReadOnlyHidesEdits(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := editServer(t)
	ctx := context.Background()
	require.NoError(t, c.Redis().Set(ctx, "edit:ro", "v", time.Hour).Err())
	h := newEditHarness(t, c, true, "edit:ro", 80, 16)
	help := helpKeys(h.m.ShortHelp())
	for _, g := range h.m.FullHelp() {
		help += " " + helpKeys(g)
	}
	for _, k := range []string{"D", "E", "P"} {
		assert.NotContains(t, strings.Fields(help), k)
		h.Key(k)
		assert.False(t, h.m.Editing(), k)
	}
	fl := h.Flashes()
	require.Len(t, fl, 3)
	for _, f := range fl {
		assert.Contains(t, f, "read-only")
	}
	pttl, err := c.Redis().PTTL(ctx, "edit:ro").Result()
	require.NoError(t, err)
	assert.Greater(t, pttl, 59*time.Minute)
	assert.Empty(t, auditLines(t))
	viewtest.RequireSafeView(t, h.m, 80, 16)
}

func TestParseTTL(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"300": 300 * time.Second, "30s": 30 * time.Second, "5m": 5 * time.Minute, "2h": 2 * time.Hour,
		"7d": 7 * 24 * time.Hour, " 1h30m ": 90 * time.Minute, "500ms": 500 * time.Millisecond,
	} {
		got, err := ParseTTL(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "0", "-5", "abc", "0s", "5x", "1d2"} {
		_, err := ParseTTL(in)
		assert.Error(t, err, in)
	}
}

// When the console quits, the frame stops every pane (a pane with a Stop
// method), then waits for the audited edits in flight: stopping the
// inspector must leave an edit still running able to write its outcome.
func TestQuitDuringAnEditKeepsItsOutcome(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := editServer(t)
	ctx := context.Background()
	require.NoError(t, c.Redis().Set(ctx, "edit:first", "v", 0).Err())
	require.NoError(t, c.Redis().Set(ctx, "edit:held", "v", 0).Err())
	h := newEditHarness(t, c, false, "edit:first", 80, 16)
	// A first edit opens the pane's audit log: the next edit writes to it.
	h.Key("D")
	h.Key("y")
	h.settle()
	h.Dispatch(views.OpenKeyMsg{Key: "edit:held", Focus: true})
	h.Until("the key", func() bool { return !h.m.Loading() })

	// The server holds writes: the UNLINK is in flight when the console
	// quits.
	unpause := func() { _ = c.Redis().Do(ctx, "CLIENT", "UNPAUSE").Err() }
	require.NoError(t, c.Redis().Do(ctx, "CLIENT", "PAUSE", "30000", "WRITE").Err())
	t.Cleanup(unpause)
	h.Key("D")
	h.Key("y")
	waitAuditLines(t, 3) // the first edit's two, and this one's attempt

	if s, ok := any(h.m).(interface{ Stop() }); ok {
		s.Stop() // as the frame does on quit
	}
	unpause()
	waitAuditLines(t, 4) // the outcome, written although the pane was stopped
	es := auditLines(t)
	require.Len(t, es, 4)
	assert.Equal(t, audit.Attempted, es[2].Outcome)
	assert.Equal(t, audit.Done, es[3].Outcome, es[3].Error)
	assert.Equal(t, "edit:held", es[3].Key)
	assert.EqualValues(t, 1, es[3].Deleted)
}

// waitAuditLines waits until the audit log holds n lines: what an edit
// running in a command has written so far.
func waitAuditLines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(auditLines(t)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the audit log never reached %d lines: %v", n, auditLines(t))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
