package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
	"github.com/coldcopy/cachedeck/ui"
	"github.com/coldcopy/cachedeck/ui/styles"
)

// rawScreen asks the running program for its screen with the escape
// sequences left in: what the terminal would receive.
type rawProbe struct{ reply chan string }

func rawFilter(m tea.Model, msg tea.Msg) tea.Msg {
	if p, ok := msg.(rawProbe); ok {
		p.reply <- m.(*ui.Model).Render()
		return nil
	}
	return probeFilter(m, msg)
}

func rawScreen(tm *teatest.TestModel) string {
	reply := make(chan string, 1)
	tm.Send(rawProbe{reply: reply})
	select {
	case s := <-reply:
		return s
	case <-time.After(5 * time.Second):
		return ""
	}
}

func nonASCII(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for _, r := range line {
			if r >= 0x80 {
				out = append(out, string(r)+" in "+ansi.Strip(line))
				break
			}
		}
	}
	return out
}

// With LANG=C (and NO_COLOR) every tab, the help screen and the keys the
// footer lists are plain ASCII, and the focused pane is still marked.
func TestASCIIProfileSendsNoGlyph(t *testing.T) {
	srv := redistest.Standalone(t)
	ctx := context.Background()
	c, err := redisops.Connect(ctx, redisops.ConnOptions{URL: srv.URL(), DB: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = seed.Seed(ctx, c.Redis(), seed.Options{Keys: 500, Seed: 1})
	require.NoError(t, err)
	m := ui.NewConsole(ui.Options{Client: c, ProfileName: "test", Production: true, ReadOnly: true,
		Styles: styles.Options{Dark: true, NoColor: true, ASCII: true}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii), tea.WithFilter(rawFilter)))

	waitScreen(t, tm, "scan complete", func(s string) bool { return strings.Contains(s, "500 keys") })
	tm.Send(key("t")) // flat: long keys are elided
	tm.Send(key("enter"))
	waitScreen(t, tm, "a key opened", func(s string) bool { return strings.Contains(s, "ttl") })
	s := rawScreen(tm)
	assert.Empty(t, nonASCII(s), "keys tab:\n%s", ansi.Strip(s))
	assert.Contains(t, ansi.Strip(s), "#=", "the focused pane has its own ASCII border")

	for tab := 2; tab <= 7; tab++ {
		tm.Send(key(string(rune('0' + tab))))
		time.Sleep(300 * time.Millisecond)
		s := rawScreen(tm)
		assert.Empty(t, nonASCII(s), "tab %d:\n%s", tab, ansi.Strip(s))
	}
	tm.Send(key("?"))
	time.Sleep(100 * time.Millisecond)
	s = rawScreen(tm)
	assert.Empty(t, nonASCII(s), "help:\n%s", ansi.Strip(s))
	tm.Send(key("?"))
	tm.Send(key("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
