package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A codec is one compression format we can peel. Formats with a signature
// are recognised by it; the others (raw snappy block, raw deflate, brotli)
// only by a trial decode whose result must make sense.
type codec struct {
	name string
	// magic reports whether src starts with the format's signature; nil for
	// formats that have none.
	magic func(src []byte) bool
	// weakMagic: the signature is short enough to occur in ordinary data
	// ("x^" is a zlib header), so a failed decode with no output is not
	// claimed.
	weakMagic bool
	// sizeHint is the output size the format announces, if it does (it may
	// lie: only used to presize buffers, never beyond the cap).
	sizeHint func(src []byte) int
	// decompress decodes src, producing at most limit bytes. With a feed,
	// it also publishes the output as it grows (see pipeline.go).
	decompress func(src []byte, limit int, feed *byteFeed) layerOutput
}

// layerOutput is what one decompression produced.
type layerOutput struct {
	data   []byte
	capped bool  // the output went past limit: data holds the first limit bytes
	err    error // decoding stopped early: data holds what came before
	// consumedAll: the stream ended properly and no input was left over.
	// Trial decodes must have it, or they are not claimed.
	consumedAll bool
}

// magicCodecs are tried first, in this order.
var magicCodecs = []codec{
	{name: LayerGzip, magic: isGzip, sizeHint: gzipSizeHint, decompress: gunzip},
	{name: LayerZstd, magic: isZstd, sizeHint: zstdSizeHint, decompress: unzstd},
	{name: LayerLZ4, magic: isLZ4Frame, decompress: unlz4},
	{name: LayerSnappy, magic: isSnappyFramed, decompress: unsnappyFramed},
	{name: LayerZlib, magic: isZlib, weakMagic: true, decompress: unzlib},
}

// trialCodecs have no signature; cheapest rejection first.
var trialCodecs = []codec{
	{name: LayerSnappy, decompress: unsnappyBlock},
	{name: LayerDeflate, decompress: inflate},
	{name: LayerBrotli, decompress: unbrotli},
}

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

func isZstd(b []byte) bool {
	return len(b) >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd
}

func isLZ4Frame(b []byte) bool {
	return len(b) >= 4 && b[0] == 0x04 && b[1] == 0x22 && b[2] == 0x4d && b[3] == 0x18
}

var snappyStreamID = []byte{0xff, 0x06, 0x00, 0x00, 's', 'N', 'a', 'P', 'p', 'Y'}

func isSnappyFramed(b []byte) bool { return bytes.HasPrefix(b, snappyStreamID) }

// isZlib checks the two-byte zlib header: deflate with the usual 32 KiB
// window (78), no preset dictionary, and the header checksum. 78 01/5e/9c/da
// are what zlib writes at its four level groups. Smaller windows (08–68)
// are legal but rare, and widening the net only catches more random bytes.
func isZlib(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	cmf, flg := b[0], b[1]
	return cmf == 0x78 && flg&0x20 == 0 && (uint16(cmf)<<8|uint16(flg))%31 == 0
}

func magicCodecFor(b []byte) (codec, bool) {
	for _, c := range magicCodecs {
		if c.magic(b) {
			return c, true
		}
	}
	return codec{}, false
}

// hasStrongMagic: b starts with a signature that is proof enough on its own.
func hasStrongMagic(b []byte) bool {
	c, ok := magicCodecFor(b)
	return ok && !c.weakMagic
}

// errNoProgress guards against a reader that keeps returning 0, nil.
var errNoProgress = errors.New("decoder made no progress")

// readCapped reads r to the end, keeping at most limit bytes. It reads one
// byte past the limit to tell "exactly limit" from "more" without ever
// holding more than limit+1 bytes: a gzip bomb costs its cap, not its size.
// sizeHint (the size a format announces, if any) presizes the buffer, but
// never beyond the cap, since the announcement may be a lie.
//
// With a feed, every read is published as soon as it is in the buffer.
func readCapped(r io.Reader, sizeHint, limit int, feed *byteFeed) (data []byte, capped bool, err error) {
	initial := 4096
	if sizeHint > 0 {
		initial = sizeHint + 1 // +1 so a correct hint needs no regrow to see EOF
	}
	buf := make([]byte, 0, min(initial, limit+1))
	stalls := 0
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return buf[:limit], true, nil
			}
			newCap := max(2*cap(buf), 4096)
			if newCap >= limit {
				newCap = limit + 1 // straight to the cap, not 1 byte short of it
			}
			grown := make([]byte, len(buf), newCap)
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if feed != nil && n > 0 {
			feed.publish(buf[:min(len(buf), limit)])
		}
		if len(buf) > limit {
			return buf[:limit], true, nil
		}
		switch {
		case err == io.EOF:
			return buf, false, nil
		case err != nil:
			return buf, false, err
		case n == 0:
			if stalls++; stalls > 100 {
				return buf, false, errNoProgress
			}
		default:
			stalls = 0
		}
	}
}

// layerWarning words a decoding failure for the user, naming the layer and
// how much was recovered: "gzip: unexpected EOF after 1234 bytes". When the
// input was already cut short the failure is expected, and says so.
func layerWarning(layer string, err error, recovered int, inputCut bool) string {
	msg := err.Error()
	// Libraries prefix their own names ("gzip: ", "flate: "); we add ours.
	for _, p := range []string{"gzip: ", "flate: ", "zlib: ", "zstd: ", "lz4: ", "s2: ", "snappy: ", "brotli: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	if inputCut {
		return fmt.Sprintf("%s: input ends early (it was cut short before decoding): %s after %d bytes", layer, msg, recovered)
	}
	return fmt.Sprintf("%s: %s after %d bytes", layer, msg, recovered)
}

func capWarning(layer string, limit int) string {
	return fmt.Sprintf("%s: decompressed output capped at %s", layer, humanBytes(limit))
}
