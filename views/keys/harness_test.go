package keys

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

// pinned is the clock of every test: tests move it by hand.
var pinned = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// harness runs a pane the way Bubble Tea would: commands run in
// goroutines, their messages come back to Update one at a time on the test
// goroutine. Messages meant for the frame (OpenKeyMsg, FlashMsg) are
// collected in out.
type harness struct {
	t    testing.TB
	m    *Model
	now  time.Time
	msgs chan tea.Msg
	done chan struct{}
	out  []tea.Msg
}

func newCommon(h *harness, c *redisops.Client, color bool) *views.Common {
	km := keymap.Default()
	return &views.Common{
		Styles: styles.New(styles.Options{Dark: true, NoColor: !color}),
		Keys:   &km,
		Client: c,
		Now:    func() time.Time { return h.now },
	}
}

func newHarness(t testing.TB, c *redisops.Client, w, hgt int, opts ...func(*Model)) *harness {
	t.Helper()
	h := &harness{t: t, now: pinned, msgs: make(chan tea.Msg, 1024), done: make(chan struct{})}
	h.m = New(newCommon(h, c, false))
	h.m.SetSize(w, hgt)
	h.m.SetFocused(true)
	for _, o := range opts {
		o(h.m)
	}
	t.Cleanup(func() {
		h.m.Stop()
		close(h.done)
	})
	h.run(h.m.Init())
	return h
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
	case views.OpenKeyMsg, views.FlashMsg:
		h.out = append(h.out, msg)
	default:
		h.run(h.m.Update(msg))
	}
}

// until pumps messages until cond holds, failing after a timeout.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(30 * time.Second)
	for i := 0; !cond(); i++ {
		if i > 5_000_000 {
			h.t.Fatalf("no progress waiting for %s", what)
		}
		select {
		case msg := <-h.msgs:
			h.dispatch(msg)
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s (state %d, loaded %d)", what, h.m.state, h.m.Loaded())
		}
	}
}

// settle waits until the scan has stopped (done, failed or paused) and no
// background work (sort, filter, metadata, debounce) is pending.
func (h *harness) settle() {
	h.t.Helper()
	for {
		h.until("the pane to settle", h.m.settled)
		// Give commands that answer at once (OpenKeyMsg, flashes) a moment.
		select {
		case msg := <-h.msgs:
			h.dispatch(msg)
		case <-time.After(30 * time.Millisecond):
			return
		}
	}
}

// key sends one key press: "down", "enter", "esc", or text like "j", "G".
func (h *harness) key(k string) {
	h.dispatch(keyMsg(k))
}

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.dispatch(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
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

// openKeys is what the pane asked the frame to open, in order.
func (h *harness) openKeys() []views.OpenKeyMsg {
	var out []views.OpenKeyMsg
	for _, m := range h.out {
		if o, ok := m.(views.OpenKeyMsg); ok {
			out = append(out, o)
		}
	}
	return out
}

// settled: nothing streaming, nothing pending.
func (m *Model) settled() bool {
	return m.state != scanRunning && m.sortSeq == 0 && m.metaSeq == 0 && m.filter.seq == 0 &&
		m.selSeq == 0 && m.buildSeq == 0 && !m.dirty
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// requireSafeView checks View's size and that it holds no control bytes
// besides the line breaks and the SGR sequences of the styles.
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
	require.True(t, utf8.ValidString(v), "View is valid UTF-8")
	plain := sgr.ReplaceAllString(v, "")
	for i := 0; i < len(plain); i++ {
		c := plain[i]
		require.False(t, (c < 0x20 && c != '\n') || c == 0x7f, "control byte %#x in View at %d: %q", c, i, plain)
	}
	return v
}

// scanCounts counts keys per top-level namespace with a direct SCAN.
func scanCounts(t testing.TB, c *redisops.Client, opts redisops.ScanOptions) (map[string]int, []string) {
	t.Helper()
	counts := map[string]int{}
	var all []string
	_, err := c.Scan(context.Background(), opts, func(b []redisops.ScannedKey) error {
		for _, k := range b {
			all = append(all, k.Key)
			if i := strings.Index(k.Key, ":"); i >= 0 {
				counts[k.Key[:i+1]]++
			} else {
				counts[""]++
			}
		}
		return nil
	})
	require.NoError(t, err)
	return counts, all
}
