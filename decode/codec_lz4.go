package decode

import (
	"bytes"
	"sync"

	"github.com/pierrec/lz4/v4"
)

// LZ4 frame format (04 22 4d 18). Blocks are at most 4 MiB and the reader
// decodes one at a time, so memory stays bounded whatever the frame claims.
var lz4Readers = sync.Pool{New: func() any { return lz4.NewReader(nil) }}

func unlz4(src []byte, limit int, feed *byteFeed) layerOutput {
	zr := lz4Readers.Get().(*lz4.Reader)
	defer lz4Readers.Put(zr)
	zr.Reset(bytes.NewReader(src))
	data, capped, err := readCapped(zr, 0, limit, feed)
	zr.Reset(nil) // drop the reference to src
	return layerOutput{data: data, capped: capped, err: err, consumedAll: err == nil && !capped}
}
