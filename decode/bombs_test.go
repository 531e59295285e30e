package decode

import (
	"bytes"
	stdgzip "compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Decompression bombs: small values that expand enormously. Every codec
// must stop at the cap, mark the result truncated and say why, quickly and
// without holding more than the cap in memory.

var (
	gzipBomb1GiBOnce sync.Once
	gzipBomb1GiB     []byte
)

// gzipOfZeros1GiB is gzip of 1 GiB of zeros, built once per test binary.
func gzipOfZeros1GiB(testing.TB) []byte {
	gzipBomb1GiBOnce.Do(func() { gzipBomb1GiB = gzipOfZeros(1 << 30) })
	return gzipBomb1GiB
}

// gzipOfZeros writes a gzip member holding n zero bytes directly, as one
// fixed-Huffman deflate block: a literal 0, then (length 258, distance 1)
// copies, then literal zeros for the tail. An encoder takes seconds to squeeze 1 GiB (a minute under the
// race detector); this takes milliseconds. TestGzipOfZerosIsGzip checks the
// stream with the standard library.
func gzipOfZeros(n int) []byte {
	var bw deflateBitWriter
	bw.out = append(bw.out, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff) // header: deflate, no flags, unknown OS
	bw.bits(1, 1)                                                  // BFINAL
	bw.bits(1, 2)                                                  // BTYPE=01, fixed Huffman
	bw.code(0x30, 8)                                               // literal 0
	left := n - 1
	for ; left >= 258; left -= 258 {
		bw.code(0xc0+(285-280), 8) // length 258: code 285, in the 8-bit range from 11000000
		bw.code(0, 5)              // distance code 0: distance 1
	}
	for ; left > 0; left-- {
		bw.code(0x30, 8) // the tail as literal zeros
	}
	bw.code(0, 7) // end of block
	bw.flush()
	crc := crc32.NewIEEE()
	zeros := make([]byte, 1<<20)
	for left := n; left > 0; left -= len(zeros) {
		crc.Write(zeros[:min(left, len(zeros))])
	}
	bw.out = binary.LittleEndian.AppendUint32(bw.out, crc.Sum32())
	return binary.LittleEndian.AppendUint32(bw.out, uint32(n))
}

type deflateBitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

// bits writes v least significant bit first (deflate's header fields).
func (w *deflateBitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

// code writes a Huffman code, which deflate packs most significant bit first.
func (w *deflateBitWriter) code(c uint64, n uint) {
	var rev uint64
	for i := uint(0); i < n; i++ {
		rev |= (c >> i & 1) << (n - 1 - i)
	}
	w.bits(rev, n)
}

func (w *deflateBitWriter) flush() {
	if w.nbits > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc, w.nbits = 0, 0
	}
}

func TestGzipOfZerosIsGzip(t *testing.T) {
	for _, n := range []int{1, 2, 4, 258, 259, 260, 261, 262, 1000, 1<<20 + 5} {
		r, err := stdgzip.NewReader(bytes.NewReader(gzipOfZeros(n)))
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, err, "n=%d", n)
		require.Equal(t, make([]byte, n), got, "n=%d", n)
	}
}

// measureDecode runs fn and reports its wall time and the bytes it
// allocated (TotalAlloc, an upper bound on the extra heap it needed).
func measureDecode(fn func()) (time.Duration, uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	fn()
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return elapsed, after.TotalAlloc - before.TotalAlloc
}

func TestGzipBomb1GiB(t *testing.T) {
	bomb := gzipOfZeros1GiB(t)
	var r Result
	elapsed, allocated := measureDecode(func() { r = Decode(bomb, DefaultOptions()) })
	t.Logf("1 GiB gzip bomb (%d bytes): %v, %.1f MiB allocated", len(bomb), elapsed, float64(allocated)/(1<<20))
	assert.Equal(t, []string{"gzip"}, r.Layers)
	assert.Equal(t, FormatBinary, r.Format)
	assert.True(t, r.Truncated)
	assert.Contains(t, r.Warnings, "gzip: decompressed output capped at 16 MiB")
	assert.Less(t, allocated, uint64(64<<20), "extra heap")
	if !raceEnabled {
		assert.Less(t, elapsed, time.Second)
	}
}

func TestBombsAreCapped(t *testing.T) {
	const size = 24 << 20 // over the 16 MiB cap; small enough to build fast under -race
	zeros := make([]byte, size)
	letters := bytes.Repeat([]byte("a"), size)
	jsonBomb := append(append([]byte(`{"k":"`), letters[:size-16]...), `"}`...)
	tests := []struct {
		name   string
		value  []byte
		layers []string
		format string
	}{
		{"gzip zeros", gzipLevel(t, zeros, gzip.BestSpeed), []string{"gzip"}, FormatBinary},
		{"gzip json", gzipLevel(t, jsonBomb, gzip.BestSpeed), []string{"gzip"}, FormatText},
		{"zlib zeros", zlibBytes(t, zeros, zlib.BestSpeed), []string{"zlib"}, FormatBinary},
		{"zstd zeros", zstdBytes(t, zeros), []string{"zstd"}, FormatBinary},
		{"lz4 zeros", lz4Bytes(t, zeros), []string{"lz4"}, FormatBinary},
		{"snappy framed zeros", snappyFramedBytes(t, zeros), []string{"snappy"}, FormatBinary},
		{"brotli text", brotliBytes(t, letters, 1), []string{"brotli"}, FormatText},
		{"deflate text", deflateBytes(t, letters), []string{"deflate"}, FormatText},
		{"base64 gzip zeros", b64(gzipLevel(t, zeros, gzip.BestSpeed)), []string{"base64", "gzip"}, FormatBinary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Result
			elapsed, allocated := measureDecode(func() { r = Decode(tt.value, DefaultOptions()) })
			t.Logf("%d bytes in: %v, %.1f MiB allocated", len(tt.value), elapsed, float64(allocated)/(1<<20))
			assert.Equal(t, tt.layers, r.Layers, "warnings %q", r.Warnings)
			assert.Equal(t, tt.format, r.Format)
			assert.True(t, r.Truncated)
			last := tt.layers[len(tt.layers)-1]
			assert.Contains(t, r.Warnings, last+": decompressed output capped at 16 MiB")
			assert.LessOrEqual(t, len(r.Text), 16<<20)
			assert.Less(t, allocated, uint64(64<<20))
			if !raceEnabled {
				assert.Less(t, elapsed, time.Second)
			}
		})
	}
}

// A raw snappy block announces its size; one over the cap is not decoded
// at all, so it costs nothing.
func TestSnappyBlockOverCapIsRefused(t *testing.T) {
	block := snappyBlockBytes(bytes.Repeat([]byte("a"), 20<<20))
	var r Result
	_, allocated := measureDecode(func() { r = Decode(block, DefaultOptions()) })
	assert.Empty(t, r.Layers)
	assert.Equal(t, FormatBinary, r.Format)
	assert.Less(t, allocated, uint64(8<<20))

	r = Decode(block, Options{MaxOutput: 32 << 20})
	assert.Equal(t, []string{"snappy"}, r.Layers)
	assert.Equal(t, FormatText, r.Format)
}

func TestSmallCapOption(t *testing.T) {
	j := leadsJSON(50, 1)
	r := Decode(gzipBytes(t, j), Options{MaxOutput: 1000})
	assert.True(t, r.Truncated)
	assert.Contains(t, r.Warnings, "gzip: decompressed output capped at 1000 bytes")
	assert.Equal(t, FormatText, r.Format, "a capped JSON prefix is text, not JSON")
	assert.True(t, strings.HasPrefix(string(j), r.Text))
	assert.LessOrEqual(t, len(r.Text), 1000)
}

func TestPrettyOutputCap(t *testing.T) {
	j := leadsJSON(50, 2)
	r := Decode(j, Options{MaxOutput: len(j)}) // pretty output is bigger than the input
	assert.Equal(t, FormatJSON, r.Format, "the value was fully validated")
	assert.True(t, r.Truncated)
	assert.Len(t, r.Text, len(j))
	assert.Contains(t, r.Warnings, "json: pretty-printed output capped at "+humanBytes(len(j)))
}
