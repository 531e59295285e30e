package backups

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

type harness struct {
	*viewtest.Harness
	m         *Model
	auditPath string
}

// newHarness runs the pane on c with its backup directory and audit log
// in a fresh state dir; RestoreBackupMsg goes to Out like a flash.
func newHarness(t *testing.T, c *redisops.Client, readOnly bool) *harness {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	common := viewtest.NewCommon(c, readOnly)
	common.AuditPath = filepath.Join(t.TempDir(), "audit.jsonl")
	m := New(common)
	// Backups are paced by the governor, which backs off on a loaded
	// machine: generous bounds.
	h := viewtest.New(t, m.Update, viewtest.Timeout(2*time.Minute), viewtest.Outbound(func(msg tea.Msg) bool {
		switch msg.(type) {
		case views.FlashMsg, views.RestoreBackupMsg:
			return true
		}
		return false
	}))
	t.Cleanup(func() { h.Close(); m.Stop() })
	m.SetSize(100, 20)
	m.SetFocused(true)
	h.Run(m.Init())
	h.Run(m.SetShown(true))
	h.Until("the list", m.Loaded)
	return &harness{Harness: h, m: m, auditPath: common.AuditPath}
}

func (h *harness) view() string {
	return ansi.Strip(viewtest.RequireSafeView(h.T, h.m, 100, 20))
}

func (h *harness) waitRun() {
	h.Until("the backup", func() bool { return !h.m.Running() })
	h.Until("the list", h.m.Loaded)
	h.Drain()
}

func server(t *testing.T, keys int, directives ...string) *redisops.Client {
	t.Helper()
	srv := redistest.Standalone(t, directives...)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	pipe := c.Redis().Pipeline()
	for i := range keys {
		pipe.Set(context.Background(), fmt.Sprintf("lead:%d", i), "v", time.Hour)
	}
	_, err := pipe.Exec(context.Background())
	require.NoError(t, err)
	return c
}

func TestLogicalBackupFromTheTab(t *testing.T) {
	c := server(t, 300)
	h := newHarness(t, c, true) // read-only: a logical backup changes nothing
	assert.Empty(t, h.m.Entries())
	assert.Contains(t, h.view(), "no backups yet")

	h.Key("l")
	require.True(t, h.m.Running())
	assert.Contains(t, h.view(), "running:")
	h.waitRun()
	assert.Contains(t, h.m.Last(), "logical backup verified: 300 keys")
	assert.Empty(t, h.KeysChanged(), "a backup reads keys, it changes none: the keys pane is not made to refresh")
	require.Len(t, h.m.Entries(), 1)
	e := h.m.Entries()[0]
	assert.Equal(t, "ok", e.Status())
	assert.EqualValues(t, 300, e.Keys)
	assert.Equal(t, h.m.Dir(), filepath.Dir(e.Path))
	v := h.view()
	assert.Contains(t, v, e.Name[:20])
	assert.Contains(t, v, "logical")

	entries, err := audit.ReadTail(h.auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Attempted, entries[0].Outcome)
	assert.Equal(t, audit.Done, entries[1].Outcome)
	assert.Equal(t, "logical "+e.Path, entries[1].Target)
	assert.Equal(t, e.Bytes, entries[1].Bytes)
	assert.EqualValues(t, 300, entries[1].Matched)

	// Shown again, a file that changed is verified again.
	require.NoError(t, os.WriteFile(e.Path, []byte("{\"key_b64\":\"eA==\"}\n"), 0o600))
	h.Run(h.m.SetShown(false))
	h.Run(h.m.SetShown(true))
	h.Until("the list", func() bool { return h.m.Loaded() && !h.m.Entries()[0].Verified })
	assert.Contains(t, h.view(), "FAILED")

	// Read-only: BGSAVE is not offered, and refused when asked.
	h.Key("b")
	assert.False(t, h.m.Confirming())
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), "read-only session")
	// Restore is off in read-only mode too.
	h.Key("R")
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), "nothing can be restored")
}

func TestBGSaveAsksThenRuns(t *testing.T) {
	c := server(t, 50)
	h := newHarness(t, c, false)
	h.Key("b")
	h.Until("the question", h.m.Confirming)
	assert.Contains(t, h.view(), "Fork "+c.Addr)
	h.Key("n")
	assert.False(t, h.m.Confirming())
	assert.False(t, h.m.Running(), "no answers no")

	h.Key("b")
	h.Until("the question", h.m.Confirming)
	h.Key("y")
	require.True(t, h.m.Running())
	h.waitRun()
	assert.Contains(t, h.m.Last(), "BGSAVE done")
	entries, err := audit.ReadTail(h.auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, "bgsave", entries[1].Target)
	assert.Equal(t, audit.Done, entries[1].Outcome)
}

func TestRefusedBGSaveOffersALogicalBackup(t *testing.T) {
	c := server(t, 40, `rename-command BGSAVE ""`)
	h := newHarness(t, c, false)
	h.Key("b")
	h.Until("the fork question", h.m.Confirming)
	h.Key("y")
	h.waitRun()
	require.True(t, h.m.Confirming(), "the refusal offers a logical backup")
	v := h.view()
	assert.Contains(t, v, "BGSAVE is refused")
	assert.Contains(t, v, "renamed or blocked")
	h.Key("y")
	h.waitRun()
	assert.Contains(t, h.m.Last(), "logical backup verified: 40 keys")
	require.Len(t, h.m.Entries(), 1)
}

func TestPruneAndRestoreFromTheList(t *testing.T) {
	c := server(t, 20)
	h := newHarness(t, c, false)
	ctx := context.Background()
	require.NoError(t, redisops.EnsureBackupDir(h.m.Dir()))
	// An old backup of this profile, and a damaged one.
	old, err := redisops.NewBackupPath(h.m.Dir(), c.Addr, redisops.KindLogical, time.Now().Add(-20*24*time.Hour))
	require.NoError(t, err)
	_, err = c.LogicalBackup(ctx, old, redisops.LogicalOptions{})
	require.NoError(t, err)
	m, _, err := redisops.ReadManifest(old)
	require.NoError(t, err)
	m.Created = time.Now().Add(-20 * 24 * time.Hour).UTC()
	require.NoError(t, redisops.WriteManifest(old, m))

	h.Key("l")
	h.waitRun()
	assert.Contains(t, h.m.Last(), "pruned 1 older", "retention runs after a verified new backup")
	assert.NoFileExists(t, old)
	require.Len(t, h.m.Entries(), 1)

	// A second old one, pruned by hand this time.
	old2, err := redisops.NewBackupPath(h.m.Dir(), c.Addr, redisops.KindLogical, time.Now().Add(-30*24*time.Hour))
	require.NoError(t, err)
	_, err = c.LogicalBackup(ctx, old2, redisops.LogicalOptions{})
	require.NoError(t, err)
	m, _, err = redisops.ReadManifest(old2)
	require.NoError(t, err)
	m.Created = time.Now().Add(-30 * 24 * time.Hour).UTC()
	require.NoError(t, redisops.WriteManifest(old2, m))
	h.Key("r")
	h.Until("two backups", func() bool { return len(h.m.Entries()) == 2 })
	h.Key("p")
	h.Until("the prune question", h.m.Confirming)
	assert.Contains(t, h.view(), filepath.Base(old2)[:20])
	h.Key("y")
	h.Until("the pruned list", func() bool { return len(h.m.Entries()) == 1 })
	assert.NoFileExists(t, old2)

	// R asks for the restore flow on the selected logical backup.
	h.Key("home")
	h.Key("R")
	h.Drain()
	var asked []string
	for _, msg := range h.Out {
		if r, ok := msg.(views.RestoreBackupMsg); ok {
			asked = append(asked, r.Path)
		}
	}
	assert.Equal(t, []string{h.m.Entries()[0].Path}, asked)
}

func TestCancelStopsALogicalBackupWhichThenResumes(t *testing.T) {
	c := server(t, 15000)
	h := newHarness(t, c, false)
	h.Key("l")
	h.Until("progress", func() bool { return strings.Contains(h.m.progress, "keys") })
	h.Key("esc")
	h.waitRun()
	assert.Contains(t, h.m.Last(), "l resumes it")
	entries, err := audit.ReadTail(h.auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Cancelled, entries[1].Outcome)
	require.Len(t, h.m.Entries(), 1)
	assert.True(t, h.m.Entries()[0].Partial)
	assert.Contains(t, h.view(), "partial (resumable)")

	h.Key("l")
	h.waitRun()
	assert.Contains(t, h.m.Last(), "(resumed): ")
	require.Len(t, h.m.Entries(), 1)
	assert.Equal(t, "ok", h.m.Entries()[0].Status())
	assert.GreaterOrEqual(t, h.m.Entries()[0].Keys, int64(15000))
}

// Quitting mid-backup: Stop cancels the run and waits for its outcome,
// which is the line the terminal gets once the screen is gone.
func TestQuitMidBackupReportsTheOutcomeForTheTerminal(t *testing.T) {
	c := server(t, 15000)
	h := newHarness(t, c, false)
	assert.Empty(t, h.m.ExitReport(), "nothing ran")
	h.Key("l")
	h.Until("progress", func() bool { return strings.Contains(h.m.progress, "keys") })
	h.m.Stop()
	assert.False(t, h.m.Running())
	entries, err := audit.ReadTail(h.auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2, "the outcome is logged before Stop returns")
	assert.Equal(t, audit.Cancelled, entries[1].Outcome)
	report := h.m.ExitReport()
	require.Len(t, report, 1)
	assert.Equal(t, fmt.Sprintf("logical backup cancelled: %d keys saved so far; l in the Backups tab or `cachedeck backup --logical` (same profile) resumes it; audit log: %s",
		entries[1].Matched, h.auditPath), report[0])
	h.m.Stop()
	assert.Len(t, h.m.ExitReport(), 1, "a second Stop adds nothing")
}

func TestExitLineWords(t *testing.T) {
	done := func(o outcome) doneMsg { return doneMsg{out: o} }
	assert.Equal(t, "BGSAVE cancelled: stopped waiting for BGSAVE: the save goes on on the server; audit log: a.jsonl",
		exitLine(KindBGSave, done(outcome{Cancelled: true, Summary: "stopped waiting for BGSAVE: the save goes on on the server"}), true, "a.jsonl"))
	assert.Equal(t, "RDB download failed: boom; audit log: a.jsonl", exitLine(KindDownload, done(outcome{Err: fmt.Errorf("boom")}), true, "a.jsonl"))
	assert.Equal(t, "RDB download: the console exited before the backup ended; its outcome is unknown; audit log: a.jsonl", exitLine(KindDownload, doneMsg{}, false, "a.jsonl"))
	assert.Equal(t, "BGSAVE: no backup was made: disk full; audit log: a.jsonl", exitLine(KindBGSave, done(outcome{Blocked: fmt.Errorf("disk full")}), true, "a.jsonl"))
}

// The ? help lists every movement key the list takes, and only the answer
// keys while a question is open.
func TestHelpListsTheMovementKeys(t *testing.T) {
	c := server(t, 5)
	h := newHarness(t, c, false)
	keys := viewtest.HelpKeys(t, h.m.FullHelp()...)
	for _, k := range []string{"b", "d", "l", "p", "R", "m", "r", "up", "down", "pgup", "pgdown", "home", "end", "esc"} {
		assert.Contains(t, keys, k)
	}
	h.Key("b")
	h.Until("the question", h.m.Confirming)
	keys = viewtest.HelpKeys(t, h.m.FullHelp()...)
	assert.NotContains(t, keys, "pgdown")
	assert.Contains(t, keys, "y")
}
