package decode

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/klauspost/compress/snappy"
)

// Snappy comes in two shapes: the framing format, with a stream identifier,
// and the bare block format, which has no signature at all and is only
// found by trial.

var snappyReaders = sync.Pool{New: func() any { return snappy.NewReader(nil) }}

func unsnappyFramed(src []byte, limit int, feed *byteFeed) layerOutput {
	zr := snappyReaders.Get().(*snappy.Reader)
	defer snappyReaders.Put(zr)
	zr.Reset(bytes.NewReader(src))
	data, capped, err := readCapped(zr, 0, limit, feed)
	zr.Reset(nil)
	return layerOutput{data: data, capped: capped, err: err, consumedAll: err == nil && !capped}
}

// unsnappyBlock decodes a raw snappy block. The block announces its size
// up front; a block announcing more than the cap is refused before any
// allocation (the announcement is attacker-controlled).
func unsnappyBlock(src []byte, limit int, feed *byteFeed) layerOutput {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return layerOutput{err: err}
	}
	if n > limit {
		return layerOutput{err: fmt.Errorf("block announces %d bytes, over the %s cap", n, humanBytes(limit))}
	}
	// DecodeStrict is the standard snappy decoder (no s2 extensions) and
	// insists the block is consumed exactly, which is what a trial needs.
	data, err := snappy.DecodeStrict(nil, src)
	if err != nil {
		return layerOutput{err: err}
	}
	return layerOutput{data: data, consumedAll: true}
}
