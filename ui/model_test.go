package ui

import (
	"errors"
	"strconv"
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
	assert.Contains(t, header, "prod")
	assert.Contains(t, header, "PRODUCTION")
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

// showerPane is a stubPane that implements views.Shower and records each
// call with the width it had then.
type showerPane struct {
	stubPane
	shown   []bool
	widthAt []int
}

// shownMsg is what showerPane's SetShown command says.
type shownMsg struct {
	pane  string
	shown bool
}

func (p *showerPane) SetShown(shown bool) tea.Cmd {
	p.shown = append(p.shown, shown)
	p.widthAt = append(p.widthAt, p.w)
	name := p.name
	return func() tea.Msg { return shownMsg{pane: name, shown: shown} }
}

// shownMsgs runs cmd, and what it batches, for the shownMsgs it returns.
func shownMsgs(t *testing.T, cmd tea.Cmd) []shownMsg {
	t.Helper()
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		var out []shownMsg
		for _, c := range msg {
			out = append(out, shownMsgs(t, c)...)
		}
		return out
	case shownMsg:
		return []shownMsg{msg}
	default:
		t.Fatalf("unexpected message %T from a tab switch", msg)
		return nil
	}
}

func TestFrameTellsPanesWhenTheyAreShown(t *testing.T) {
	keysPane := &showerPane{stubPane: stubPane{name: "KEYS"}}
	plain := &stubPane{name: "PLAIN"} // no SetShown: the frame leaves it be
	second := &showerPane{stubPane: stubPane{name: "SECOND"}}
	third := &showerPane{stubPane: stubPane{name: "THIRD"}}
	m := New(Options{Styles: styles.Options{Dark: true, NoColor: true}})
	m.AddTab(Tab{Title: "Keys", Panes: []views.Pane{keysPane, plain}, Titles: []string{"Keys", "Plain"}, Weights: []int{1, 1}})
	m.AddTab(Tab{Title: "Second", Panes: []views.Pane{second}, Titles: []string{"Second"}})
	m.AddTab(Tab{Title: "Third", Panes: []views.Pane{third}, Titles: []string{"Third"}})
	assert.Empty(t, keysPane.shown, "nothing is shown before Init")

	m.Init() // its other commands (the ping's tick) are not run here
	assert.Equal(t, []bool{true}, keysPane.shown, "the first tab is shown at start")
	assert.Empty(t, second.shown)
	assert.Empty(t, third.shown)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})

	// ] leaves Keys for Second: hide, then show, and both commands run.
	cmd := press(m, "]")
	assert.Equal(t, []bool{true, false}, keysPane.shown)
	assert.Equal(t, []bool{true}, second.shown)
	assert.Empty(t, third.shown)
	assert.ElementsMatch(t, []shownMsg{{"KEYS", false}, {"SECOND", true}}, shownMsgs(t, cmd))
	assert.Equal(t, 78, second.widthAt[0], "a pane is sized before it is shown")

	// [ back to Keys, then [ again wraps to the last tab.
	assert.ElementsMatch(t, []shownMsg{{"SECOND", false}, {"KEYS", true}}, shownMsgs(t, press(m, "[")))
	assert.ElementsMatch(t, []shownMsg{{"KEYS", false}, {"THIRD", true}}, shownMsgs(t, press(m, "[")))
	assert.Equal(t, []bool{true, false, true, false}, keysPane.shown)
	assert.Equal(t, []bool{true, false}, second.shown)
	assert.Equal(t, []bool{true}, third.shown)

	// Focus moves, the help screen and a pane that is typing switch nothing.
	press(m, "tab")
	press(m, "?")
	press(m, "]")
	press(m, "esc")
	third.capturing = true
	press(m, "]")
	third.capturing = false
	assert.Equal(t, []bool{true}, third.shown)
	assert.Equal(t, []bool{true, false, true, false}, keysPane.shown)

	// A single tab has nothing to switch to.
	solo := &showerPane{stubPane: stubPane{name: "SOLO"}}
	one := New(Options{Styles: styles.Options{Dark: true, NoColor: true}})
	one.AddTab(Tab{Title: "Solo", Panes: []views.Pane{solo}, Titles: []string{"Solo"}})
	one.Init()
	assert.Nil(t, press(one, "]"))
	assert.Equal(t, []bool{true}, solo.shown)
}

// Pasted text and mouse events go to the focused pane only: a hidden pane
// (or the other pane of the tab) never receives them.
func TestInputGoesOnlyToTheFocusedPane(t *testing.T) {
	left, right, hidden := &stubPane{name: "L"}, &stubPane{name: "R"}, &stubPane{name: "H"}
	m := New(Options{Styles: styles.Options{Dark: true, NoColor: true}})
	m.AddTab(Tab{Title: "One", Panes: []views.Pane{left, right}, Titles: []string{"L", "R"}, Weights: []int{1, 1}})
	m.AddTab(Tab{Title: "Two", Panes: []views.Pane{hidden}, Titles: []string{"H"}})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	press(m, "tab") // focus R

	paste := tea.PasteMsg{Content: "temp:*"}
	wheel := tea.MouseWheelMsg{Button: tea.MouseWheelDown}
	m.Update(paste)
	m.Update(wheel)
	assert.Equal(t, []tea.Msg{paste, wheel}, right.others)
	assert.Empty(t, left.others)
	assert.Empty(t, hidden.others)

	// Behind the help screen nothing receives them.
	press(m, "?")
	m.Update(paste)
	assert.Len(t, right.others, 2)

	// Other messages still reach every pane (each recognises its own).
	press(m, "esc")
	m.Update(views.ConnRestoredMsg{})
	assert.Contains(t, left.others, tea.Msg(views.ConnRestoredMsg{}))
	assert.Contains(t, hidden.others, tea.Msg(views.ConnRestoredMsg{}))
}

func TestConsoleLogsMutationsWhereToldTo(t *testing.T) {
	m := NewConsole(Options{AuditPath: "/var/log/cachedeck/audit.jsonl", ProfileName: "prod", Production: true,
		Styles: styles.Options{Dark: true, NoColor: true}})
	c := m.Common()
	assert.Equal(t, "/var/log/cachedeck/audit.jsonl", c.AuditFile(), "--audit-log reaches the panes")
	assert.Equal(t, "prod", c.Profile)
	assert.True(t, c.Production)
	t.Setenv("XDG_STATE_HOME", "/state")
	assert.Equal(t, "/state/cachedeck/audit.jsonl", New(Options{}).Common().AuditFile())
}

// The tab bar numbers its tabs; the number keys go there.
func TestNumberKeysGoToTheirTab(t *testing.T) {
	one, two, three := &stubPane{name: "ONE"}, &stubPane{name: "TWO"}, &stubPane{name: "THREE"}
	m := New(Options{Styles: styles.Options{Dark: true, NoColor: true}})
	for i, p := range []*stubPane{one, two, three} {
		m.AddTab(Tab{Title: p.name, Panes: []views.Pane{p}, Titles: []string{strconv.Itoa(i)}})
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	press(m, "3")
	assert.Equal(t, 2, m.active)
	press(m, "1")
	assert.Equal(t, 0, m.active)
	press(m, "9") // no ninth tab
	assert.Equal(t, 0, m.active)
	assert.Equal(t, []string{"9"}, one.keys, "an unused number goes to the pane")
	one.capturing = true // typing a pattern: digits are text
	press(m, "2")
	assert.Equal(t, 0, m.active)
	assert.Equal(t, []string{"9", "2"}, one.keys)
}

// runningPane is a stubPane with a mutation run that Ctrl-C interrupts
// (views.Interrupter): it reports true once, for the run it cancels.
type runningPane struct {
	stubPane
	running    bool
	interrupts int
}

// interruptedMsg is what runningPane's Interrupt command says.
type interruptedMsg struct{ pane string }

func (p *runningPane) Interrupt() (tea.Cmd, bool) {
	p.interrupts++
	if !p.running {
		return nil, false
	}
	p.running = false
	name := p.name
	return func() tea.Msg { return interruptedMsg{pane: name} }, true
}

// runAll runs cmd and what it batches, for the messages they return.
func runAll(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if batch, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range batch {
			out = append(out, runAll(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// Ctrl-C with a run in progress, in any tab, cancels the run and says how
// to quit; with nothing running (or the run already cancelled) it quits.
func TestCtrlCCancelsARunningMutationFirst(t *testing.T) {
	saved := flashTTL
	flashTTL = map[views.FlashLevel]time.Duration{} // the flash timers fire at once: runAll runs them
	t.Cleanup(func() { flashTTL = saved })
	ctrlC := tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}

	idle := &runningPane{stubPane: stubPane{name: "IDLE"}}
	busy := &runningPane{stubPane: stubPane{name: "BUSY"}, running: true}
	m := New(Options{Styles: styles.Options{Dark: true, NoColor: true}})
	m.AddTab(Tab{Title: "Keys", Panes: []views.Pane{idle, &stubPane{name: "PLAIN"}}, Titles: []string{"I", "P"}, Weights: []int{1, 1}})
	m.AddTab(Tab{Title: "Invalidate", Panes: []views.Pane{busy}, Titles: []string{"B"}}) // not the tab shown
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})

	_, cmd := m.Update(ctrlC)
	assert.Equal(t, 1, busy.interrupts, "the run in the hidden tab is asked")
	assert.Equal(t, 1, idle.interrupts, "every pane is asked")
	msgs := runAll(cmd)
	assert.Contains(t, msgs, tea.Msg(interruptedMsg{pane: "BUSY"}), "the pane's command runs")
	assert.NotContains(t, msgs, tea.Msg(tea.QuitMsg{}), "the console stays up to show the outcome")
	assert.Contains(t, ansi.Strip(m.Render()), "run cancelled — ctrl+c again to quit")

	// The run is cancelled (ending): a second Ctrl-C quits.
	_, cmd = m.Update(ctrlC)
	assert.Equal(t, 2, busy.interrupts)
	require.NotNil(t, cmd)
	assert.IsType(t, tea.QuitMsg{}, cmd())

	// Nothing running at all: the first Ctrl-C quits, even under help.
	calm := New(Options{Styles: styles.Options{Dark: true, NoColor: true}})
	calm.AddTab(Tab{Title: "Keys", Panes: []views.Pane{&runningPane{stubPane: stubPane{name: "IDLE"}}}, Titles: []string{"I"}})
	calm.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	press(calm, "?")
	_, cmd = calm.Update(ctrlC)
	require.NotNil(t, cmd)
	assert.IsType(t, tea.QuitMsg{}, cmd())
}
