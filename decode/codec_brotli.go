package decode

import (
	"bytes"
	"sync"

	"github.com/andybalholm/brotli"
)

// Brotli has no signature, so it is only ever a trial. The reader refuses
// the large-window extension (the default), which caps its window at 16 MiB.
var brotliReaders = sync.Pool{New: func() any { return brotli.NewReader(nil) }}

func unbrotli(src []byte, limit int, feed *byteFeed) layerOutput {
	br := bytes.NewReader(src)
	zr := brotliReaders.Get().(*brotli.Reader)
	defer brotliReaders.Put(zr)
	_ = zr.Reset(br) // documented to always return nil
	data, capped, err := readCapped(zr, 0, limit, feed)
	return layerOutput{data: data, capped: capped, err: err, consumedAll: err == nil && !capped && br.Len() == 0}
}
