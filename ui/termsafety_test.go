package ui_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui"
	"github.com/coldcopy/cachedeck/ui/styles"
)

// hostile are escape sequences a key, a value or a slow log argument can
// carry to take over the operator's terminal.
var hostile = []string{
	"\x1b]52;c;aGVsbG8=\x07",            // OSC 52: write the clipboard
	"\x1b[2J",                           // clear the screen
	"\x1b]8;;http://evil.example\x1b\\", // OSC 8 hyperlink
	"\u009b31m",                         // C1 CSI
}

// rawScreen (ascii_test.go) is the rendered frame, styling included.

// assertNoHostile fails if a seeded sequence reaches the frame raw. The
// frame's own styling is ESC [ … m: the seeded sequences all follow the
// word EVIL, so they are told apart from it.
func assertNoHostile(t *testing.T, where, frame string) {
	t.Helper()
	for _, h := range hostile {
		if strings.Contains(frame, "EVIL"+h[:2]) || strings.Contains(frame, "EVIL"+h) {
			t.Errorf("%s: %q reaches the terminal raw", where, h)
		}
	}
	for _, seq := range []string{"\x1b]52", "\x1b]8;;http://evil", "\u009b", "\x07"} {
		if i := strings.Index(frame, seq); i >= 0 {
			t.Errorf("%s: %q reaches the terminal raw: %q", where, seq, frame[max(0, i-40):min(len(frame), i+40)])
		}
	}
}

func TestConsoleNeverPrintsSeededEscapes(t *testing.T) {
	srv := redistest.Standalone(t, "slowlog-log-slower-than 0")
	ctx := context.Background()
	c, err := redisops.Connect(ctx, redisops.ConnOptions{URL: srv.URL(), DB: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	rdb := c.Redis()
	for i, h := range hostile {
		k := "evil:EVIL" + h + string(rune('a'+i))
		require.NoError(t, rdb.Set(ctx, k, `{"v":"EVIL`+h+`"}`, 0).Err())
		require.NoError(t, rdb.HSet(ctx, "evilhash:"+string(rune('a'+i)), "EVIL"+h, "EVIL"+h).Err())
	}
	// A server error string carrying one, in the slow log and the flash.
	_ = rdb.Eval(ctx, "return redis.error_reply('EVIL"+hostile[0]+"')", nil).Err()

	m := ui.NewConsole(ui.Options{Client: c, ProfileName: "test", Styles: styles.Options{Dark: true}})
	tm := teatest.NewTestModel(t, m,
		teatest.WithInitialTermSize(140, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.TrueColor), tea.WithFilter(rawFilter)))
	waitScreen(t, tm, "scan complete", func(s string) bool { return strings.Contains(s, "8 keys") })
	assertNoHostile(t, "keys tree", rawScreen(tm))

	// Flat list, every key; open each and look at the inspector.
	tm.Send(key("t"))
	time.Sleep(200 * time.Millisecond)
	assertNoHostile(t, "keys flat", rawScreen(tm))
	for range 8 {
		tm.Send(key("enter"))
		time.Sleep(150 * time.Millisecond)
		assertNoHostile(t, "inspector", rawScreen(tm))
		tm.Send(key("tab"))
		tm.Send(key("j"))
	}
	// Every tab: slow log arguments, clients, stats, memory, audit.
	for _, n := range []string{"2", "3", "4", "5", "6", "7"} {
		tm.Send(key(n))
		time.Sleep(400 * time.Millisecond)
		assertNoHostile(t, "tab "+n, rawScreen(tm))
	}
	tm.Send(key("1"))
	tm.Send(key("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	final, err := readAll(tm)
	require.NoError(t, err)
	// Bubble Tea's own OSC sequences end in BEL: the background colour
	// query and the window title (printable text only).
	final = strings.ReplaceAll(final, "\x1b]11;?\a", "")
	final = regexp.MustCompile(`\x1b\]2;[\x20-\x7e]*\a`).ReplaceAllString(final, "")
	assertNoHostile(t, "bytes written to the terminal", final)
}

func readAll(tm *teatest.TestModel) (string, error) {
	var b strings.Builder
	buf := make([]byte, 32<<10)
	out := tm.FinalOutput(nil)
	for {
		n, err := out.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String(), nil
		}
	}
}
