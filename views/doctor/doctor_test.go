package doctor

import (
	"bytes"
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
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// root sizes the pane to the window, shows it, and forwards every message.
type root struct{ pane *Model }

func (r root) Init() tea.Cmd { return r.pane.SetShown(true) }

func (r root) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		r.pane.SetSize(msg.Width, msg.Height)
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" {
			return r, tea.Quit
		}
	}
	return r, r.pane.Update(msg)
}

func (r root) View() tea.View { return tea.NewView(r.pane.View()) }

func TestDoctorPaneInProgram(t *testing.T) {
	srv := redistest.Standalone(t) // no password, no maxmemory
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	pane := New(viewtest.NewCommon(c, true))
	tm := teatest.NewTestModel(t, root{pane: pane}, teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("CRITICAL")) },
		teatest.WithDuration(10*time.Second))
	tm.Type("G") // to the end: the passed checks
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	final := tm.FinalModel(t).(root).pane
	require.NotNil(t, final.Report())
	assert.True(t, final.Loaded())
	view := ansi.Strip(viewtest.RequireSafeView(t, final, 80, 24))
	assert.Contains(t, view, "findings")
	assert.Contains(t, view, "rejected-connections", "scrolled to the passed checks at the end")

	final.top = 0
	view = ansi.Strip(viewtest.RequireSafeView(t, final, 80, 24))
	assert.Contains(t, view, "CRITICAL maxmemory")
	assert.Contains(t, view, "remedy")
}

func TestDoctorPaneRefreshAndSmallSizes(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	pane := New(viewtest.NewCommon(c, false))
	hp := viewtest.Start(t, pane, 60, 10)
	hp.Run(pane.SetShown(true))
	hp.Until("the doctor", pane.Loaded)
	first := pane.Report()
	hp.Key("r")
	hp.Until("a second run", func() bool { return pane.Report() != first && !pane.Loading() })
	for _, size := range [][2]int{{20, 3}, {1, 1}, {120, 40}} {
		pane.SetSize(size[0], size[1])
		viewtest.RequireSafeView(t, pane, size[0], size[1])
	}
}
