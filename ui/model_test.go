package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
)

// stubPane is a pane that records what the frame does to it; it stands in
// for the real panes, which have their own tests against real servers.
type stubPane struct {
	name         string
	w, h         int
	focused      bool
	capturing    bool
	keys         []string
	others       []tea.Msg
	helpBindings []key.Binding
}

func (p *stubPane) Init() tea.Cmd { return nil }
func (p *stubPane) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		p.keys = append(p.keys, k.String())
	} else {
		p.others = append(p.others, msg)
	}
	return nil
}
func (p *stubPane) View() string {
	lines := make([]string, p.h)
	for i := range lines {
		lines[i] = fit(p.name, p.w)
	}
	return strings.Join(lines, "\n")
}
func (p *stubPane) SetSize(w, h int)          { p.w, p.h = w, h }
func (p *stubPane) SetFocused(f bool)         { p.focused = f }
func (p *stubPane) Capturing() bool           { return p.capturing }
func (p *stubPane) ShortHelp() []key.Binding  { return p.helpBindings }
func (p *stubPane) FullHelp() [][]key.Binding { return [][]key.Binding{p.helpBindings} }

func newFrame(t *testing.T, w, h int) (*Model, *stubPane, *stubPane) {
	left := &stubPane{name: "LEFT", helpBindings: []key.Binding{key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "do x"))}}
	right := &stubPane{name: "RIGHT"}
	m := New(Options{Styles: styles.Options{Dark: true, NoColor: true}, ProfileName: "prod", Production: true, ReadOnly: true})
	m.AddTab(Tab{Title: "Keys", Panes: []views.Pane{left, right}, Titles: []string{"Keys", "Inspector"}, Weights: []int{2, 3}})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m, left, right
}

func press(m *Model, k string) tea.Cmd {
	var msg tea.KeyPressMsg
	switch k {
	case "tab":
		msg = tea.KeyPressMsg{Code: tea.KeyTab}
	case "esc":
		msg = tea.KeyPressMsg{Code: tea.KeyEscape}
	default:
		msg = tea.KeyPressMsg{Code: rune(k[0]), Text: k}
	}
	_, cmd := m.Update(msg)
	return cmd
}

func assertScreen(t *testing.T, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	require.Len(t, lines, h)
	for i, l := range lines {
		assert.Equal(t, w, ansi.StringWidth(l), "line %d: %q", i, ansi.Strip(l))
	}
}

func TestFrameFillsTheTerminalExactly(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {41, 11}} {
		m, left, right := newFrame(t, size[0], size[1])
		assertScreen(t, m.Render(), size[0], size[1])
		assert.Equal(t, size[1]-headerRows-footerRows-2, left.h)
		assert.Equal(t, size[0], left.w+right.w+4, "both panes and their borders fill the width")
	}
}

func TestFrameTooSmallSaysSo(t *testing.T) {
	m, _, _ := newFrame(t, 30, 8)
	screen := m.Render()
	assertScreen(t, screen, 30, 8)
	assert.Contains(t, screen, "too small")
	m.Update(tea.WindowSizeMsg{Width: 0, Height: 0})
	assert.NotPanics(t, func() { m.Render() })
}

func TestFrameHeaderShowsProductionAndReadOnly(t *testing.T) {
	m, _, _ := newFrame(t, 100, 24)
	header := ansi.Strip(strings.Split(m.Render(), "\n")[0])
	assert.Contains(t, header, "prod (production)")
	assert.Contains(t, header, "READ-ONLY")
}

func TestFocusAndRouting(t *testing.T) {
	m, left, right := newFrame(t, 80, 24)
	assert.True(t, left.focused)
	press(m, "j")
	assert.Equal(t, []string{"j"}, left.keys, "keys go to the focused pane")

	press(m, "tab")
	assert.True(t, right.focused)
	assert.False(t, left.focused)
	press(m, "j")
	assert.Equal(t, []string{"j"}, right.keys)

	m.Update(views.OpenKeyMsg{Key: "k", Focus: false})
	assert.Contains(t, left.others, views.OpenKeyMsg{Key: "k"}, "other messages reach every pane")

	right.capturing = true
	cmd := press(m, "q")
	assert.Nil(t, cmd, "q typed into a search box does not quit")
	assert.Equal(t, []string{"j", "q"}, right.keys)
	right.capturing = false
	cmd = press(m, "q")
	require.NotNil(t, cmd)
	assert.IsType(t, tea.QuitMsg{}, cmd())
}

func TestOpenKeyWithFocusMovesToInspector(t *testing.T) {
	m, _, right := newFrame(t, 80, 24)
	m.Update(views.OpenKeyMsg{Key: "k", Focus: true})
	assert.True(t, right.focused)
}

func TestHelpScreenListsPaneAndGlobalKeys(t *testing.T) {
	m, left, _ := newFrame(t, 80, 24)
	press(m, "?")
	screen := ansi.Strip(m.Render())
	assertScreen(t, m.Render(), 80, 24)
	assert.Contains(t, screen, "do x")
	assert.Contains(t, screen, "quit")
	press(m, "j")
	assert.Empty(t, left.keys, "keys do not reach panes under the help screen")
	press(m, "esc")
	assert.NotContains(t, ansi.Strip(m.Render()), "(? or esc to close)")
}

func TestFlashClearsItself(t *testing.T) {
	m, _, _ := newFrame(t, 80, 24)
	_, cmd := m.Update(views.FlashMsg{Level: views.FlashWarn, Text: "careful"})
	require.NotNil(t, cmd)
	assert.Contains(t, ansi.Strip(m.Render()), "careful")
	_, _ = m.Update(views.FlashMsg{Level: views.FlashInfo, Text: "newer"})
	m.Update(flashExpiredMsg{id: 1})
	assert.Contains(t, ansi.Strip(m.Render()), "newer", "an old timer does not clear a newer flash")
	m.Update(flashExpiredMsg{id: 2})
	assert.NotContains(t, ansi.Strip(m.Render()), "newer")
}

func TestLostConnectionShowsInHeaderAndRecovers(t *testing.T) {
	m, left, _ := newFrame(t, 120, 24)
	m.Update(pingResultMsg{err: errors.New("dial tcp: connect: connection refused")})
	screen := ansi.Strip(m.Render())
	assert.Contains(t, screen, "DISCONNECTED")
	assert.Contains(t, screen, "reconnecting")
	assert.Contains(t, left.others, views.ConnLostMsg{Err: errors.New("dial tcp: connect: connection refused")})

	m.Update(pingResultMsg{latency: 300 * time.Microsecond})
	screen = ansi.Strip(m.Render())
	assert.NotContains(t, screen, "DISCONNECTED")
	assert.Contains(t, screen, "reconnected")
	assert.Contains(t, screen, "ping 0.30 ms")
}
