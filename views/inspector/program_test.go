package inspector

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/keymap"
	"github.com/coldcopy/cachedeck/seed"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
)

// root is the smallest frame: it sizes the pane to the window, forwards
// every message to it, and opens one key at start.
type root struct {
	pane *Model
	open string
}

func (r root) Init() tea.Cmd {
	return func() tea.Msg { return views.OpenKeyMsg{Key: r.open, Focus: true} }
}

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

// TestInProgram runs the pane in a real Bubble Tea program: commands run
// on the program's goroutines, the TTL ticks for real, and y writes OSC 52.
func TestInProgram(t *testing.T) {
	c := seeded(t)
	k := keymap.Default()
	pane := New(&views.Common{Styles: styles.New(styles.Options{Dark: true}), Keys: &k, Client: c, Now: time.Now})
	tm := teatest.NewTestModel(t, root{pane: pane, open: seed.KeyCompressedLead},
		teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	wait := func(s string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(s)) },
			teatest.WithDuration(10*time.Second))
	}
	wait("demo-compressed")
	tm.Type("v")
	wait("COMPRESSED:H4sI")
	tm.Type("y")
	wait("\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(seed.KeyCompressedLead)))
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	final := tm.FinalModel(t).(root).pane
	assert.Equal(t, ModeRaw, final.Mode())
	require.NotNil(t, final.Report())
	view := final.View()
	requireSize(t, view, 80, 24)
	assert.Contains(t, plain(final), "COMPRESSED:H4sI")
}
