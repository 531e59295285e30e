package warm_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/internal/warmtest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui"
	"github.com/coldcopy/cachedeck/ui/styles"
)

type screenProbe struct{ reply chan string }

func probeFilter(m tea.Model, msg tea.Msg) tea.Msg {
	if p, ok := msg.(screenProbe); ok {
		p.reply <- ansi.Strip(m.(*ui.Model).Render())
		return nil
	}
	return msg
}

func screen(tm *teatest.TestModel) string {
	reply := make(chan string, 1)
	tm.Send(screenProbe{reply: reply})
	select {
	case s := <-reply:
		return s
	case <-time.After(5 * time.Second):
		return ""
	}
}

func waitScreen(t *testing.T, tm *teatest.TestModel, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := screen(tm)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; screen:\n%s", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The Warm tab in the real console: reached with ], a warmer run after
// y, its before/after counts and the app's answer on screen, the token
// nowhere.
func TestWarmTabInTheConsole(t *testing.T) {
	srv := redistest.Standalone(t)
	c, err := redisops.Connect(context.Background(), redisops.ConnOptions{URL: srv.URL(), DB: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	app := warmtest.Start(t, c.Redis(), secret)
	t.Setenv("WARM_TEST_SECRET", secret)
	ws, err := config.Profile{WarmURL: app.URL, TokenEnv: "WARM_TEST_SECRET"}.WarmerList()
	require.NoError(t, err)

	m := ui.NewConsole(ui.Options{Client: c, ProfileName: "test", Styles: styles.Options{Dark: true, NoColor: true},
		AuditPath: filepath.Join(t.TempDir(), "audit.jsonl"), Warmers: ws})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii), tea.WithFilter(probeFilter)))
	waitScreen(t, tm, "the console", func(s string) bool { return strings.Contains(s, "Warm") })
	for i := 0; i < 15 && !strings.Contains(screen(tm), "never run"); i++ {
		tm.Send(tea.KeyPressMsg{Code: ']', Text: "]"})
		time.Sleep(30 * time.Millisecond)
	}
	s := waitScreen(t, tm, "the Warm tab", func(s string) bool { return strings.Contains(s, "never run") })
	assert.Contains(t, s, "/api/cron/cache-warming")

	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitScreen(t, tm, "the confirmation", func(s string) bool { return strings.Contains(s, "Run warmer app?") })
	tm.Send(tea.KeyPressMsg{Code: 'y', Text: "y"})
	s = waitScreen(t, tm, "the result", func(s string) bool { return strings.Contains(s, "warmed 170, errors 0") })
	assert.Contains(t, s, "coldcopy:workspace_dashboard:*")
	assert.Contains(t, s, "+20")
	assert.Contains(t, s, "done +170 keys")
	assert.NotContains(t, s, secret)
	for _, l := range strings.Split(s, "\n") {
		require.Equal(t, 120, ansi.StringWidth(l), "%q", l)
	}
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
