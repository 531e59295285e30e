package decode

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

const sampleJSON = `{"id":"lead_1","score":97.5,"big":123456789012345678901234567890,"tags":["a","b"],"nested":{"ok":true,"none":null},"empty":{},"list":[]}`

func TestDecodeLayers(t *testing.T) {
	j := []byte(sampleJSON)
	mp, err := msgpack.Marshal(map[string]any{"id": "lead_1", "n": 7})
	require.NoError(t, err)
	text := []byte("Plain words for a human: no JSON here.\nSecond line.")

	tests := []struct {
		name   string
		value  []byte
		layers []string
		format string
	}{
		{"plain json", j, nil, FormatJSON},
		{"json scalar", []byte(`42`), nil, FormatJSON},
		{"json string", []byte(`"hello"`), nil, FormatJSON},
		{"text", text, nil, FormatText},
		{"empty", nil, nil, FormatText},
		{"coldcopy compressed", compressedValue(t, j), []string{"coldcopy-compressed", "base64", "gzip"}, FormatJSON},
		{"gzip", gzipBytes(t, j), []string{"gzip"}, FormatJSON},
		{"zlib default", zlibBytes(t, j, zlib.DefaultCompression), []string{"zlib"}, FormatJSON},
		{"zlib best speed", zlibBytes(t, j, zlib.BestSpeed), []string{"zlib"}, FormatJSON},
		{"zlib best compression", zlibBytes(t, j, zlib.BestCompression), []string{"zlib"}, FormatJSON},
		{"zlib no compression", zlibBytes(t, j, zlib.NoCompression), []string{"zlib"}, FormatJSON},
		{"zstd", zstdBytes(t, j), []string{"zstd"}, FormatJSON},
		{"lz4", lz4Bytes(t, j), []string{"lz4"}, FormatJSON},
		{"snappy framed", snappyFramedBytes(t, j), []string{"snappy"}, FormatJSON},
		{"snappy block", snappyBlockBytes(j), []string{"snappy"}, FormatJSON},
		{"brotli", brotliBytes(t, j, 11), []string{"brotli"}, FormatJSON},
		{"brotli q5", brotliBytes(t, j, 5), []string{"brotli"}, FormatJSON},
		{"raw deflate", deflateBytes(t, j), []string{"deflate"}, FormatJSON},
		{"brotli text", brotliBytes(t, text, 11), []string{"brotli"}, FormatText},
		{"deflate text", deflateBytes(t, text), []string{"deflate"}, FormatText},
		{"snappy block text", snappyBlockBytes(text), []string{"snappy"}, FormatText},
		{"msgpack", mp, nil, FormatMsgpack},
		{"gzip msgpack", gzipBytes(t, mp), []string{"gzip"}, FormatMsgpack},
		{"base64 gzip", b64(gzipBytes(t, j)), []string{"base64", "gzip"}, FormatJSON},
		{"base64 url unpadded zstd", []byte(base64.RawURLEncoding.EncodeToString(zstdBytes(t, j))), []string{"base64", "zstd"}, FormatJSON},
		{"base64 json", b64(j), []string{"base64"}, FormatJSON},
		{"base64 msgpack", b64(mp), []string{"base64"}, FormatMsgpack},
		{"base64 gzip msgpack", b64(gzipBytes(t, mp)), []string{"base64", "gzip"}, FormatMsgpack},
		{"base64 with newline", append(b64(gzipBytes(t, j)), '\n'), []string{"base64", "gzip"}, FormatJSON},
		{"zstd of gzip", zstdBytes(t, gzipBytes(t, j)), []string{"zstd", "gzip"}, FormatJSON},
		{"brotli of gzip", brotliBytes(t, gzipBytes(t, j), 5), []string{"brotli", "gzip"}, FormatJSON},
		{"gzip of base64 of lz4", gzipBytes(t, b64(lz4Bytes(t, j))), []string{"gzip", "base64", "lz4"}, FormatJSON},
		{"base64 text stays text", []byte("hello"), nil, FormatText},
		{"word that is valid base64", []byte("test"), nil, FormatText},
		{"hex id", []byte("deadbeefcafebabe0123456789abcdef"), nil, FormatText},
		{"base64 of plain text stays text", b64([]byte("just some words")), nil, FormatText},
		{"zlib-looking text", []byte("x^2 + y^2 = z^2"), nil, FormatText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Decode(tt.value, DefaultOptions())
			want := tt.layers
			if want == nil {
				want = []string{}
			}
			assert.Equal(t, want, r.Layers, "warnings: %q", r.Warnings)
			assert.Equal(t, tt.format, r.Format, "text: %.200s", r.Text)
			assert.False(t, r.Damaged)
			assert.False(t, r.Truncated)
			assert.NotNil(t, r.Warnings)
		})
	}
}

func TestDecodeJSONIsPrettyAndExact(t *testing.T) {
	r := Decode(gzipBytes(t, []byte(sampleJSON)), DefaultOptions())
	require.Equal(t, FormatJSON, r.Format)
	assert.Equal(t, indentJSON(t, []byte(sampleJSON)), r.Text)
	assert.Contains(t, r.Text, "123456789012345678901234567890", "big integers stay verbatim")
	assert.True(t, strings.Index(r.Text, `"id"`) < strings.Index(r.Text, `"score"`), "key order kept")
	assert.Empty(t, r.Warnings)
}

func TestDecodeNodeCompressedFixture(t *testing.T) {
	value, err := os.ReadFile(filepath.Join("testdata", "lzstring", "compressed.txt"))
	require.NoError(t, err)
	original, err := os.ReadFile(filepath.Join("testdata", "lzstring", "compressed.json"))
	require.NoError(t, err)
	r := Decode(value, DefaultOptions())
	assert.Equal(t, []string{"coldcopy-compressed", "base64", "gzip"}, r.Layers)
	assert.Equal(t, FormatJSON, r.Format)
	assert.Equal(t, indentJSON(t, original), r.Text)
	assert.Empty(t, r.Warnings)
}

func TestDecodeLZFixtures(t *testing.T) {
	for _, f := range loadLZFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			r := Decode(append([]byte("LZ:"), f.nodeBytes...), DefaultOptions())
			assert.Equal(t, []string{"coldcopy-lz", "lz-string"}, r.Layers)
			if f.AppReadsBack {
				assert.False(t, r.Damaged)
				if json.Valid([]byte(f.original)) {
					assert.Equal(t, FormatJSON, r.Format)
					assert.Equal(t, indentJSON(t, []byte(f.original)), r.Text)
				} else {
					assert.Equal(t, f.original, r.Text)
				}
				return
			}
			// The app could not read it back: neither can we, and we say so.
			assert.True(t, r.Damaged)
			assert.Equal(t, FormatText, r.Format, "a prefix is never claimed to be JSON")
			require.NotEmpty(t, r.Warnings)
			assert.Contains(t, r.Warnings[0], "damaged: the app cannot read this value either")
			assert.Regexp(t, `\d+ lone surrogates? (was|were) replaced by U\+FFFD`, r.Warnings[0])
			assert.True(t, strings.HasPrefix(f.original, r.Text), "recovered %q is not a prefix of the original", r.Text)
			assert.NotEmpty(t, r.Text, "something before the first damaged unit is recoverable")
			assert.Contains(t, strings.Join(r.Warnings, "\n"), "partial recovery")
		})
	}
}

// TestDecodeLZDamageFromGo damages values the way ioredis does, using our
// own compressor, over many records: the recovered text is always an exact
// prefix and damage is always reported.
func TestDecodeLZDamageFromGo(t *testing.T) {
	damagedSeen, cleanSeen := 0, 0
	for seed := range uint64(40) {
		j := leadsJSON(1+int(seed%5), seed)
		units := LZStringCompress(string(j))
		value := append([]byte("LZ:"), NodeUTF8(units)...)
		r := Decode(value, DefaultOptions())
		if r.Damaged {
			damagedSeen++
			assert.Equal(t, FormatText, r.Format)
			assert.True(t, strings.HasPrefix(string(j), r.Text))
			continue
		}
		cleanSeen++
		assert.Equal(t, FormatJSON, r.Format)
		assert.Equal(t, indentJSON(t, j), r.Text)
	}
	assert.Positive(t, damagedSeen, "values over 1 KB are practically always damaged")
	t.Logf("damaged %d, clean %d", damagedSeen, cleanSeen)
}

func TestDecodeLZClean(t *testing.T) {
	// A value built without surrogate damage (the units as JS holds them,
	// encoded as WTF-8-free UTF-8 only when there is no lone surrogate).
	j := []byte(`{"lead_score":2,"workspace":"ws_01","fresh":true}`)
	units := LZStringCompress(string(j))
	_, bad := replacementUnits(UTF16Units(NodeUTF8(units)))
	require.Zero(t, bad)
	r := Decode(append([]byte("LZ:"), NodeUTF8(units)...), DefaultOptions())
	assert.Equal(t, []string{"coldcopy-lz", "lz-string"}, r.Layers)
	assert.Equal(t, FormatJSON, r.Format)
	assert.False(t, r.Damaged)
	assert.Equal(t, indentJSON(t, j), r.Text)
}

func TestDecodeLZNotLZString(t *testing.T) {
	r := Decode([]byte("LZ: a note someone typed"), DefaultOptions())
	assert.False(t, r.Damaged, "no U+FFFD, so no claim of ioredis damage")
	assert.Equal(t, FormatText, r.Format)
	assert.Equal(t, "LZ: a note someone typed", r.Text)
	assert.Empty(t, r.Layers)
	require.NotEmpty(t, r.Warnings)
	assert.Contains(t, r.Warnings[0], "not an lz-string stream")
}

func TestDecodeMsgpack(t *testing.T) {
	// Built by hand to control key order and types.
	var b []byte
	b = append(b, 0x87)            // map of 7
	b = append(b, 0xa1, 'z', 0xcf) // "z": uint64 max
	b = append(b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	b = append(b, 0xa1, 'a', 0xd3) // "a": int64 min
	b = append(b, 0x80, 0, 0, 0, 0, 0, 0, 0)
	b = append(b, 0xa3, 'b', 'i', 'n', 0xc4, 3, 1, 2, 3)         // "bin": bin
	b = append(b, 0xa3, 'e', 'x', 't', 0xd4, 5, 0x2a)            // "ext": fixext1 type 5
	b = append(b, 0x01, 0xa3, 'o', 'n', 'e')                     // 1: "one"  (int key)
	b = append(b, 0xa1, 'f', 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0) // "f": 1.5
	b = append(b, 0xa1, 's', 0xa2, '\x1b', '[')                  // "s": ESC [ (escaped in output)
	r := Decode(b, DefaultOptions())
	require.Equal(t, FormatMsgpack, r.Format, r.Text)
	want := `{
  "z": 18446744073709551615,
  "a": -9223372036854775808,
  "bin": "AQID",
  "ext": {
    "$ext": 5,
    "data": "Kg=="
  },
  "1": "one",
  "f": 1.5,
  "s": "\u001b["
}`
	assert.Equal(t, want, r.Text)
}

func TestDecodeMsgpackRejects(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"trailing bytes", []byte{0x91, 0x01, 0x02}},
		{"short", []byte{0x92, 0x01}},
		{"forged length", []byte{0xdd, 0xff, 0xff, 0xff, 0xff}},
		{"forged str length", []byte{0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}},
		{"too deep", append(bytesRepeat(0x91, maxMsgpackDepth+10), 0xc0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Decode(tt.in, DefaultOptions())
			assert.Equal(t, FormatBinary, r.Format)
		})
	}
}

func bytesRepeat(c byte, n int) []byte { return []byte(strings.Repeat(string([]byte{c}), n)) }

func TestDecodeTextAndBinarySafety(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		format string
	}{
		{"escape sequence is not text", []byte("hi \x1b[2J there"), FormatBinary},
		{"C1 CSI is not text", []byte("hi \u009b2J"), FormatBinary},
		{"NUL", []byte("a\x00b"), FormatBinary},
		{"invalid utf8", []byte("caf\xe9"), FormatBinary},
		{"tabs and newlines are text", []byte("a\tb\r\nc"), FormatText},
		{"unicode text", []byte("Crème brûlée 🚀"), FormatText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Decode(tt.in, DefaultOptions())
			assert.Equal(t, tt.format, r.Format)
			assert.NotContains(t, r.Text, "\x1b")
			assert.NotContains(t, r.Text, "\u009b")
		})
	}
}

func TestDecodeJSONControlCharsEscaped(t *testing.T) {
	r := Decode([]byte("{\"a\":\"x\u009by\x7f\",\"b\":\"\\u001b\"}"), DefaultOptions())
	require.Equal(t, FormatJSON, r.Format)
	assert.Equal(t, "{\n  \"a\": \"x\\u009by\\u007f\",\n  \"b\": \"\\u001b\"\n}", r.Text)
	assert.Len(t, r.Warnings, 1)
}

func TestDecodeHexDumpCap(t *testing.T) {
	bin := make([]byte, 1000)
	for i := range bin {
		bin[i] = byte(i*7) | 0x80
	}
	r := Decode(bin, Options{MaxHexBytes: 256})
	assert.Equal(t, FormatBinary, r.Format)
	assert.True(t, r.Truncated)
	assert.Equal(t, hexDump(bin[:256]), r.Text)
	assert.Contains(t, r.Warnings, "hex dump shows the first 256 bytes of 1000 bytes")
}

func TestDecodeDepthLimit(t *testing.T) {
	j := []byte(sampleJSON)
	v := gzipBytes(t, gzipBytes(t, gzipBytes(t, j)))
	r := Decode(v, Options{MaxDepth: 2})
	assert.Equal(t, []string{"gzip", "gzip"}, r.Layers)
	assert.Equal(t, FormatBinary, r.Format)
	assert.Contains(t, r.Warnings[0], "stopped after 2 layers")

	r = Decode(v, Options{MaxDepth: 3})
	assert.Equal(t, []string{"gzip", "gzip", "gzip"}, r.Layers)
	assert.Equal(t, FormatJSON, r.Format)
}

func TestDecodeOptionsDefaults(t *testing.T) {
	assert.Equal(t, Options{MaxOutput: 16 << 20, MaxDepth: 8, MaxHexBytes: 64 << 10}, DefaultOptions())
	assert.Equal(t, DefaultOptions(), Options{}.withDefaults())
}

func TestResultJSONHasEmptySlices(t *testing.T) {
	out, err := json.Marshal(Decode([]byte("plain"), DefaultOptions()))
	require.NoError(t, err)
	assert.JSONEq(t, `{"layers":[],"format":"text","text":"plain","truncated":false,"damaged":false,"warnings":[]}`, string(out))
}

func TestDecodeBase64Variants(t *testing.T) {
	gz := gzipBytes(t, []byte(sampleJSON))
	for name, enc := range map[string]*base64.Encoding{
		"std":     base64.StdEncoding,
		"std raw": base64.RawStdEncoding,
		"url":     base64.URLEncoding,
		"url raw": base64.RawURLEncoding,
	} {
		t.Run(name, func(t *testing.T) {
			r := Decode([]byte(enc.EncodeToString(gz)), DefaultOptions())
			assert.Equal(t, []string{"base64", "gzip"}, r.Layers)
			assert.Equal(t, FormatJSON, r.Format)
		})
	}
}
