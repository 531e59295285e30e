package decode

import (
	"bytes"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// zstdMaxWindow bounds the history a frame may ask for. Real encoders use
// at most 8 MiB below level 20; a hostile header asking for 2 GiB is
// refused instead of allocated.
const zstdMaxWindow = 32 << 20

// zstd decoders are comparatively heavy to build, so they are pooled. One
// goroutine each (concurrency 1): decoding stays synchronous, bounded and
// race-free, and nothing is left running behind a pooled decoder.
var zstdDecoders = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(zstdMaxWindow),
		zstd.WithDecoderMaxMemory(zstdMaxWindow),
	)
	if err != nil {
		panic("decode: zstd options rejected: " + err.Error()) // constant options: a bug here
	}
	return d
}}

func unzstd(src []byte, limit int, feed *byteFeed) layerOutput {
	d := zstdDecoders.Get().(*zstd.Decoder)
	defer zstdDecoders.Put(d)
	// A bytes.Reader (not a bytes.Buffer) keeps the decoder streaming, so
	// the output cap below applies instead of an all-at-once decode.
	if err := d.Reset(bytes.NewReader(src)); err != nil {
		return layerOutput{err: err}
	}
	defer d.Reset(nil) //nolint:errcheck // releases the input; cannot fail
	data, capped, err := readCapped(d, zstdSizeHint(src), limit, feed)
	return layerOutput{data: data, capped: capped, err: err, consumedAll: err == nil && !capped}
}

// zstdSizeHint is the frame's declared content size, if it has one. zstd
// can legitimately expand far more than deflate, so a large claim from a
// small frame is only half believed: the buffer grows if the claim was true.
func zstdSizeHint(src []byte) int {
	var h zstd.Header
	if err := h.Decode(src); err != nil || !h.HasFCS || h.FrameContentSize > 1<<40 {
		return 0
	}
	return min(int(h.FrameContentSize), 1032*len(src))
}
