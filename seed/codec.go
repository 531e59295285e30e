package seed

import (
	"bytes"
	"encoding/base64"
	"fmt"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/coldcopy/cachedeck/decode"
)

// Codec names how a string value was framed or compressed by its writer.
type Codec string

const (
	CodecJSON       Codec = "json"       // JSON.stringify output, stored as is
	CodecText       Codec = "text"       // plain text that is not JSON
	CodecCompressed Codec = "compressed" // CacheService: "COMPRESSED:" + base64(gzip(JSON))
	CodecLZ         Codec = "lz"         // RedisManager: "LZ:" + UTF-8 of lz-string compress() output

	// Raw buffers written without a marker by other Node caches.
	CodecGzip              Codec = "gzip"
	CodecZlib              Codec = "zlib"
	CodecDeflate           Codec = "deflate" // raw deflate, no header
	CodecZstd              Codec = "zstd"
	CodecLZ4               Codec = "lz4"           // LZ4 frame format
	CodecSnappyFramed      Codec = "snappy-framed" // snappy framing format (sNaPpY stream)
	CodecSnappy            Codec = "snappy"        // raw snappy block, no magic
	CodecBrotli            Codec = "brotli"        // no magic
	CodecBase64Gzip        Codec = "base64-gzip"   // base64 text of a gzip buffer
	CodecBase64GzipMsgpack Codec = "base64-gzip-msgpack"
	CodecMsgpack           Codec = "msgpack"
)

// RawCodecs are the codecs of the cache:raw:<codec>:<n> keys, in the order they cycle.
var RawCodecs = []Codec{
	CodecGzip, CodecZlib, CodecDeflate, CodecZstd, CodecLZ4, CodecSnappyFramed, CodecSnappy,
	CodecBrotli, CodecBase64Gzip, CodecBase64GzipMsgpack, CodecMsgpack,
}

const (
	prefixCompressed = "COMPRESSED:"
	prefixLZ         = "LZ:"
	// frameThreshold: both app wrappers frame JSON longer than this many characters.
	frameThreshold = 1024
)

// encoders holds one worker's reusable compressors: creating a gzip or zstd writer per value
// would cost more than the compression itself.
type encoders struct {
	buf bytes.Buffer
	gz  *gzip.Writer
	zl  *zlib.Writer
	fl  *flate.Writer
	zs  *zstd.Encoder
	l4  *lz4.Writer
	sf  *s2.Writer
	br  *brotli.Writer
	// Node's defaults (gzip level 6, brotli quality 11) for the fixed samples; faster settings
	// for the bulk, where compression was a third of the seeding time. The formats are the
	// same; only the ratio differs slightly.
	gzLevel   int
	brQuality int
}

func must(err error) {
	if err != nil {
		// Writing to a bytes.Buffer cannot fail; a failure here is a bug in this package.
		panic(fmt.Sprintf("seed: encoder: %v", err))
	}
}

func (e *encoders) finish() []byte { return bytes.Clone(e.buf.Bytes()) }

func (e *encoders) gzip(p []byte) []byte { return bytes.Clone(e.gzipTemp(p)) }

// gzipTemp returns the gzip of p in the encoder's buffer, valid until its next use.
func (e *encoders) gzipTemp(p []byte) []byte {
	e.buf.Reset()
	if e.gz == nil {
		lvl := e.gzLevel
		if lvl == 0 {
			lvl = gzip.BestSpeed
		}
		e.gz, _ = gzip.NewWriterLevel(&e.buf, lvl)
	} else {
		e.gz.Reset(&e.buf)
	}
	_, err := e.gz.Write(p)
	must(err)
	must(e.gz.Close())
	return e.buf.Bytes()
}

func (e *encoders) zlib(p []byte) []byte {
	e.buf.Reset()
	if e.zl == nil {
		e.zl, _ = zlib.NewWriterLevel(&e.buf, zlib.DefaultCompression)
	} else {
		e.zl.Reset(&e.buf)
	}
	_, err := e.zl.Write(p)
	must(err)
	must(e.zl.Close())
	return e.finish()
}

func (e *encoders) deflate(p []byte) []byte {
	e.buf.Reset()
	if e.fl == nil {
		e.fl, _ = flate.NewWriter(&e.buf, flate.DefaultCompression)
	} else {
		e.fl.Reset(&e.buf)
	}
	_, err := e.fl.Write(p)
	must(err)
	must(e.fl.Close())
	return e.finish()
}

func (e *encoders) zstd(p []byte) []byte {
	if e.zs == nil {
		var err error
		e.zs, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
		must(err)
	}
	return e.zs.EncodeAll(p, nil)
}

func (e *encoders) lz4(p []byte) []byte {
	e.buf.Reset()
	if e.l4 == nil {
		e.l4 = lz4.NewWriter(&e.buf)
		must(e.l4.Apply(lz4.ConcurrencyOption(1)))
	} else {
		e.l4.Reset(&e.buf)
	}
	_, err := e.l4.Write(p)
	must(err)
	must(e.l4.Close())
	return e.finish()
}

func (e *encoders) snappyFramed(p []byte) []byte {
	e.buf.Reset()
	if e.sf == nil {
		e.sf = s2.NewWriter(&e.buf, s2.WriterSnappyCompat(), s2.WriterConcurrency(1))
	} else {
		e.sf.Reset(&e.buf)
	}
	_, err := e.sf.Write(p)
	must(err)
	must(e.sf.Close())
	return e.finish()
}

func (e *encoders) snappy(p []byte) []byte { return snappy.Encode(nil, p) }

func (e *encoders) brotli(p []byte) []byte {
	e.buf.Reset()
	q := e.brQuality
	if q == 0 {
		q = 5
	}
	if e.br == nil {
		e.br = brotli.NewWriterLevel(&e.buf, q)
	} else {
		e.br.Reset(&e.buf)
	}
	_, err := e.br.Write(p)
	must(err)
	must(e.br.Close())
	return e.finish()
}

func appendBase64(dst, p []byte) []byte {
	return base64.StdEncoding.AppendEncode(dst, p) // Node's Buffer#toString('base64'), padded
}

// appendCompressed appends CacheService's framing of json: "COMPRESSED:" + base64(gzip(JSON)).
func (e *encoders) appendCompressed(dst, json []byte) []byte {
	dst = append(dst, prefixCompressed...)
	return appendBase64(dst, e.gzipTemp(json))
}

// lzFramed is RedisManager's framing: "LZ:" + lz-string compress() output as ioredis writes it
// (UTF-8, lone surrogates replaced by EF BF BD). damaged reports whether a lone surrogate was
// lost on the way, which makes the value unreadable for the app too.
func lzFramed(json []byte) (value []byte, damaged bool) {
	units := decode.LZStringCompress(string(json))
	damaged = hasLoneSurrogate(units)
	enc := decode.NodeUTF8(units)
	value = make([]byte, 0, len(prefixLZ)+len(enc))
	value = append(value, prefixLZ...)
	return append(value, enc...), damaged
}

func hasLoneSurrogate(units []uint16) bool {
	for i := 0; i < len(units); i++ {
		u := units[i]
		switch {
		case u >= 0xD800 && u <= 0xDBFF:
			if i+1 < len(units) && units[i+1] >= 0xDC00 && units[i+1] <= 0xDFFF {
				i++ // a valid pair survives UTF-8
				continue
			}
			return true
		case u >= 0xDC00 && u <= 0xDFFF:
			return true
		}
	}
	return false
}

// hasSurrogate reports any unit in D800–DFFF, paired or not.
func hasSurrogate(units []uint16) bool {
	for _, u := range units {
		if u >= 0xD800 && u <= 0xDFFF {
			return true
		}
	}
	return false
}

// raw encodes payload with one of the raw codecs. For the msgpack codecs payload must already
// be msgpack.
func (e *encoders) raw(c Codec, payload []byte) []byte {
	switch c {
	case CodecGzip:
		return e.gzip(payload)
	case CodecZlib:
		return e.zlib(payload)
	case CodecDeflate:
		return e.deflate(payload)
	case CodecZstd:
		return e.zstd(payload)
	case CodecLZ4:
		return e.lz4(payload)
	case CodecSnappyFramed:
		return e.snappyFramed(payload)
	case CodecSnappy:
		return e.snappy(payload)
	case CodecBrotli:
		return e.brotli(payload)
	case CodecBase64Gzip, CodecBase64GzipMsgpack:
		return appendBase64(nil, e.gzip(payload))
	case CodecMsgpack:
		return bytes.Clone(payload)
	}
	panic("seed: unknown raw codec " + string(c))
}
