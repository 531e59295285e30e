package ui_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui"
	"github.com/coldcopy/cachedeck/ui/styles"
)

// The Backups tab makes a logical backup, and R on it opens the
// Invalidate tab's restore flow with the file previewed: every key exists
// now, so nothing would be restored without replace.
func TestConsoleBackupThenRestoreFlow(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	srv := redistest.Standalone(t)
	ctx := context.Background()
	c, err := redisops.Connect(ctx, redisops.ConnOptions{URL: srv.URL(), DB: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	for i := range 120 {
		require.NoError(t, c.Redis().Set(ctx, "lead:"+itoa(i), "v", time.Hour).Err())
	}
	m := ui.NewConsole(ui.Options{Client: c, ProfileName: "test", AuditPath: filepath.Join(t.TempDir(), "audit.jsonl"),
		Styles: styles.Options{Dark: true, NoColor: true}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii), tea.WithFilter(probeFilter)))

	tm.Send(key("8"))
	waitScreen(t, tm, "the Backups tab", func(s string) bool { return strings.Contains(s, "no backups yet") })
	tm.Send(key("l"))
	waitScreen(t, tm, "the verified backup", func(s string) bool {
		return strings.Contains(s, "logical backup verified: 120 keys") && strings.Contains(s, " ok")
	})
	tm.Send(key("R"))
	waitScreen(t, tm, "the restore preview", func(s string) bool {
		return strings.Contains(s, "restore a backup") && strings.Contains(s, "preview: 120 keys in the backup · 0 to restore · 120 exist now")
	})
	tm.Send(key("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
