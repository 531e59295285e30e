package decode

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zlib"
)

// Fuzz targets, one per decoder and format step. Seed corpora live in
// testdata/fuzz/<FuzzName>/. Run one with
//
//	go test -run '^$' -fuzz '^FuzzGzip$' -fuzztime 30s ./decode/
//
// (make fuzz runs them all). Limits are small so each input is cheap.

const fuzzLimit = 1 << 20

var fuzzOpts = Options{MaxOutput: fuzzLimit, MaxDepth: 8, MaxHexBytes: 4 << 10}

// checkResult holds the invariants every Decode result must meet, whatever
// the input.
func checkResult(t *testing.T, r Result, opts Options) {
	t.Helper()
	switch r.Format {
	case FormatJSON, FormatMsgpack, FormatText, FormatBinary:
	default:
		t.Fatalf("format %q", r.Format)
	}
	if r.Layers == nil || r.Warnings == nil {
		t.Fatal("nil slices in Result")
	}
	if len(r.Layers) > opts.MaxDepth {
		t.Fatalf("%d layers with MaxDepth %d", len(r.Layers), opts.MaxDepth)
	}
	if r.Format != FormatBinary && len(r.Text) > opts.MaxOutput {
		t.Fatalf("text of %d bytes over the cap %d", len(r.Text), opts.MaxOutput)
	}
	if r.Format == FormatBinary && len(r.Text) > 5*opts.MaxHexBytes+100 {
		t.Fatalf("hex dump of %d bytes over the cap", len(r.Text))
	}
	if (r.Format == FormatJSON || r.Format == FormatMsgpack) && !r.Truncated && !json.Valid([]byte(r.Text)) {
		t.Fatalf("%s result is not valid JSON: %q", r.Format, r.Text)
	}
	if r.Damaged && r.Format != FormatText {
		t.Fatal("a damaged value's recovery must be text")
	}
	// Text goes straight to a terminal: no control characters but tab and
	// line breaks, no DEL, no C1, valid UTF-8.
	if !utf8.ValidString(r.Text) {
		t.Fatalf("Text is not valid UTF-8: %q", r.Text)
	}
	for _, c := range r.Text {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7f && c <= 0x9f) {
			t.Fatalf("control character %U in Text %q", c, r.Text)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(sampleJSON))
	f.Add([]byte("COMPRESSED:H4sIAAAAAAAA/6tWSkxJUbJSMjQyVqoFAFJJmY8PAAAA"))
	f.Add([]byte("LZ:\xe1\x82\xa1\xef\xbf\xbd"))
	f.Add([]byte{0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0xc4, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkResult(t, Decode(data, fuzzOpts), fuzzOpts)
		r := DecodeTruncated(data, fuzzOpts)
		checkResult(t, r, fuzzOpts)
		if !r.Truncated {
			t.Fatal("DecodeTruncated must mark Truncated")
		}
	})
}

// unitsFromBytes reads little-endian 16-bit code units.
func unitsFromBytes(b []byte) []uint16 {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return units
}

func FuzzLZStringDecompress(f *testing.F) {
	f.Add([]byte{0x85, 0x04, 0x60, 0x56, 0x80, 0x00}, "hello")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, raw []byte, s string) {
		units := unitsFromBytes(raw)
		out, err := LZStringDecompress(units, 1<<16)
		if len(out) > 1<<16 {
			t.Fatalf("output %d over the cap", len(out))
		}
		if err != nil && !errors.Is(err, ErrLZStringCorrupt) && !errors.Is(err, ErrLZStringOutputLimit) {
			t.Fatalf("unexpected error %v", err)
		}
		prefix, _ := lzStringDecompressPrefix(units, 1<<16)
		if len(prefix) > 1<<16 {
			t.Fatal("prefix over the cap")
		}
		// Round trip any string through our compressor.
		back, err := LZStringDecompress(LZStringCompress(s), 0)
		if err != nil || back != string([]rune(s)) {
			t.Fatalf("round trip of %q gave %q, %v", s, back, err)
		}
		// The prefix decoder on a prefix of a valid stream yields a prefix.
		comp := LZStringCompress(s)
		cut := len(raw) % (len(comp) + 1)
		p, _ := lzStringDecompressPrefix(comp[:cut], 0)
		if n := len(p); n > 0 && p[n-1] >= 0xD800 && p[n-1] < 0xDC00 {
			p = p[:n-1]
		}
		if got := unitsToString(p); !bytes.HasPrefix([]byte(string([]rune(s))), []byte(got)) {
			t.Fatalf("prefix %q of %q", got, s)
		}
	})
}

// fuzzCodec runs one decompressor on arbitrary bytes and on a round trip.
func fuzzCodec(t *testing.T, decompress func([]byte, int, *byteFeed) layerOutput, compressed, original, roundTrip []byte) {
	out := decompress(compressed, fuzzLimit, nil)
	if len(out.data) > fuzzLimit {
		t.Fatalf("%d bytes over the cap", len(out.data))
	}
	if out.consumedAll && (out.err != nil || out.capped) {
		t.Fatal("consumedAll with an error or a cap")
	}
	checkResult(t, Decode(compressed, fuzzOpts), fuzzOpts)
	if roundTrip != nil {
		back := decompress(roundTrip, fuzzLimit, nil)
		if back.err != nil || !bytes.Equal(back.data, original) {
			t.Fatalf("round trip failed: %v", back.err)
		}
	}
}

func FuzzGzip(f *testing.F) {
	f.Add(gzipBytes(f, []byte(sampleJSON)), []byte("x"))
	f.Fuzz(func(t *testing.T, compressed, original []byte) {
		fuzzCodec(t, gunzip, compressed, original, gzipLevel(t, original, gzip.BestSpeed))
	})
}

func FuzzZlib(f *testing.F) {
	f.Add(zlibBytes(f, []byte(sampleJSON), zlib.DefaultCompression), []byte("x"))
	f.Fuzz(func(t *testing.T, compressed, original []byte) {
		fuzzCodec(t, unzlib, compressed, original, zlibBytes(t, original, zlib.BestSpeed))
	})
}

func FuzzDeflate(f *testing.F) {
	f.Add(deflateBytes(f, []byte(sampleJSON)), []byte("x"))
	f.Fuzz(func(t *testing.T, compressed, original []byte) {
		fuzzCodec(t, inflate, compressed, original, deflateBytes(t, original))
	})
}

func FuzzZstd(f *testing.F) {
	f.Add(zstdBytes(f, []byte(sampleJSON)), []byte("x"))
	f.Fuzz(func(t *testing.T, compressed, original []byte) {
		fuzzCodec(t, unzstd, compressed, original, zstdBytes(t, original))
	})
}

func FuzzLZ4(f *testing.F) {
	f.Add(lz4Bytes(f, []byte(sampleJSON)), []byte("x"))
	f.Fuzz(func(t *testing.T, compressed, original []byte) {
		fuzzCodec(t, unlz4, compressed, original, lz4Bytes(t, original))
	})
}

func FuzzSnappy(f *testing.F) {
	f.Add(snappyFramedBytes(f, []byte(sampleJSON)), []byte("x"))
	f.Add(snappyBlockBytes([]byte(sampleJSON)), []byte("y"))
	f.Fuzz(func(t *testing.T, compressed, original []byte) {
		fuzzCodec(t, unsnappyFramed, compressed, original, snappyFramedBytes(t, original))
		fuzzCodec(t, unsnappyBlock, compressed, original, snappy.Encode(nil, original))
	})
}

func FuzzBrotli(f *testing.F) {
	f.Add(brotliBytes(f, []byte(sampleJSON), 5), []byte("x"))
	f.Fuzz(func(t *testing.T, compressed, original []byte) {
		fuzzCodec(t, unbrotli, compressed, original, brotliBytes(t, original, brotli.BestSpeed))
	})
}

func FuzzBase64(f *testing.F) {
	f.Add([]byte("H4sIAAAAAAAA/6tWSkxJUbJSMjQyVqoFAFJJmY8PAAAA"), false)
	f.Add([]byte("eyJhIjoxfQ"), true)
	f.Fuzz(func(t *testing.T, data []byte, cut bool) {
		if b, ok := parseBase64(data, cut); ok {
			out, capped, _ := b.decode(64)
			if len(out) > 64 || (capped && len(out) < 48) {
				t.Fatalf("decoded %d bytes, capped %v", len(out), capped)
			}
		}
		checkResult(t, Decode(data, fuzzOpts), fuzzOpts)
		// Any bytes, encoded, parse back.
		enc := b64(data)
		b, ok := parseBase64(enc, false)
		if len(enc) >= 4 && !ok {
			t.Fatalf("%q not recognised as base64", enc)
		}
		if ok {
			out, _, err := b.decode(fuzzLimit)
			if err != nil || !bytes.Equal(out, data) {
				t.Fatalf("base64 round trip: %v", err)
			}
		}
	})
}

func FuzzMsgpackToJSON(f *testing.F) {
	f.Add([]byte{0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x92, 0xc3, 0xc0})
	f.Add([]byte{0x81, 0x01, 0xd4, 0x05, 0x2a})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := msgpackToJSON(data, fuzzLimit)
		if err == nil && !out.capped && !json.Valid(out.json) {
			t.Fatalf("invalid JSON %q from %x", out.json, data)
		}
		if err == nil && !out.capped {
			if _, err := formatJSON(out.json, fuzzLimit); err != nil {
				t.Fatalf("formatJSON rejects msgpack output %q: %v", out.json, err)
			}
		}
		if pretty, err := formatMsgpack(data, 64); err == nil && len(pretty.text) > 64 {
			t.Fatal("pretty msgpack over the cap")
		}
	})
}

// FuzzPrettyJSON checks the fast pretty-printer against encoding/json: the
// same verdict as json.Valid, the same output as json.Indent (after the
// terminal-safety rewrite), the same result when streamed in chunks.
func FuzzPrettyJSON(f *testing.F) {
	f.Add([]byte(sampleJSON), uint8(3))
	f.Add([]byte("[\"\xc2\x9b\x7f\xff\"]"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		got, err := formatJSON(data, fuzzLimit)
		want, valid := jsonIndentReference(data)
		if valid != (err == nil) {
			t.Fatalf("json.Valid %v, formatJSON error %v", valid, err)
		}
		if valid && !got.capped && string(got.text) != want {
			t.Fatalf("output differs:\n got %q\nwant %q", got.text, want)
		}
		streamed, serr := formatStreaming(data, int(chunk)+1, fuzzLimit)
		if (serr == nil) != (err == nil) || string(streamed.text) != string(got.text) {
			t.Fatalf("streamed differs: %v vs %v", serr, err)
		}
	})
}

func FuzzQuoteKey(f *testing.F) {
	f.Add("user:42")
	f.Add("\x1b[2J\xff \"q\"")
	f.Fuzz(func(t *testing.T, key string) {
		q := QuoteKey(key)
		for i := 0; i < len(q); i++ {
			if q[i] < 0x20 || q[i] >= 0x7f {
				t.Fatalf("byte %#x in %q", q[i], q)
			}
		}
		// The escapes are Go's too, so the quoting reverses exactly.
		if back, err := strconv.Unquote(q); err != nil || back != key {
			t.Fatalf("unquote %q: %q, %v", q, back, err)
		}
	})
}
