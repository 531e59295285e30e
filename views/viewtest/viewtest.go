// Package viewtest is the test harness the panes share: it runs a pane the
// way Bubble Tea would, builds a views.Common with a pinned clock and
// NO_COLOR styles, connects to test servers and checks views. It is
// imported by the panes' _test files only.
package viewtest

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/keymap"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
)

// Pinned is the clock of the panes' tests.
var Pinned = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// NewCommon is a Common with NO_COLOR styles, the default keys and the
// Pinned clock.
func NewCommon(c *redisops.Client, readOnly bool) *views.Common {
	km := keymap.Default()
	return &views.Common{
		ReadOnly: readOnly,
		Styles:   styles.New(styles.Options{Dark: true, NoColor: true}),
		Keys:     &km,
		Client:   c,
		Now:      func() time.Time { return Pinned },
	}
}

// Connect opens a client (DB -1: not chosen) and closes it when the test
// ends.
func Connect(t testing.TB, o redisops.ConnOptions) *redisops.Client {
	t.Helper()
	o.DB = -1
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := redisops.Connect(ctx, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Harness runs a pane the way Bubble Tea would: commands run in
// goroutines, their messages come back to Update one at a time on the test
// goroutine. Messages meant for the frame (by default FlashMsg) are
// collected in Out.
type Harness struct {
	T   testing.TB
	Out []tea.Msg

	update   func(tea.Msg) tea.Cmd
	outbound func(tea.Msg) bool
	timeout  time.Duration
	maxSteps int
	detail   func() string
	msgs     chan tea.Msg
	done     chan struct{}
	// keysChanged: the KeysChangedMsgs the pane sent (they still reach
	// the pane, as the frame broadcasts them).
	keysChanged []views.KeysChangedMsg
}

// Option changes a Harness.
type Option func(*Harness)

// Timeout bounds each Until (20s unless set).
func Timeout(d time.Duration) Option { return func(h *Harness) { h.timeout = d } }

// MaxSteps fails Until after n checks of its condition (no bound unless
// set).
func MaxSteps(n int) Option { return func(h *Harness) { h.maxSteps = n } }

// Detail adds f() to the message of an Until that timed out.
func Detail(f func() string) Option { return func(h *Harness) { h.detail = f } }

// Outbound chooses the messages that are meant for the frame and go to
// Out instead of update.
func Outbound(f func(tea.Msg) bool) Option { return func(h *Harness) { h.outbound = f } }

// New is a harness feeding messages to update. Close it when the test
// ends.
func New(t testing.TB, update func(tea.Msg) tea.Cmd, opts ...Option) *Harness {
	h := &Harness{
		T:       t,
		update:  update,
		timeout: 20 * time.Second,
		outbound: func(msg tea.Msg) bool {
			_, ok := msg.(views.FlashMsg)
			return ok
		},
		msgs: make(chan tea.Msg, 1024),
		done: make(chan struct{}),
	}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Pane is what Start drives.
type Pane interface {
	Init() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	SetSize(width, height int)
	SetFocused(focused bool)
}

// Start sizes and focuses p, applies opts (before Init), and returns a
// harness that runs what Init returned; a views.Shower is then shown, as
// the frame shows the panes of its first tab. When the test ends the
// harness is closed and then, if p has a Stop method, p is stopped.
func Start[P Pane](t testing.TB, p P, w, h int, opts ...func(P)) *Harness {
	t.Helper()
	hs := New(t, p.Update)
	p.SetSize(w, h)
	p.SetFocused(true)
	for _, o := range opts {
		o(p)
	}
	t.Cleanup(func() {
		hs.Close()
		if s, ok := any(p).(interface{ Stop() }); ok {
			s.Stop()
		}
	})
	hs.Run(p.Init())
	if sh, ok := any(p).(views.Shower); ok {
		hs.Run(sh.SetShown(true))
	}
	return hs
}

// Close stops delivering messages; commands still running are dropped.
func (h *Harness) Close() { close(h.done) }

// Run runs cmd in a goroutine and queues its message.
func (h *Harness) Run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if msg == nil {
			return
		}
		select {
		case h.msgs <- msg:
		case <-h.done:
		}
	}()
}

// Dispatch handles msg: a batch runs its commands, messages for the
// frame are kept in Out, the rest go to the pane.
func (h *Harness) Dispatch(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			h.Run(c)
		}
	default:
		if kc, ok := msg.(views.KeysChangedMsg); ok {
			h.keysChanged = append(h.keysChanged, kc)
		}
		if h.outbound(msg) {
			h.Out = append(h.Out, msg)
			return
		}
		h.Run(h.update(msg))
	}
}

// Until pumps messages until cond holds, failing after a timeout.
func (h *Harness) Until(what string, cond func() bool) {
	h.T.Helper()
	deadline := time.After(h.timeout)
	for i := 0; !cond(); i++ {
		if h.maxSteps > 0 && i > h.maxSteps {
			h.T.Fatalf("no progress waiting for %s", what)
		}
		select {
		case msg := <-h.msgs:
			h.Dispatch(msg)
		case <-deadline:
			detail := ""
			if h.detail != nil {
				detail = h.detail()
			}
			h.T.Fatalf("timed out waiting for %s%s", what, detail)
		}
	}
}

// Next handles one message if one arrives within wait, and says whether
// one did.
func (h *Harness) Next(wait time.Duration) bool {
	select {
	case msg := <-h.msgs:
		h.Dispatch(msg)
		return true
	case <-time.After(wait):
		return false
	}
}

// Drain handles messages until none arrives for a moment.
func (h *Harness) Drain() {
	for h.Next(50 * time.Millisecond) {
	}
}

// Key sends one key press: "down", "enter", "esc", or text like "j", "G".
func (h *Harness) Key(k string) {
	h.Dispatch(KeyMsg(k))
}

// Flashes are the flash texts the pane sent (after handling what is
// already pending).
func (h *Harness) Flashes() []string {
	h.Drain()
	var out []string
	for _, m := range h.Out {
		if f, ok := m.(views.FlashMsg); ok {
			out = append(out, f.Text)
		}
	}
	return out
}

// KeysChanged are the KeysChangedMsgs dispatched so far (after handling
// what is already pending): what the pane told the keys pane and the
// inspector to refresh.
func (h *Harness) KeysChanged() []views.KeysChangedMsg {
	h.Drain()
	return h.keysChanged
}

// KeyMsg builds a key press: "enter", "esc", "pgdown"... or one character.
func KeyMsg(k string) tea.KeyPressMsg {
	codes := map[string]rune{
		"down": tea.KeyDown, "up": tea.KeyUp, "left": tea.KeyLeft, "right": tea.KeyRight,
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp,
		"home": tea.KeyHome, "end": tea.KeyEnd, "backspace": tea.KeyBackspace,
	}
	if c, ok := codes[k]; ok {
		return tea.KeyPressMsg{Code: c}
	}
	r, _ := utf8.DecodeRuneInString(k)
	return tea.KeyPressMsg{Code: r, Text: k}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// RequireSafeView checks that p's View is exactly w×h cells (empty when
// either is not positive) and holds no control bytes besides line breaks
// and the styles' SGR sequences. It returns the view.
func RequireSafeView(t testing.TB, p interface{ View() string }, w, h int) string {
	t.Helper()
	v := p.View()
	if w <= 0 || h <= 0 {
		require.Empty(t, v)
		return v
	}
	lines := strings.Split(v, "\n")
	require.Len(t, lines, h, "View has exactly height lines")
	for i, l := range lines {
		require.Equal(t, w, lipgloss.Width(l), "line %d %q is exactly width cells", i, l)
	}
	require.True(t, utf8.ValidString(v), "View is valid UTF-8")
	plain := sgr.ReplaceAllString(v, "")
	for i := 0; i < len(plain); i++ {
		c := plain[i]
		require.False(t, (c < 0x20 && c != '\n') || c == 0x7f, "control byte %#x in View at %d: %q", c, i, plain)
	}
	return v
}
