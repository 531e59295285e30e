package decode

import (
	"bytes"
	"encoding/binary"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
)

// The deflate family: gzip (1f 8b), zlib (78 xx) and raw deflate (no
// header, found only by trial). Readers are pooled: each carries a 32 KiB
// window and Huffman tables that are cheap to reset and costly to allocate.

var gzipReaders = sync.Pool{New: func() any { return new(gzip.Reader) }}

func gunzip(src []byte, limit int, feed *byteFeed) layerOutput {
	zr := gzipReaders.Get().(*gzip.Reader)
	defer gzipReaders.Put(zr)
	if err := zr.Reset(bytes.NewReader(src)); err != nil {
		return layerOutput{err: err}
	}
	data, capped, err := readCapped(zr, gzipSizeHint(src), limit, feed)
	return layerOutput{data: data, capped: capped, err: err, consumedAll: err == nil && !capped}
}

// gzipSizeHint is ISIZE from the gzip trailer: the uncompressed size mod
// 2^32. It is only a hint (the stream may be corrupt or multi-member), but
// for a real value it lets us allocate the output once. Deflate cannot
// expand more than 1032:1, so a 20-byte value claiming 4 GiB is not
// believed (it would cost a full-cap allocation for nothing).
func gzipSizeHint(src []byte) int {
	if len(src) < 18 {
		return 0
	}
	return min(int(binary.LittleEndian.Uint32(src[len(src)-4:])), 1032*len(src))
}

// pooledFlate is what flate.NewReader and zlib.NewReader return: a reader
// that can be reset onto new input.
type pooledFlate interface {
	io.ReadCloser
	Reset(r io.Reader, dict []byte) error
}

var zlibReaders sync.Pool

func unzlib(src []byte, limit int, feed *byteFeed) layerOutput {
	br := bytes.NewReader(src)
	var zr pooledFlate
	if pooled, ok := zlibReaders.Get().(pooledFlate); ok {
		if err := pooled.Reset(br, nil); err != nil {
			zlibReaders.Put(pooled)
			return layerOutput{err: err}
		}
		zr = pooled
	} else {
		fresh, err := zlib.NewReader(br)
		if err != nil {
			return layerOutput{err: err}
		}
		zr = fresh.(pooledFlate)
	}
	defer zlibReaders.Put(zr)
	data, capped, err := readCapped(zr, 0, limit, feed)
	return layerOutput{data: data, capped: capped, err: err, consumedAll: err == nil && !capped && br.Len() == 0}
}

var flateReaders sync.Pool

// inflate decodes raw deflate. It is only ever a trial, so it reports
// whether the stream ended exactly at the end of the input.
func inflate(src []byte, limit int, feed *byteFeed) layerOutput {
	br := bytes.NewReader(src)
	fr, ok := flateReaders.Get().(pooledFlate)
	if ok {
		_ = fr.Reset(br, nil) // never fails: flate reads nothing on reset
	} else {
		fr = flate.NewReader(br).(pooledFlate)
	}
	defer flateReaders.Put(fr)
	data, capped, err := readCapped(fr, 0, limit, feed)
	return layerOutput{data: data, capped: capped, err: err, consumedAll: err == nil && !capped && br.Len() == 0}
}
