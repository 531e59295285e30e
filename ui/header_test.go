package ui

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
)

// shippedTabs is the tab order of the finished console (BRIEF), twelve
// tabs: the bar must work with all of them at 80 columns.
var shippedTabs = []string{"Keys", "Stats", "Slowlog", "Memory", "Clients", "Audit", "Invalidate", "Backups", "Warm", "Policy", "Doctor", "Cluster"}

// headerFrame is a frame on a managed-Valkey-like client (never dialled:
// only Render is called), with a long address as DigitalOcean gives.
func headerFrame(production, readOnly bool, ascii bool) *Model {
	c := &redisops.Client{
		Addr:   "coldcopy-cache-do-user-1234567-0.db.ondigitalocean.com:25061",
		Server: redisops.ServerInfo{Product: "valkey", Version: "8.0.2", Role: "master"},
	}
	m := New(Options{Client: c, ProfileName: "do-prod", Production: production, ReadOnly: readOnly,
		Styles: styles.Options{Dark: true, NoColor: true, ASCII: ascii}})
	m.AddTab(Tab{Title: "Keys", Panes: []views.Pane{&stubPane{name: "LEFT"}, &stubPane{name: "RIGHT"}}, Titles: []string{"Keys", "Inspector"}, Weights: []int{2, 3}})
	for _, title := range shippedTabs[1:7] {
		m.AddTab(Tab{Title: title, Panes: []views.Pane{&stubPane{name: title}}, Titles: []string{title}})
	}
	m.health.latency = 310 * time.Microsecond
	return m
}

func disconnect(m *Model) {
	m.Update(pingResultMsg{err: fmt.Errorf("dial tcp 10.0.0.5:25061: connect: %w", syscall.ECONNREFUSED)})
}

func TestHeaderBadgesAlwaysVisible(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		production, ro, downed bool
	}{
		{"plain", false, false, false},
		{"production", true, false, false},
		{"readonly", false, true, false},
		{"disconnected", false, false, true},
		{"production-readonly-disconnected", true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := headerFrame(tc.production, tc.ro, false)
			if tc.downed {
				disconnect(m)
			}
			for _, w := range []int{minWidth, 60, 80, 100, 120, 200} {
				m.Update(tea.WindowSizeMsg{Width: w, Height: 24})
				header := ansi.Strip(strings.Split(m.Render(), "\n")[0])
				assert.Equal(t, w, ansi.StringWidth(header), "header fills %d columns", w)
				for badge, want := range map[string]bool{"PRODUCTION": tc.production, "READ-ONLY": tc.ro, "DISCONNECTED": tc.downed} {
					if want {
						assert.Contains(t, header, badge, "at %d columns", w)
					} else {
						assert.NotContains(t, header, badge, "at %d columns", w)
					}
				}
			}
			m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			screen := m.Render()
			assertScreen(t, screen, 80, 24)
			golden.RequireEqual(t, []byte(ansi.Strip(screen)+"\n"))
		})
	}
}

func TestHeaderDropsTheLeastUsefulFieldsFirst(t *testing.T) {
	m := headerFrame(true, true, false)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	header := ansi.Strip(strings.Split(m.Render(), "\n")[0])
	assert.Contains(t, header, "ping 0.31 ms", "the live latency stays at 80 columns")
	assert.Contains(t, header, "do-prod", "so does the profile name")
	assert.NotContains(t, header, "Valkey 8.0.2", "the version goes first")

	disconnect(m)
	header = ansi.Strip(strings.Split(m.Render(), "\n")[0])
	assert.Contains(t, header, "connection refused", "the reason replaces the latency")

	m.Update(tea.WindowSizeMsg{Width: 200, Height: 24})
	header = ansi.Strip(strings.Split(m.Render(), "\n")[0])
	for _, field := range []string{"cachedeck", "do-prod", "ondigitalocean.com:25061", "Valkey 8.0.2", "master", "db0"} {
		assert.Contains(t, header, field, "everything fits at 200 columns")
	}
}

func TestTabBarScrollsAroundTheActiveTab(t *testing.T) {
	for _, ascii := range []bool{false, true} {
		t.Run(map[bool]string{false: "utf8", true: "ascii"}[ascii], func(t *testing.T) {
			m := New(Options{Styles: styles.Options{Dark: true, NoColor: true, ASCII: ascii}})
			for _, title := range shippedTabs {
				m.AddTab(Tab{Title: title, Panes: []views.Pane{&stubPane{name: title}}, Titles: []string{title}})
			}
			m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			var bars []string
			for i, title := range shippedTabs {
				m.switchTab(i)
				bar := ansi.Strip(m.tabLine())
				require.Equal(t, 80, ansi.StringWidth(bar))
				assert.Contains(t, bar, title, "the active tab %d is in view", i+1)
				if i+1 < len(shippedTabs) {
					assert.Contains(t, bar, shippedTabs[i+1], "so is the next one")
				}
				bars = append(bars, fmt.Sprintf("%2d %s", i+1, bar))
			}
			golden.RequireEqual(t, []byte(strings.Join(bars, "\n")+"\n"))
		})
	}
}
