package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui"
	"github.com/coldcopy/cachedeck/ui/styles"
)

// TestConsoleSurvivesAServerRestartMidScan: redis-server killed in the
// middle of a 500k-key scan. The header says DISCONNECTED, the keys pane
// says the scan stopped (never a complete count), and once the server is
// back the console reconnects by itself and scans again without a restart.
func TestConsoleSurvivesAServerRestartMidScan(t *testing.T) {
	srv := redistest.Standalone(t, "enable-debug-command yes")
	ctx := context.Background()
	c, err := redisops.Connect(ctx, redisops.ConnOptions{URL: srv.URL(), DB: -1, ReadTimeout: 2 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	const total = 500_000
	patient := redis.NewClient(&redis.Options{Addr: srv.Addr, ReadTimeout: time.Minute})
	t.Cleanup(func() { _ = patient.Close() })
	require.NoError(t, patient.Do(ctx, "DEBUG", "POPULATE", total, "big", 8).Err())

	m := ui.NewConsole(ui.Options{Client: c, ProfileName: "test", Styles: styles.Options{Dark: true, NoColor: true}})
	tm := teatest.NewTestModel(t, m,
		teatest.WithInitialTermSize(120, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii), tea.WithFilter(probeFilter)))
	waitScreen(t, tm, "the scan under way", func(s string) bool { return strings.Contains(s, "big:") })
	srv.Kill()
	waitScreen(t, tm, "DISCONNECTED in the header", func(s string) bool { return strings.Contains(s, "DISCONNECTED") })
	s := screen(tm)
	assert.NotContains(t, s, "500,000 keys", "a killed scan never reads as complete")

	require.NoError(t, srv.Restart(ctx))
	// The restarted server is empty (no persistence): seed a few keys so
	// that a fresh scan is seen to run.
	require.NoError(t, patient.Do(ctx, "DEBUG", "POPULATE", 3, "back", 8).Err())
	waitScreen(t, tm, "reconnected", func(s string) bool { return !strings.Contains(s, "DISCONNECTED") })
	tm.Send(key("r")) // rescan
	waitScreen(t, tm, "a fresh scan of the restarted server", func(s string) bool {
		return strings.Contains(s, "3 keys") && strings.Contains(s, "back:")
	})
	tm.Send(key("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
