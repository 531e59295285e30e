package decode

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Values over pipelineMinInput are decompressed in a second goroutine while
// the formatter reads. The results must be the same as the sequential path.
func TestPipelinedDecode(t *testing.T) {
	big := leadsJSON(500, 21)
	gz := gzipBytes(t, big)
	require.Greater(t, len(gz), pipelineMinInput, "the test must exercise the pipeline")
	notJSON := []byte(strings.Repeat("plain text line, not JSON at all\n", 20000))
	broken := append(append([]byte{}, big[:len(big)-1]...), []byte(`,]`)...) // invalid at the very end

	tests := []struct {
		name   string
		value  []byte
		layers []string
		format string
		text   string // expected Text; "" means the reference pretty JSON of big
	}{
		{"gzip", gz, []string{"gzip"}, FormatJSON, ""},
		{"compressed framing", compressedValue(t, big), []string{"coldcopy-compressed", "base64", "gzip"}, FormatJSON, ""},
		{"zstd", zstdBytes(t, big), []string{"zstd"}, FormatJSON, ""},
		{"lz4", lz4Bytes(t, big), []string{"lz4"}, FormatJSON, ""},
		{"snappy framed", snappyFramedBytes(t, big), []string{"snappy"}, FormatJSON, ""},
		{"zlib", zlibBytes(t, big, 6), []string{"zlib"}, FormatJSON, ""},
		{"gzip of text", gzipLevel(t, notJSON, 1), []string{"gzip"}, FormatText, string(notJSON)},
		{"gzip of broken json", gzipBytes(t, broken), []string{"gzip"}, FormatText, string(broken)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			r := Decode(tt.value, DefaultOptions())
			assert.Equal(t, tt.layers, r.Layers, "%q", r.Warnings)
			assert.Equal(t, tt.format, r.Format)
			want := tt.text
			if want == "" {
				want = indentJSON(t, big)
			}
			assert.Equal(t, want, r.Text)
			assert.Empty(t, r.Warnings)
			assert.False(t, r.Truncated)
			assert.True(t, goroutinesBackTo(before), "no goroutine left behind")
		})
	}
}

func TestPipelinedDecodeCorrupt(t *testing.T) {
	big := leadsJSON(500, 22)
	gz := gzipBytes(t, big)
	cut := gz[:len(gz)*2/3]
	r := Decode(cut, DefaultOptions())
	assert.Equal(t, []string{"gzip"}, r.Layers)
	assert.Equal(t, FormatText, r.Format, "a prefix is not JSON")
	assert.True(t, strings.HasPrefix(string(big), r.Text))
	assert.Regexp(t, `^gzip: unexpected EOF after \d+ bytes$`, r.Warnings[0])

	badCRC := append([]byte{}, gz...)
	badCRC[len(badCRC)-8] ^= 1
	r = Decode(badCRC, DefaultOptions())
	assert.Equal(t, FormatJSON, r.Format, "all data arrived; only the checksum is wrong")
	assert.Regexp(t, `^gzip: invalid checksum after \d+ bytes$`, r.Warnings[0])
}

// goroutinesBackTo waits briefly for goroutines that are finishing.
func goroutinesBackTo(n int) bool {
	for range 100 {
		if runtime.NumGoroutine() <= n {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}
