package slowlog

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

// pinned is the clock of every test.
var pinned = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// harness runs the pane the way Bubble Tea would: commands run in
// goroutines, their messages come back to Update one at a time on the test
// goroutine. Messages for the frame (FlashMsg) are collected in out.
type harness struct {
	t    testing.TB
	m    *Model
	msgs chan tea.Msg
	done chan struct{}
	out  []tea.Msg
}

func newCommon(c *redisops.Client, readOnly bool) *views.Common {
	km := keymap.Default()
	return &views.Common{
		ReadOnly: readOnly,
		Styles:   styles.New(styles.Options{Dark: true, NoColor: true}),
		Keys:     &km,
		Client:   c,
		Now:      func() time.Time { return pinned },
	}
}

// newHarness builds the pane; opts run before Init.
func newHarness(t testing.TB, c *redisops.Client, w, h int, readOnly bool, opts ...func(*Model)) *harness {
	t.Helper()
	hs := &harness{t: t, msgs: make(chan tea.Msg, 1024), done: make(chan struct{})}
	hs.m = New(newCommon(c, readOnly))
	hs.m.SetSize(w, h)
	hs.m.SetFocused(true)
	for _, o := range opts {
		o(hs.m)
	}
	t.Cleanup(func() {
		close(hs.done)
		hs.m.Stop()
	})
	hs.run(hs.m.Init())
	return hs
}

func (h *harness) run(cmd tea.Cmd) {
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

func (h *harness) dispatch(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			h.run(c)
		}
	case views.FlashMsg:
		h.out = append(h.out, msg)
	default:
		h.run(h.m.Update(msg))
	}
}

// until pumps messages until cond holds, failing after a timeout.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(20 * time.Second)
	for !cond() {
		select {
		case msg := <-h.msgs:
			h.dispatch(msg)
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// drain handles messages until none arrives for a moment.
func (h *harness) drain() {
	for {
		select {
		case msg := <-h.msgs:
			h.dispatch(msg)
		case <-time.After(50 * time.Millisecond):
			return
		}
	}
}

func (h *harness) key(k string) {
	codes := map[string]rune{"down": tea.KeyDown, "up": tea.KeyUp, "pgdown": tea.KeyPgDown, "enter": tea.KeyEnter, "esc": tea.KeyEscape}
	if c, ok := codes[k]; ok {
		h.dispatch(tea.KeyPressMsg{Code: c})
		return
	}
	r, _ := utf8.DecodeRuneInString(k)
	h.dispatch(tea.KeyPressMsg{Code: r, Text: k})
}

// flashes are the flash texts the pane sent (after handling what is
// already pending).
func (h *harness) flashes() []string {
	h.drain()
	var out []string
	for _, m := range h.out {
		if f, ok := m.(views.FlashMsg); ok {
			out = append(out, f.Text)
		}
	}
	return out
}

func connect(t testing.TB, o redisops.ConnOptions) *redisops.Client {
	t.Helper()
	o.DB = -1
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := redisops.Connect(ctx, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// requireSafeView checks View's size and that it holds no control bytes
// besides line breaks and the styles' SGR sequences.
func requireSafeView(t testing.TB, m *Model, w, h int) string {
	t.Helper()
	v := m.View()
	if w <= 0 || h <= 0 {
		require.Empty(t, v)
		return v
	}
	lines := strings.Split(v, "\n")
	require.Len(t, lines, h, "View has exactly height lines")
	for i, l := range lines {
		require.Equal(t, w, lipgloss.Width(l), "line %d %q is exactly width cells", i, l)
	}
	require.True(t, utf8.ValidString(v))
	plain := sgr.ReplaceAllString(v, "")
	for i := 0; i < len(plain); i++ {
		c := plain[i]
		require.False(t, (c < 0x20 && c != '\n') || c == 0x7f, "control byte %#x in View: %q", c, plain)
	}
	return v
}
