package inspector

import (
	"strings"
	"testing"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/ui/styles"
)

func TestSanitize(t *testing.T) {
	for _, tc := range []struct {
		in, pretty, raw string
	}{
		{"plain text", "plain text", "plain text"},
		{"a\tb", "a   b", `a\tb`},
		{"line\r\nnext", "line\nnext", "line\\r\nnext"},
		{"bell\a esc\x1b[2J del\x7f nul\x00", `bell\x07 esc\x1b[2J del\x7f nul\x00`, `bell\x07 esc\x1b[2J del\x7f nul\x00`},
		{"c1 \u009b csi", `c1 \u009b csi`, `c1 \u009b csi`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`, `bad \xff\xfe utf8`},
		{"bidi \u202eevil\u2066", `bidi \u202eevil\u2066`, `bidi \u202eevil\u2066`},
		{"ok: é 東京 😀 \u00a0", "ok: é 東京 😀 \u00a0", "ok: é 東京 😀 \u00a0"},
		{"12345678901234567890\x1b", `12345678901234567890\x1b`, `12345678901234567890\x1b`},
	} {
		p, _ := sanitize(tc.in, false)
		assert.Equal(t, tc.pretty, p, "pretty %q", tc.in)
		r, esc := sanitize(tc.in, true)
		assert.Equal(t, tc.raw, r, "raw %q", tc.in)
		for i := 0; i < len(esc); i += 2 {
			assert.Equal(t, byte('\\'), r[esc[i]], "escape spans start at a backslash")
		}
	}
	// Clean text is not copied.
	s := strings.Repeat("clean text, no escapes\n", 100)
	out, esc := sanitize(s, true)
	assert.Nil(t, esc)
	assert.Equal(t, s, out)
	for i := range 256 {
		b := string([]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', byte(i), 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o'})
		want := -1
		if i < 0x20 && i != '\n' || i == 0x7f || i >= 0x80 {
			want = 7
		}
		assert.Equal(t, want, firstUnsafe(b), "byte %#x", i)
	}
}

func TestHexDoc(t *testing.T) {
	d := hexDoc([]byte("COMPRESSED:H4sIAAAA\x00\x1b\xff"), 16)
	assert.Equal(t, "00000000  43 4f 4d 50 52 45 53 53  45 44 3a 48 34 73 49 41  |COMPRESSED:H4sIA|\n"+
		"00000010  41 41 41 00 1b ff                                 |AAA...|", d.text)
	for _, bpl := range []int{4, 8, 16} {
		d := hexDoc(make([]byte, 100), bpl)
		for i := range d.lines {
			line := d.text[d.lines[i] : d.lines[i]+int32(10+3*bpl)]
			assert.True(t, strings.HasPrefix(line, "0000"), line)
		}
		assert.Len(t, d.lines, (100+bpl-1)/bpl)
	}
	assert.Equal(t, 78, cellWidth(strings.Split(hexDoc(make([]byte, 16), 16).text, "\n")[0]))
	assert.Equal(t, 45, cellWidth(strings.Split(hexDoc(make([]byte, 8), 8).text, "\n")[0]))
	assert.Equal(t, 29, cellWidth(strings.Split(hexDoc(make([]byte, 4), 4).text, "\n")[0]))
	assert.Equal(t, "(0 bytes)", hexDoc(nil, 16).text)
}

func TestLex(t *testing.T) {
	line := `  "key": "va\"l:ue", "n": -1.5e3, "t": true, "f": false, "z": null, "a": [1]`
	cls := make([]uint8, len(line))
	lex(line, 0, len(line), 0, cls, 0)
	want := map[string]uint8{`"key"`: clsKey, `"va\"l:ue"`: clsString, `-1.5e3`: clsNumber, `true`: clsBool, `false`: clsBool, `null`: clsNull, `[`: clsPunct, `"n"`: clsKey}
	for tok, c := range want {
		i := strings.Index(line, tok)
		for j := i; j < i+len(tok); j++ {
			require.Equal(t, c, cls[j], "%s at %d", tok, j)
		}
	}
	// A row that starts inside a string continues it, escapes included.
	cut := strings.Index(line, `\`) + 1
	st := lex(line, 0, cut, 0, nil, 0)
	assert.Equal(t, lexString|lexEscaped, st)
	cls2 := make([]uint8, len(line)-cut)
	lex(line, cut, len(line), st, cls2, 0)
	assert.Equal(t, clsString, cls2[0], "the escaped quote")
	assert.Equal(t, clsString, cls2[strings.Index(line[cut+1:], `"`)+1], "the closing quote")
	assert.Equal(t, clsPunct, cls2[strings.Index(line[cut+1:], `"`)+2])
	assert.Equal(t, clsKey, cls2[strings.Index(line[cut:], `"n"`)])
}

// TestRowsAreExactWidth draws every row of awkward documents at many
// widths, wrapped and cut, and checks each is exactly the width.
func TestRowsAreExactWidth(t *testing.T) {
	texts := []string{
		"ascii only, a rather long line that must wrap somewhere sensible at any width",
		"東京都東京都東京都東京都東京都東京都東京都東京都東京都東京都",
		"emoji 😀🚀🔥👨‍👩‍👧 flags 🇺🇸🇬🇧🇫🇷 and more 😀😀😀😀😀😀😀",
		"combining e\u0301e\u0301e\u0301 a\u0308 n\u0303 x\u0323\u0307 done",
		"a\tb\tc\r\n\x1b[31mred\x1b[0m \xff \u009b",
		`{"k": "東京", "e": "😀", "n": 1}`,
		"",
		"\n\n\n",
	}
	st := styles.New(styles.Options{Dark: true})
	p := newPainter(st)
	for _, text := range texts {
		for _, kind := range []docKind{kindText, kindJSON} {
			d := prettyDoc(text, kind == kindJSON)
			raw := rawDoc([]byte(text))
			for _, dd := range []*doc{d, raw, hexDoc([]byte(text), 8)} {
				for w := 1; w <= 40; w++ {
					for _, wrap := range []bool{true, false} {
						l := newLayout(dd, w, wrap)
						for _, xoff := range []int{0, 3} {
							rc := &rowCtx{lay: l, width: w, xoff: xoff, matches: dd.search("e"), qlen: 1, cur: 0}
							for r := range l.rows {
								var b strings.Builder
								p.row(&b, rc, r)
								require.Equal(t, w, lipgloss.Width(b.String()), "text %q w %d wrap %v row %d: %q", text, w, wrap, r, ansi.Strip(b.String()))
								requireSafe(t, b.String())
							}
						}
						if wrap && w >= 2 {
							// Wrapped rows hold the whole text, in order.
							var all strings.Builder
							for r := range l.rows {
								all.WriteString(dd.text[l.rows[r]:l.rowEnd(r)])
								if l.rowEnd(r) < len(dd.text) && dd.text[l.rowEnd(r)] == '\n' {
									all.WriteByte('\n')
								}
							}
							require.Equal(t, dd.text, all.String())
						}
					}
				}
			}
		}
	}
}

func FuzzRows(f *testing.F) {
	f.Add("hello\tworld\n東京 😀\x1b[2J", 7, true)
	f.Add(`{"a": "b\"c", "d": [1, 2, null]}`, 5, false)
	st := styles.New(styles.Options{Dark: true, NoColor: true})
	p := newPainter(st)
	f.Fuzz(func(t *testing.T, text string, w int, wrap bool) {
		if w < 1 || w > 200 || len(text) > 4096 {
			return
		}
		res := decode.Decode([]byte(text), decode.DefaultOptions())
		for _, d := range []*doc{prettyDoc(text, true), prettyDoc(res.Text, isJSONFormat(res.Format)), rawDoc([]byte(text))} {
			l := newLayout(d, w, wrap)
			rc := &rowCtx{lay: l, width: w, xoff: w / 2}
			// A decoded value can be 16 MiB (a trial codec's luck): draw
			// the first rows only.
			for r := range min(len(l.rows), 500) {
				var b strings.Builder
				p.row(&b, rc, r)
				if got := lipgloss.Width(b.String()); got != w {
					t.Fatalf("row %d of %q at %d: width %d: %q", r, d.text, w, got, b.String())
				}
				if !utf8.ValidString(b.String()) {
					t.Fatalf("invalid UTF-8 row %q", b.String())
				}
				requireSafe(t, b.String())
			}
		}
	})
}

func TestSearchDoc(t *testing.T) {
	d := newDoc("Lead lead LEAD leadlead", kindText, nil)
	assert.Equal(t, []int32{0, 5, 10, 15, 19}, d.search("lead"))
	assert.Equal(t, []int32{0}, d.search("Lead"))
	assert.Equal(t, []int32{10}, d.search("LEAD"))
	assert.Empty(t, d.search("x"))
	assert.Empty(t, d.search(""))
	assert.Equal(t, []int32{0, 2, 4}, newDoc("ééé", kindText, nil).search("é"), "byte offsets")
	assert.Equal(t, []int32{0, 2}, newDoc("aaaa", kindText, nil).search("aa"), "non-overlapping")
}

func TestFormats(t *testing.T) {

	assert.Equal(t, `{"a": 1, "b": [2, 3], "c": {}, "s": "x  { y"}`,
		compactJSON("{\n  \"a\": 1,\n  \"b\": [\n    2,\n    3\n  ],\n  \"c\": {},\n  \"s\": \"x  { y\"\n}"))
	assert.Equal(t, "7 fields", lengthText("hash", 7))
	assert.Equal(t, "1 entry", lengthText("stream", 1))
	assert.Equal(t, "2 entries", lengthText("stream", 2))
}
