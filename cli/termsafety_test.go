package cli_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

// hostilePayloads can take over a terminal if they reach it raw.
var hostilePayloads = []string{
	"\x1b]52;c;aGVsbG8=\x07", // OSC 52: write the clipboard
	"\x1b[2J\x1b[H",          // clear the screen
	"\x1b]8;;http://evil.example\x1b\\x\x1b]8;;\x1b\\", // OSC 8 hyperlink
	"\u009b31m",  // C1 CSI
	"\x07\x08\r", // BEL, BS, CR
}

// assertTerminalSafe fails if out holds anything a terminal acts on,
// other than line breaks (and tabs).
func assertTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			t.Errorf("%s: raw control %U at byte %d: %q", what, r, i, out[max(0, i-20):min(len(out), i+20)])
			return
		}
	}
	if !utf8.ValidString(out) {
		t.Errorf("%s: invalid UTF-8 reaches the terminal", what)
	}
}

// TestHeadlessOutputNeverCarriesEscapes seeds keys, values and slow log
// arguments holding escape sequences and checks every headless text
// output, and a server error string carrying one.
func TestHeadlessOutputNeverCarriesEscapes(t *testing.T) {
	cleanEnv(t)
	srv := redistest.Standalone(t, "slowlog-log-slower-than 0")
	rdb := client(t, srv.URL())
	ctx := context.Background()
	var keys []string
	for i, p := range hostilePayloads {
		k := "evil:" + p + string(rune('a'+i))
		keys = append(keys, k)
		require.NoError(t, rdb.Set(ctx, k, "value "+p, 0).Err())
		require.NoError(t, rdb.HSet(ctx, "evilhash:"+p, "field"+p, "v"+p).Err())
	}
	require.NoError(t, rdb.Do(ctx, "CLIENT", "SETNAME", "evil-name").Err())

	runs := [][]string{
		{"scan"},
		{"scan", "--json"},
		{"scan", "--match", "evil*"},
		{"slowlog"},
		{"slowlog", "--json"},
		{"stats", "--once"},
		{"memory"},
		{"invalidate", "evil*", "--dry-run"},
	}
	for _, k := range keys {
		runs = append(runs, []string{"inspect", k}, []string{"inspect", "--json", k})
	}
	for _, args := range runs {
		code, out, stderr := run(t, append(args, "--url", srv.URL())...)
		what := strings.Join(args, " ")
		assert.Contains(t, []int{0, 1}, code, "%s: %s", what, stderr)
		assertTerminalSafe(t, what+" stdout", out)
		assertTerminalSafe(t, what+" stderr", stderr)
	}

	// A server whose error string carries escape sequences.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(line, "$") || strings.HasPrefix(line, "*") {
						continue // the RESP framing of the command
					}
					_, _ = c.Write([]byte("-ERR " + strings.Join(hostilePayloads, " ") + "\r\n"))
				}
			}()
		}
	}()
	code, out, stderr := run(t, "scan", "--url", "redis://"+ln.Addr().String())
	assert.NotEqual(t, 0, code)
	assertTerminalSafe(t, "server error stdout", out)
	assertTerminalSafe(t, "server error stderr", stderr)
	assert.Contains(t, stderr, `\x1b]52`, "shown escaped, not dropped")
}
