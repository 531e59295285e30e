package keys

import (
	"bytes"
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
	"github.com/coldcopy/cachedeck/views"
)

// root hosts the pane the way the frame does: sizes it, forwards every
// message, returns its commands; it records what the pane asks to open.
type root struct {
	pane   *Model
	opened []views.OpenKeyMsg
}

func (r *root) Init() tea.Cmd { return r.pane.Init() }

func (r *root) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		r.pane.SetSize(msg.Width, msg.Height)
		return r, nil
	case views.OpenKeyMsg:
		r.opened = append(r.opened, msg)
		return r, nil
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" {
			return r, tea.Quit
		}
	}
	return r, r.pane.Update(msg)
}

func (r *root) View() tea.View { return tea.NewView(r.pane.View()) }

func TestPaneInAProgram(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, srv.URL())
	ctx := context.Background()
	for _, k := range []string{"lead:1", "lead:2", "lead:3:enrichment", "user:1", "esc\x1b[31m"} {
		require.NoError(t, c.Redis().Set(ctx, k, "v", time.Hour).Err())
	}
	h := &harness{now: pinned}
	m := New(newCommon(h, c, true))
	m.SetFocused(true)
	t.Cleanup(m.Stop)
	tm := teatest.NewTestModel(t, &root{pane: m}, teatest.WithInitialTermSize(60, 10),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("5 keys")) },
		teatest.WithDuration(10*time.Second))
	tm.Send(tea.KeyPressMsg{Code: 't', Text: "t"})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("string")) },
		teatest.WithDuration(10*time.Second))
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*root)
	v := ansi.Strip(final.pane.View())
	lines := strings.Split(v, "\n")
	require.Len(t, lines, 10)
	assert.True(t, strings.HasPrefix(lines[0], `"esc\x1b[31m"`), "flat, sorted, quoted: %q", lines[0])
	assert.Contains(t, lines[0], "string   1h", "an hour TTL read a moment later rounds up to 1h")
	require.NotEmpty(t, final.opened)
	assert.Equal(t, views.OpenKeyMsg{Key: "esc\x1b[31m", Focus: true}, final.opened[len(final.opened)-1])
}
