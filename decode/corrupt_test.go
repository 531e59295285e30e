package decode

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Broken values: every failure names its layer and how far it got, shows
// what was recovered, and never panics.

func TestCorruptInputs(t *testing.T) {
	j := leadsJSON(20, 3) // big enough that a cut leaves a real prefix
	gz := gzipBytes(t, j)
	badCRC := append([]byte{}, gz...)
	badCRC[len(badCRC)-8] ^= 0xff // CRC32 in the gzip trailer
	badSize := append([]byte{}, gz...)
	badSize[len(badSize)-1] ^= 0xff // ISIZE in the gzip trailer
	flipped := append([]byte{}, gz...)
	flipped[len(flipped)/2] ^= 0x55 // inside the deflate data
	// Block formats only give back whole blocks: cut a multi-block value
	// after its first blocks.
	big := leadsJSON(400, 6)
	cutZstd := zstdBytes(t, big)
	cutLZ4 := lz4SmallBlocks(t, big)
	cutSnappy := snappyFramedBytes(t, big)

	tests := []struct {
		name     string
		value    []byte
		layers   []string
		warning  string // regexp one warning must match
		format   string
		complete bool // the whole original is there
	}{
		{"gzip cut in half", gz[:len(gz)/2], []string{"gzip"}, `^gzip: unexpected EOF after \d+ bytes$`, FormatText, false},
		{"gzip without trailer", gz[:len(gz)-8], []string{"gzip"}, `^gzip: unexpected EOF after \d+ bytes$`, FormatJSON, true},
		{"gzip bad checksum", badCRC, []string{"gzip"}, `^gzip: invalid checksum after \d+ bytes$`, FormatJSON, true},
		{"gzip bad size", badSize, []string{"gzip"}, `^gzip: .* after \d+ bytes$`, FormatJSON, true},
		{"gzip flipped byte", flipped, []string{"gzip"}, `^gzip: .* after \d+ bytes$`, "", false},
		{"gzip header only", gz[:10], nil, `^gzip: unexpected EOF after 0 bytes$`, FormatBinary, false},
		{"gzip magic only", []byte{0x1f, 0x8b}, nil, `^gzip: .* after 0 bytes$`, FormatBinary, false},
		{"zstd cut", cutZstd[:len(cutZstd)*3/4], []string{"zstd"}, `^zstd: .* after \d+ bytes$`, FormatText, false},
		{"zstd cut in first block", zstdBytes(t, j)[:200], nil, `^zstd: .* after 0 bytes$`, FormatBinary, false},
		{"lz4 cut", cutLZ4[:len(cutLZ4)*3/4], []string{"lz4"}, `^lz4: .* after \d+ bytes$`, FormatText, false},
		{"snappy framed cut", cutSnappy[:len(cutSnappy)*3/4], []string{"snappy"}, `^snappy: .* after \d+ bytes$`, FormatText, false},
		{"zlib cut", zlibBytes(t, j, 6)[:300], []string{"zlib"}, `^zlib: .* after \d+ bytes$`, FormatText, false},
		{"zlib bad checksum", zlibBadChecksum(t, j), []string{"zlib"}, `^zlib: invalid checksum after \d+ bytes$`, FormatJSON, true},
		{"compressed framing with cut gzip", append([]byte("COMPRESSED:"), b64(gz[:len(gz)/2])...),
			[]string{"coldcopy-compressed", "base64", "gzip"}, `^gzip: unexpected EOF after \d+ bytes$`, FormatText, false},
		{"compressed framing not base64", []byte("COMPRESSED:not base64 at all!"),
			[]string{"coldcopy-compressed"}, `not base64`, FormatText, false},
		{"base64 of cut gzip", b64(gz[:len(gz)/2]), []string{"base64", "gzip"}, `^gzip: unexpected EOF after \d+ bytes$`, FormatText, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Decode(tt.value, DefaultOptions())
			want := tt.layers
			if want == nil {
				want = []string{}
			}
			assert.Equal(t, want, r.Layers)
			if tt.format != "" {
				assert.Equal(t, tt.format, r.Format, "text %.100q", r.Text)
			}
			re := regexp.MustCompile(tt.warning)
			found := false
			for _, w := range r.Warnings {
				found = found || re.MatchString(w)
			}
			assert.True(t, found, "no warning matches %s in %q", tt.warning, r.Warnings)
			assert.False(t, r.Damaged)
			switch {
			case tt.name == "gzip flipped byte":
				// Deflate may emit wrong bytes before it notices: only the
				// warning is promised.
			case tt.complete:
				assert.Equal(t, indentJSON(t, j), r.Text)
			case r.Format == FormatText && len(r.Layers) > 0 && r.Layers[len(r.Layers)-1] != "coldcopy-compressed":
				assert.True(t, strings.HasPrefix(string(j), r.Text) || strings.HasPrefix(string(big), r.Text),
					"recovered text is a prefix of the original")
				assert.NotEmpty(t, r.Text)
			}
		})
	}
}

func zlibBadChecksum(t *testing.T, p []byte) []byte {
	z := zlibBytes(t, p, 6)
	z[len(z)-1] ^= 0xff // Adler-32 trailer
	return z
}

func lz4SmallBlocks(t *testing.T, p []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := lz4.NewWriter(&buf)
	require.NoError(t, w.Apply(lz4.BlockSizeOption(lz4.Block64Kb)))
	_, err := w.Write(p)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestCorruptWarningWording(t *testing.T) {
	gz := gzipBytes(t, []byte(sampleJSON))
	r := Decode(gz[:len(gz)-4], DefaultOptions())
	require.NotEmpty(t, r.Warnings)
	assert.Regexp(t, `^gzip: unexpected EOF after \d+ bytes$`, r.Warnings[0])
	assert.NotContains(t, r.Warnings[0], "gzip: gzip:")
}

func TestDecodeTruncated(t *testing.T) {
	j := leadsJSON(20, 4)
	compressed := compressedValue(t, j)
	survivor := []byte(`{"lead_score":2,"workspace":"ws_01","fresh":true}`)
	lzClean := append([]byte("LZ:"), NodeUTF8(LZStringCompress(string(survivor)))...)
	lzDamaged := append([]byte("LZ:"), NodeUTF8(LZStringCompress(string(j)))...)

	tests := []struct {
		name    string
		value   []byte
		format  string
		damaged bool
		prefix  string // Text must be a prefix of this
	}{
		{"compressed cut", compressed[:len(compressed)/2], FormatText, false, string(j)},
		{"compressed cut mid quantum", compressed[:len(compressed)/2+1], FormatText, false, string(j)},
		{"plain json cut", j[:len(j)/3], FormatText, false, string(j)},
		{"gzip cut", gzipBytes(t, j)[:500], FormatText, false, string(j)},
		{"lz clean cut", lzClean[:len(lzClean)-4], FormatText, false, string(survivor)},
		{"lz damaged cut", lzDamaged[:len(lzDamaged)/2], FormatText, true, string(j)},
		{"text cut mid rune", []byte("héllo wörld")[:2], FormatText, false, "h"},
		{"complete small value", []byte(`{"a":1}`), FormatJSON, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DecodeTruncated(tt.value, DefaultOptions())
			assert.True(t, r.Truncated)
			assert.Equal(t, tt.format, r.Format, "warnings %q text %.80q", r.Warnings, r.Text)
			assert.Equal(t, tt.damaged, r.Damaged)
			require.NotEmpty(t, r.Warnings)
			assert.Contains(t, r.Warnings[0], "cut short")
			if tt.prefix != "" {
				assert.True(t, strings.HasPrefix(tt.prefix, r.Text), "%q is not a prefix", r.Text)
			}
			for _, w := range r.Warnings {
				if strings.Contains(w, "unexpected EOF") {
					assert.Contains(t, w, "cut short", "a cut value's EOF is explained, not called corrupt")
				}
			}
		})
	}
}

func TestDecodeNeverPanicsOnPrefixes(t *testing.T) {
	j := leadsJSON(3, 5)
	values := [][]byte{
		compressedValue(t, j), gzipBytes(t, j), zstdBytes(t, j), lz4Bytes(t, j), snappyFramedBytes(t, j),
		snappyBlockBytes(j), brotliBytes(t, j, 5), deflateBytes(t, j), zlibBytes(t, j, 6),
		append([]byte("LZ:"), NodeUTF8(LZStringCompress(string(j)))...),
	}
	for _, v := range values {
		for n := 0; n <= len(v); n += 1 + len(v)/97 {
			assert.NotPanics(t, func() {
				Decode(v[:n], DefaultOptions())
				DecodeTruncated(v[:n], DefaultOptions())
			})
		}
	}
}

// Past the first few KiB, base64 is validated by the decoder itself (in two
// halves for big payloads): a bad character anywhere is still caught, and
// reported at its real offset.
func TestBase64BadCharacterLate(t *testing.T) {
	big := leadsJSON(1500, 8)
	enc := b64(gzipBytes(t, big))
	require.Greater(t, len(enc), base64ParallelMin)
	for _, at := range []int{5000, len(enc) * 3 / 4} {
		at -= at % 4
		bad := append([]byte{}, enc...)
		bad[at] = '!'
		r := Decode(bad, DefaultOptions())
		assert.Equal(t, FormatText, r.Format, "not base64 after all: shown as text")
		assert.Empty(t, r.Layers)

		r = Decode(append([]byte("COMPRESSED:"), bad...), DefaultOptions())
		assert.Equal(t, []string{"coldcopy-compressed", "base64", "gzip"}, r.Layers)
		assert.Contains(t, r.Warnings[0], fmt.Sprintf("base64: illegal base64 data at input byte %d after", at))
		assert.True(t, strings.HasPrefix(string(big), r.Text))
	}
}
