package auditlog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC // the table shows local times
	os.Exit(m.Run())
}

type harness struct {
	*viewtest.Harness
	m *Model
}

func newHarness(t *testing.T, w, h int, opts ...func(*Model)) *harness {
	t.Helper()
	m := New(viewtest.NewCommon(nil, false))
	return &harness{Harness: viewtest.Start(t, m, w, h, opts...), m: m}
}

func writeLog(t *testing.T, path string, es ...audit.Entry) {
	t.Helper()
	l, err := audit.Open(path)
	require.NoError(t, err)
	defer l.Close()
	for _, e := range es {
		require.NoError(t, l.Append(e))
	}
}

var base = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func TestListsNewestFirst(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	path := audit.DefaultPath()
	writeLog(t, path,
		audit.Entry{Time: base, Operator: "ana", Server: "cache:6379", Action: "delete-key", Key: "user:1", Outcome: audit.Attempted},
		audit.Entry{Time: base.Add(time.Second), Operator: "ana", Server: "cache:6379", Action: "delete-key", Key: "user:1", DurationMs: 3, Outcome: audit.Done},
		audit.Entry{Time: base.Add(time.Minute), Operator: "bo", Server: "cache:6379", Action: "invalidate", Patterns: []string{"temp:*", "sess:*"}, Matched: 1200000, Deleted: 1199999, DurationMs: 2500, Outcome: audit.Cancelled},
		audit.Entry{Time: base.Add(time.Hour), Operator: "bo", Server: "cache:6379", Action: "set-ttl", Key: "evil\x1b[31m", Target: "ttl 300000ms", Outcome: audit.Failed, Error: "NOPERM"},
	)
	h := newHarness(t, 150, 10)
	h.Until("the log", h.m.Loaded)
	require.Len(t, h.m.Entries(), 4)
	assert.Equal(t, "set-ttl", h.m.Entries()[0].Action, "newest first")
	assert.Equal(t, audit.Attempted, h.m.Entries()[3].Outcome)

	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 150, 10))
	lines := strings.Split(v, "\n")
	assert.Contains(t, lines[0], "time▼")
	assert.Contains(t, lines[1], "10:00:00")
	assert.Contains(t, lines[1], `evil\x1b[31m ttl 300000ms`, "control bytes are escaped")
	assert.Contains(t, lines[1], "failed")
	assert.Contains(t, lines[2], "temp:* sess:*")
	assert.Contains(t, lines[2], "1,200,000")
	assert.Contains(t, lines[2], "1,199,999")
	assert.Contains(t, lines[2], "2.5s")
	assert.Contains(t, lines[2], "cancelled")
	assert.Contains(t, lines[3], "3ms")
	assert.Contains(t, lines[4], "attempted")
	assert.Contains(t, lines[9], "1/4")
	assert.Contains(t, lines[9], path)

	// In an 80-column console the pane is 78 wide: every column still fits.
	h.m.SetSize(78, 10)
	narrow := strings.Split(ansi.Strip(viewtest.RequireSafeView(t, h.m, 78, 10)), "\n")
	assert.Contains(t, narrow[0], "outcome")
	assert.Contains(t, narrow[2], "cancelled")
	assert.Contains(t, narrow[2], "1,199,999")
	h.m.SetSize(150, 10)

	// enter shows the whole entry; esc goes back.
	h.Key("down")
	h.Key("enter")
	require.True(t, h.m.InDetail())
	d := ansi.Strip(viewtest.RequireSafeView(t, h.m, 150, 10))
	assert.Contains(t, d, "patterns   temp:*")
	assert.Contains(t, d, "sess:*")
	assert.Contains(t, d, "operator   bo")
	assert.Contains(t, d, "matched    1,200,000")
	h.Key("esc")
	assert.False(t, h.m.InDetail())

	// r reloads: a new line lands on top, the cursor stays on its entry.
	writeLog(t, path, audit.Entry{Time: base.Add(2 * time.Hour), Server: "cache:6379", Action: "restore", Target: "/b.ndjson", Matched: 5000, Restored: 4321, Outcome: audit.Done})
	h.Key("r")
	h.Until("the reload", func() bool { return len(h.m.Entries()) == 5 })
	assert.Equal(t, "restore", h.m.Entries()[0].Action)
	assert.Contains(t, strings.Split(ansi.Strip(viewtest.RequireSafeView(t, h.m, 150, 10)), "\n")[1], "4,321", "a restore shows the keys it restored under changed")
	sel, _ := h.m.Selected()
	assert.Equal(t, "invalidate", sel.Action)

	for _, size := range [][2]int{{40, 5}, {1, 1}, {160, 30}, {0, 0}} {
		h.m.SetSize(size[0], size[1])
		viewtest.RequireSafeView(t, h.m, size[0], size[1])
	}
}

func TestEmptyAndMissingLog(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	h := newHarness(t, 90, 6)
	h.Until("the log", h.m.Loaded)
	require.NoError(t, h.m.Err())
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 6))
	assert.Contains(t, strings.Join(strings.Fields(v), " "), "no mutations recorded yet (audit log: "+audit.DefaultPath()+")")

	// An empty file reads the same.
	path := filepath.Join(t.TempDir(), "empty.jsonl")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	h2 := newHarness(t, 200, 4, func(m *Model) { m.c.AuditPath = path })
	h2.Until("the log", h2.m.Loaded)
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h2.m, 200, 4)), "no mutations recorded yet (audit log: "+path+")")
	h2.Key("enter")
	assert.False(t, h2.m.InDetail())
}

func TestReloadsWhileShown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	h := newHarness(t, 90, 6, func(m *Model) { m.c.AuditPath = path; m.Refresh = 100 * time.Millisecond })
	h.Until("the log", h.m.Loaded)
	assert.Empty(t, h.m.Entries())
	writeLog(t, path, audit.Entry{Server: "s", Action: "delete-key", Key: "k", Outcome: audit.Done})
	h.Until("the reload", func() bool { return len(h.m.Entries()) == 1 })

	// Not shown: no reloads.
	h.Run(h.m.SetShown(false))
	h.Drain()
	writeLog(t, path, audit.Entry{Server: "s", Action: "persist", Key: "k", Outcome: audit.Done})
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		h.Next(100 * time.Millisecond)
	}
	assert.Len(t, h.m.Entries(), 1)
	h.Run(h.m.SetShown(true))
	h.Until("the reload once shown", func() bool { return len(h.m.Entries()) == 2 })
}

// A cut target shows the cut and keeps its end: "client 127.0.0.1:38491"
// must not read as port 384.
func TestCutCellsAreVisiblyElided(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	writeLog(t, audit.DefaultPath(),
		audit.Entry{Time: base, Operator: "operator-with-a-long-name", Server: "cache:6379", Action: "kill-client", Target: "client id 12345 addr 127.0.0.1:38491", Outcome: audit.Done})
	h := newHarness(t, 78, 5)
	h.Until("the log", h.m.Loaded)
	row := strings.Split(ansi.Strip(viewtest.RequireSafeView(t, h.m, 78, 5)), "\n")[1]
	assert.Contains(t, row, "…")
	assert.Contains(t, row, "…0.0.1:38491 ", "the cut shows, and the port is whole")
	assert.Contains(t, row, "op…-name", "the operator's cut shows")
}
