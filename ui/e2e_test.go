package ui_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
	"github.com/coldcopy/cachedeck/ui"
	"github.com/coldcopy/cachedeck/ui/styles"
)

func TestMain(m *testing.M) {
	// Pinned for stable screens: UTC, no colour.
	time.Local = time.UTC
	os.Exit(m.Run())
}

// seededConsole starts a real redis-server with the demo dataset and a
// console on it.
func seededConsole(t *testing.T, keys int) (*ui.Model, *redisops.Client) {
	t.Helper()
	srv := redistest.Standalone(t)
	ctx := context.Background()
	c, err := redisops.Connect(ctx, redisops.ConnOptions{URL: srv.URL(), DB: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = seed.Seed(ctx, c.Redis(), seed.Options{Keys: keys, Seed: 1})
	require.NoError(t, err)
	// The golden screen shows this key: without a TTL it reads the same
	// however long the test took to get there.
	require.NoError(t, c.Redis().Persist(ctx, seed.KeyDamagedLZ).Err())
	m := ui.NewConsole(ui.Options{Client: c, ProfileName: "test", Styles: styles.Options{Dark: true, NoColor: true}})
	return m, c
}

func key(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	}
	return tea.KeyPressMsg{Code: rune(s[0]), Text: s}
}

// screenProbe asks the running program for its screen. The filter answers
// it on the program's own goroutine, so the test never reads the model
// while Update changes it.
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

// waitScreen waits until the rendered screen (not the diff stream)
// satisfies cond.
func waitScreen(t *testing.T, tm *teatest.TestModel, what string, cond func(screen string) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := screen(tm)
		if cond(s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; screen:\n%s", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openByPattern narrows the keys pane to one key with a server-side MATCH
// in flat mode, selects it and opens it.
func openByPattern(t *testing.T, tm *teatest.TestModel, pattern, display string) {
	tm.Send(key("m"))
	tm.Type(pattern)
	tm.Send(key("enter"))
	waitScreen(t, tm, "filtered to "+pattern, func(s string) bool {
		return strings.Contains(s, display) && strings.Contains(s, "1 key")
	})
	tm.Send(key("G")) // the only key row
	tm.Send(key("enter"))
}

func TestConsoleEndToEnd(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m, _ := seededConsole(t, 3000)
			tm := teatest.NewTestModel(t, m,
				teatest.WithInitialTermSize(size[0], size[1]),
				teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii), tea.WithFilter(probeFilter)))

			// The tree fills in as the scan streams, then completes.
			waitScreen(t, tm, "scan complete", func(s string) bool { return strings.Contains(s, "3,000 keys") })
			assert.Contains(t, screen(tm), "lead:")

			// Walk the tree: expand the first namespace and step into it.
			tm.Send(key("l"))
			tm.Send(key("j"))
			waitScreen(t, tm, "expanded", func(s string) bool { return strings.Contains(s, "▾") })

			// Flat mode with a server-side pattern, then open the COMPRESSED: key.
			tm.Send(key("t"))
			openByPattern(t, tm, seed.KeyCompressedLead, seed.KeyCompressedLead)
			waitScreen(t, tm, "decoded JSON", func(s string) bool {
				return strings.Contains(s, "coldcopy-compressed") && strings.Contains(s, "gzip") && strings.Contains(s, `"leadId"`)
			})

			// Back to the keys pane; open the damaged LZ: key and see the warning.
			tm.Send(key("tab"))
			tm.Send(key("m"))
			tm.Send(key("ctrl+u")) // clear the previous pattern
			tm.Type(seed.KeyDamagedLZ)
			tm.Send(key("enter"))
			waitScreen(t, tm, "filtered", func(s string) bool { return strings.Contains(s, "1 key") && strings.Contains(s, "lead-damaged") })
			tm.Send(key("G"))
			tm.Send(key("enter"))
			waitScreen(t, tm, "damaged warning", func(s string) bool {
				return strings.Contains(s, "damaged") && strings.Contains(s, "the app cannot read this value")
			})

			// Golden of the panes (the header holds a random port and a live
			// latency, so it is left out).
			lines := strings.Split(screen(tm), "\n")
			require.Len(t, lines, size[1])
			golden.RequireEqual(t, []byte(strings.Join(lines[1:len(lines)-1], "\n")+"\n"))

			tm.Send(key("tab"))
			tm.Send(key("q"))
			tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
		})
	}
}
