package inspector

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/keymap"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// t0 is the pinned clock of the tests.
var t0 = time.Date(2025, 11, 25, 12, 0, 0, 0, time.UTC)

// clock is a settable clock for Common.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// seeded starts a redis-server holding the seed's fixed keys.
func seeded(t testing.TB) *redisops.Client {
	t.Helper()
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	_, err := seed.Seed(context.Background(), c.Redis(), seed.Options{Keys: 1})
	require.NoError(t, err)
	return c
}

// newTestModel is an inspector with NO_COLOR styles, a pinned clock and no
// TTL ticks (tests send ttlTickMsg themselves), sized w×h.
func newTestModel(t testing.TB, c *redisops.Client, w, h int, opts ...styles.Options) (*Model, *clock) {
	t.Helper()
	o := styles.Options{Dark: true, NoColor: true}
	if len(opts) > 0 {
		o = opts[0]
	}
	k := keymap.Default()
	clk := &clock{now: t0}
	m := New(&views.Common{Styles: styles.New(o), Keys: &k, Client: c, Now: clk.Now})
	m.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	m.watch.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	m.SetSize(w, h)
	m.SetFocused(true)
	return m, clk
}

// drive runs cmd and every command that follows from it, feeding the
// pane's own messages back to Update, and returns the other messages
// (flashes, clipboard writes) in order. It is bounded: a loop of commands
// fails the test instead of hanging it.
func drive(t testing.TB, m *Model, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		require.Less(t, steps, 10_000, "commands do not settle")
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			if Owns(msg) {
				queue = append(queue, m.Update(msg))
			} else {
				out = append(out, msg)
			}
		}
	}
	return out
}

// open opens key as if chosen with enter, and waits for it to load.
func open(t testing.TB, m *Model, key string) {
	t.Helper()
	drive(t, m, m.Update(views.OpenKeyMsg{Key: key, Focus: true}))
	require.False(t, m.Loading())
}

// press sends keys one by one and drives what they start.
func press(t testing.TB, m *Model, keys ...string) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	for _, k := range keys {
		out = append(out, drive(t, m, m.Update(viewtest.KeyMsg(k)))...)
	}
	return out
}

// typeText types into the search box.
func typeText(t testing.TB, m *Model, s string) {
	t.Helper()
	for _, r := range s {
		drive(t, m, m.Update(tea.KeyPressMsg{Code: r, Text: string(r)}))
	}
}

// plain is the view without styling.
func plain(m *Model) string { return ansi.Strip(m.View()) }

// requireSize checks the view is exactly w×h cells.
func requireSize(t testing.TB, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	require.Len(t, lines, h, "line count")
	for i, l := range lines {
		require.Equal(t, w, lipgloss.Width(l), "width of line %d: %q", i, ansi.Strip(l))
	}
}

// requireSafe checks that a view writes nothing to the terminal but text,
// newlines and SGR styling: every ESC starts a CSI ... m sequence, and no
// other control character (C0, DEL, C1) appears.
func requireSafe(t testing.TB, view string) {
	t.Helper()
	for i := 0; i < len(view); i++ {
		c := view[i]
		if c == 0x1b {
			j := i + 1
			require.True(t, j < len(view) && view[j] == '[', "ESC not followed by [ at %d: %q", i, snippet(view, i))
			j++
			for j < len(view) && (view[j] >= '0' && view[j] <= '9' || view[j] == ';' || view[j] == ':') {
				j++
			}
			require.True(t, j < len(view) && view[j] == 'm', "escape sequence other than SGR at %d: %q", i, snippet(view, i))
			i = j
			continue
		}
		require.False(t, (c < 0x20 && c != '\n') || c == 0x7f, "control byte %#x at %d: %q", c, i, snippet(view, i))
	}
	stripped := ansi.Strip(view)
	for _, r := range stripped {
		require.False(t, r < 0x20 && r != '\n' || r == 0x7f || (r >= 0x80 && r <= 0x9f), "control character %U in %q", r, stripped)
	}
}

func snippet(s string, i int) string {
	return s[max(i-20, 0):min(i+20, len(s))]
}

// clipboardText returns what a tea.SetClipboard command in msgs writes.
func clipboardText(msgs []tea.Msg) (string, bool) {
	for _, msg := range msgs {
		if fmt.Sprintf("%T", msg) == "tea.setClipboardMsg" {
			return reflect.ValueOf(msg).String(), true
		}
	}
	return "", false
}

func flashes(msgs []tea.Msg) []views.FlashMsg {
	var out []views.FlashMsg
	for _, msg := range msgs {
		if f, ok := msg.(views.FlashMsg); ok {
			out = append(out, f)
		}
	}
	return out
}
