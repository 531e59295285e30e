package decode

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// The two framings the ColdCopy app writes (see the app facts doc):
// CacheService's "COMPRESSED:" + base64(gzip(JSON)) and RedisManager's
// "LZ:" + lz-string compress() output, stored by ioredis as UTF-8.
const (
	prefixCompressed = "COMPRESSED:"
	prefixLZ         = "LZ:"
)

// decodeCompressedFraming: the marker promises base64, so base64 is decoded
// whatever is inside (unlike unmarked base64, which must prove itself).
func (st *state) decodeCompressedFraming(payload []byte) {
	st.layers = append(st.layers, LayerColdcopyCompressed)
	t, ok := parseBase64(payload, st.partial)
	if !ok {
		st.warn("coldcopy-compressed: what follows COMPRESSED: is not base64; shown as is")
		st.show(payload)
		return
	}
	decoded, capped, err := t.decode(st.opts.MaxOutput)
	st.layers = append(st.layers, LayerBase64)
	st.owned = true
	if err != nil {
		st.warn("%v after %d bytes", err, len(decoded))
		st.setPartial("base64 stopped early")
	}
	if capped {
		st.warn("base64: decoded output capped at %s", humanBytes(st.opts.MaxOutput))
		st.truncated = true
		st.setPartial("the decoded base64 was capped")
	}
	st.peel(decoded, len(st.layers))
}

// decodeLZFraming decodes an LZ: value and, when it is damaged, says so and
// shows what can honestly be recovered.
//
// ioredis writes the lz-string output (arbitrary 16-bit code units) as
// UTF-8, which turns every lone surrogate into U+FFFD. The bits of those
// units are gone, so the app's own decompress fails and counts a miss. We
// can still decode every symbol whose bits lie before the first damaged
// unit: that prefix of the original text is exact.
func (st *state) decodeLZFraming(payload []byte) {
	if st.partial {
		payload = trimIncompleteRune(payload)
	}
	units := UTF16Units(payload)
	firstBad, nBad := replacementUnits(units)

	out, err := lzDecompress(units, st.opts.MaxOutput, st.inputCut)
	limited := errors.Is(err, ErrLZStringOutputLimit)
	cleanEnd := errors.Is(err, errLZStringCleanEnd) // only in cut mode
	intact := nBad == 0 && (err == nil || limited || cleanEnd)
	if !intact && nBad > 0 && err == nil && isJSONValue(unitsToUTF8(out)) {
		// The U+FFFD units were genuine characters of the stream.
		intact = true
	}

	switch {
	case intact:
		st.layers = append(st.layers, LayerColdcopyLZ, LayerLZString)
		if limited {
			st.warn("%s", capWarning(LayerLZString, st.opts.MaxOutput))
			st.truncated = true
			st.setPartial("the decompressed output was capped")
		}
		text := unitsToUTF8(dropSplitPair(out))
		if cleanEnd {
			st.warn("lz-string: the stream ends early (it was cut short before decoding); decoded %d characters", utf8.RuneCount(text))
		}
		st.owned = true
		st.show(text)
	case nBad > 0:
		st.layers = append(st.layers, LayerColdcopyLZ, LayerLZString)
		st.showDamagedLZ(units, firstBad, nBad)
	default:
		// No U+FFFD, yet not lz-string: something else that happens to
		// start with "LZ:". Do not invent damage; show it as it is.
		st.warn("coldcopy-lz: starts with LZ: but is not an lz-string stream (%v); shown as is", err)
		st.owned = true
		st.show(append([]byte(prefixLZ), payload...))
	}
}

func (st *state) showDamagedLZ(units []uint16, firstBad, nBad int) {
	st.damaged = true
	st.warn("damaged: the app cannot read this value either (%s replaced by U+FFFD "+
		"when the app wrote it: ioredis stores lz-string's output as UTF-8, which cannot hold them)",
		plural(nBad, "lone surrogate was", "lone surrogates were"))
	prefix, err := lzStringDecompressPrefix(units[:firstBad], st.opts.MaxOutput)
	if errors.Is(err, ErrLZStringOutputLimit) {
		st.truncated = true
		st.warn("%s", capWarning(LayerLZString, st.opts.MaxOutput))
	}
	prefix = dropSplitPair(prefix)
	text := unitsToUTF8(prefix)
	st.format = FormatText
	st.text = safeText(text, true)
	if len(prefix) == 0 {
		st.warn("partial recovery: nothing could be recovered; the damage starts in the first symbols")
		return
	}
	st.warn("partial recovery: only the first %d characters could be recovered, from the %d code units "+
		"before the first damaged one (of %d); the rest is lost. This is a prefix, not the whole value",
		utf8.RuneCount(text), firstBad, len(units))
}

// dropSplitPair drops a high surrogate left at the end of a prefix whose
// low half was cut off, instead of showing it as U+FFFD.
func dropSplitPair(units []uint16) []uint16 {
	if n := len(units); n > 0 && units[n-1] >= 0xD800 && units[n-1] < 0xDC00 {
		return units[:n-1]
	}
	return units
}

// replacementUnits finds U+FFFD units: the first one's index (len(units)
// if none) and how many there are.
func replacementUnits(units []uint16) (first, count int) {
	first = len(units)
	for i, u := range units {
		if u == 0xFFFD {
			if count == 0 {
				first = i
			}
			count++
		}
	}
	return first, count
}

func unitsToUTF8(units []uint16) []byte {
	return []byte(unitsToString(units))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
