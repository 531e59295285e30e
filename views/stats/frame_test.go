package stats_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui"
	"github.com/coldcopy/cachedeck/ui/styles"
)

// The live-operations tabs inside the real console frame: ] walks from
// the Keys tab through Stats, Slowlog, Memory and Clients, each filling
// its box, for a full user and for one the server refuses INFO, SLOWLOG
// and CLIENT LIST (the panes say why and the console keeps working).

type screenProbe struct{ reply chan string }

func probeFilter(m tea.Model, msg tea.Msg) tea.Msg {
	if p, ok := msg.(screenProbe); ok {
		p.reply <- ansi.Strip(m.(*ui.Model).Render())
		return nil
	}
	return msg
}

func waitScreen(t *testing.T, tm *teatest.TestModel, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		reply := make(chan string, 1)
		tm.Send(screenProbe{reply: reply})
		var s string
		select {
		case s = <-reply:
		case <-time.After(5 * time.Second):
		}
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; screen:\n%s", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLiveTabsInTheConsole(t *testing.T) {
	full := redistest.Standalone(t)
	restricted := redistest.Restricted(t)
	cases := []struct {
		name string
		opts redisops.ConnOptions
		want []string // per tab: Stats, Slowlog, Memory, Clients
	}{
		{"full", redisops.ConnOptions{URL: full.URL()}, []string{"ops/s", "latency monitor", "MEMORY DOCTOR", "client|list"}},
		{"restricted", redisops.ConnOptions{URL: restricted.URL(), User: restricted.AdminUser, Password: restricted.AdminPassword},
			[]string{"unavailable: INFO denied by ACL: NOPERM", "unavailable: SLOWLOG GET denied by ACL: NOPERM", "MEMORY DOCTOR", "unavailable: CLIENT LIST denied by ACL: NOPERM"}},
	}
	for _, tc := range cases {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s %dx%d", tc.name, size[0], size[1]), func(t *testing.T) {
				o := tc.opts
				o.DB = -1
				c, err := redisops.Connect(context.Background(), o)
				require.NoError(t, err)
				t.Cleanup(func() { _ = c.Close() })
				m := ui.NewConsole(ui.Options{Client: c, ProfileName: "test", Styles: styles.Options{Dark: true, NoColor: true}})
				tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size[0], size[1]),
					teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii), tea.WithFilter(probeFilter)))
				waitScreen(t, tm, "the keys tab", func(s string) bool { return strings.Contains(s, "1 Keys   2 Stats") })
				for i, title := range []string{"Stats", "Slowlog", "Memory", "Clients"} {
					tm.Send(tea.KeyPressMsg{Code: ']', Text: "]"})
					s := waitScreen(t, tm, title, func(s string) bool {
						return strings.Contains(strings.Join(strings.Fields(s), " "), strings.Join(strings.Fields(tc.want[i]), " "))
					})
					lines := strings.Split(s, "\n")
					require.Len(t, lines, size[1])
					for j, l := range lines {
						require.Equal(t, size[0], ansi.StringWidth(l), "%s line %d: %q", title, j, l)
					}
					require.Contains(t, lines[2], " "+title+" ", "the focused pane's box is titled")
				}
				tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
				tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
			})
		}
	}
}
