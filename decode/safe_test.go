package decode

import (
	"strings"
	"testing"
)

// hostileStrings are what a key, value, client name or error string can
// hold to take over a terminal.
var hostileStrings = []string{
	"\x1b]52;c;aGVsbG8=\x07",                   // OSC 52: write the clipboard
	"\x1b[2J\x1b[H",                            // clear the screen
	"\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\", // OSC 8 hyperlink
	"\u009b31m",                                // C1 CSI
	"\xc2\x9b",                                 // the same, as raw bytes
	"a\rb",                                     // carriage return
	"\x07\x08\x7f",                             // BEL, BS, DEL
	"\xff\xfe",                                 // not UTF-8
	"\u202eevil",                               // bidi override
}

func TestSafeLineAndTextEscapeEveryControl(t *testing.T) {
	for _, s := range hostileStrings {
		for _, out := range []string{SafeLine(s), SafeText(s), SafeLine("x\n" + s), SafeText("x\n" + s)} {
			if strings.ContainsAny(out, "\x1b\x07\x08\x7f\r\u009b\u202e") || strings.Contains(out, "\xff") {
				t.Errorf("%q came out with a raw control: %q", s, out)
			}
		}
		if strings.Contains(SafeLine("x\n"+s), "\n") {
			t.Errorf("SafeLine kept a line break: %q", SafeLine("x\n"+s))
		}
	}
	if got := SafeLine("\x1b[2J"); got != `\x1b[2J` {
		t.Errorf("SafeLine(ESC[2J) = %q", got)
	}
	if got := SafeText("a\n\tb"); got != "a\n\tb" {
		t.Errorf("SafeText dropped a line break or tab: %q", got)
	}
	if got := SafeLine("a\tb\nc"); got != `a\tb\nc` {
		t.Errorf("SafeLine(tab, newline) = %q", got)
	}
	if got := SafeLine("naïve ключ 日本"); got != "naïve ключ 日本" {
		t.Errorf("printable text changed: %q", got)
	}
}

func FuzzSafeLine(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := SafeLine(s)
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("SafeLine(%q) = %q holds control %U", s, out, r)
			}
		}
	})
}
