package decode

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a port of lz-string 1.5.0's plain compress()/decompress()
// (the 16-bits-per-character variant, not compressToBase64/UTF16). The
// ColdCopy RedisManager stores `LZ:` + compress(JSON), so cachedeck must be
// bit-for-bit compatible with the JavaScript library, quirks included.

// ErrLZStringCorrupt is returned (wrapped) when the code units are not a
// valid lz-string stream: a code that is not in the dictionary, or a stream
// that runs out before its end marker.
var ErrLZStringCorrupt = errors.New("lz-string: corrupt stream")

// ErrLZStringOutputLimit is returned (wrapped) when decompression would
// produce more than maxOutput bytes of UTF-8.
var ErrLZStringOutputLimit = errors.New("lz-string: output limit reached")

// errLZStringCleanEnd reports that a prefix-mode decompression stopped
// because the next symbol needs bits from a damaged (or missing) unit.
var errLZStringCleanEnd = errors.New("lz-string: stopped at the end of the clean units")

// protoKey is "__proto__" as UTF-16 code units. In the JavaScript compressor
// the dictionary is a plain object, and `dict["__proto__"] = n` is silently
// ignored (it hits the Object.prototype setter), so that phrase never enters
// the dictionary although the dictionary size still grows. We reproduce that
// so our output matches the real library byte for byte.
var protoKey = utf16.Encode([]rune("__proto__"))

// lzBitWriter packs values the way lz-string does: into 16-bit code units,
// most significant bit first, each value written least significant bit first.
type lzBitWriter struct {
	out []uint16
	val uint16
	pos int
}

func (w *lzBitWriter) bit(b uint16) {
	w.val = w.val<<1 | b
	if w.pos == 15 {
		w.out = append(w.out, w.val)
		w.pos, w.val = 0, 0
		return
	}
	w.pos++
}

func (w *lzBitWriter) bits(value, n int) {
	for range n {
		w.bit(uint16(value & 1))
		value >>= 1
	}
}

// flush mirrors lz-string's "Flush the last char": shift zeros in until a
// unit has been emitted. Note it always emits, even when pos is already 0.
func (w *lzBitWriter) flush() {
	for {
		w.val <<= 1
		if w.pos == 15 {
			w.out = append(w.out, w.val)
			return
		}
		w.pos++
	}
}

// LZStringCompress is lz-string 1.5.0's compress(). The input is converted to
// UTF-16 code units first, exactly as a JavaScript string holds it.
func LZStringCompress(s string) []uint16 {
	in := utf16.Encode([]rune(s))

	// The JS dictionary maps strings to codes. Every multi-unit phrase is
	// some dictionary phrase plus one unit, so we key phrases by (code of
	// prefix, next unit) instead of by string. One-unit phrases use prefix
	// code 0, a control code that is never a phrase, so one map (with fast
	// 64-bit keys) holds everything. A one-unit phrase carries the pending
	// flag until it has been written out once as a literal (JS's
	// context_dictionaryToCreate).
	const pending = 1 << 30
	dict := make(map[uint64]int32, len(in)/4+16) // LZW adds about one phrase per 3-4 units of JSON
	var (
		w         lzBitWriter
		enlargeIn = 2 // compensates for the first entry, as in JS
		dictSize  = 3
		numBits   = 2
		wStart    = 0  // w is always in[wStart:ii]
		wCode     = -1 // dictionary code of w; -1 while w is empty
	)
	grow := func() {
		enlargeIn--
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}
	// emitW writes phrase w: as a literal the first time a single unit is
	// seen, otherwise as its dictionary code.
	emitW := func(wLen int) {
		if wLen == 1 {
			ch := in[wStart]
			if v := dict[uint64(ch)]; v&pending != 0 {
				if ch < 256 {
					w.bits(0, numBits)
					w.bits(int(ch), 8)
				} else {
					w.bits(1, numBits)
					w.bits(int(ch), 16)
				}
				grow()
				dict[uint64(ch)] = v &^ pending
				grow()
				return
			}
		}
		w.bits(wCode, numBits)
		grow()
	}

	for ii, c := range in {
		single, ok := dict[uint64(c)]
		if !ok {
			single = int32(dictSize) | pending
			dict[uint64(c)] = single
			dictSize++
		}
		if wCode < 0 {
			// w was empty, so wc is the single unit c, which is in the dictionary.
			wStart, wCode = ii, int(single&^pending)
			continue
		}
		key := uint64(wCode)<<16 | uint64(c)
		if code, ok := dict[key]; ok {
			wCode = int(code)
			continue
		}
		emitW(ii - wStart)
		if !isProtoKey(in[wStart : ii+1]) {
			dict[key] = int32(dictSize)
		}
		dictSize++
		wStart, wCode = ii, int(single&^pending)
	}
	if wCode >= 0 {
		emitW(len(in) - wStart)
	}
	w.bits(2, numBits) // end of stream
	w.flush()
	return w.out
}

func isProtoKey(units []uint16) bool {
	if len(units) != len(protoKey) {
		return false
	}
	for i, u := range units {
		if u != protoKey[i] {
			return false
		}
	}
	return true
}

// LZStringDecompress is lz-string 1.5.0's decompress() over code units. The
// result is converted to UTF-8 (a lone surrogate in the output becomes
// U+FFFD). maxOutput caps the UTF-8 size of the output; <= 0 means no cap.
// On error it returns the text decoded before the problem together with an
// error wrapping ErrLZStringCorrupt or ErrLZStringOutputLimit.
func LZStringDecompress(units []uint16, maxOutput int) (string, error) {
	out, err := lzDecompress(units, maxOutput, false)
	return unitsToString(out), err
}

// lzStringDecompressPrefix decodes only the symbols whose bits lie entirely
// inside units, instead of padding a short stream with zero bits as JS does.
// It is how we recover the clean prefix of a damaged or cut value: units is
// the part before the first damaged unit. A nil error means the stream ended
// with its end marker inside units.
func lzStringDecompressPrefix(units []uint16, maxOutput int) ([]uint16, error) {
	return lzDecompress(units, maxOutput, true)
}

// lzBitReader reads lz-string's bit stream. Past the end JS reads NaN, which
// yields zero bits; prefix mode instead reports that it ran out.
type lzBitReader struct {
	units []uint16
	bit   int // absolute bit position
}

func (r *lzBitReader) read(n int) int {
	v := 0
	for i := range n {
		idx := r.bit >> 4
		if idx < len(r.units) && r.units[idx]&(0x8000>>(r.bit&15)) != 0 {
			v |= 1 << i
		}
		r.bit++
	}
	return v
}

// phrase is a dictionary entry: every lz-string phrase appears verbatim in
// the output, so it is stored as a window of the output instead of a copy.
type phrase struct{ start, length int }

func lzDecompress(units []uint16, maxOutput int, prefixMode bool) ([]uint16, error) {
	if len(units) == 0 {
		if prefixMode {
			return nil, errLZStringCleanEnd
		}
		return nil, fmt.Errorf("%w: empty input", ErrLZStringCorrupt)
	}
	r := lzBitReader{units: units}
	totalBits := len(units) * 16
	var (
		out      []uint16
		outBytes int
		dict     = make([]phrase, 3, 64) // codes 0..2 are control codes
		enlarge  = 4
		numBits  = 3
	)
	// appendUnits copies a phrase to the output, enforcing the byte cap.
	appendPhrase := func(p phrase) error {
		n := 0
		for i := range p.length {
			n += utf8Len(out[p.start+i])
		}
		if maxOutput > 0 && outBytes+n > maxOutput {
			return fmt.Errorf("%w: more than %d bytes", ErrLZStringOutputLimit, maxOutput)
		}
		outBytes += n
		// p may overlap the region being written (the "c == dictSize" case),
		// so copy unit by unit.
		for i := range p.length {
			out = append(out, out[p.start+i])
		}
		return nil
	}
	appendLiteral := func(u uint16) error {
		n := utf8Len(u)
		if maxOutput > 0 && outBytes+n > maxOutput {
			return fmt.Errorf("%w: more than %d bytes", ErrLZStringOutputLimit, maxOutput)
		}
		outBytes += n
		out = append(out, u)
		return nil
	}
	// fits says whether the next n bits are all inside the clean units.
	fits := func(n int) bool { return !prefixMode || r.bit+n <= totalBits }

	// The first symbol is always a literal (or the end marker), read with 2 bits.
	if !fits(2) {
		return out, errLZStringCleanEnd
	}
	var first uint16
	switch r.read(2) {
	case 0:
		if !fits(8) {
			return out, errLZStringCleanEnd
		}
		first = uint16(r.read(8))
	case 1:
		if !fits(16) {
			return out, errLZStringCleanEnd
		}
		first = uint16(r.read(16))
	case 2:
		return out, nil
	default:
		return out, fmt.Errorf("%w: bad first code 3", ErrLZStringCorrupt)
	}
	if err := appendLiteral(first); err != nil {
		return out, err
	}
	dict = append(dict, phrase{0, 1})
	w := phrase{0, 1}

	for {
		// JS: `if (data.index > length) return ""` — the stream ran out
		// without an end marker.
		if r.bit >= totalBits {
			if prefixMode {
				return out, errLZStringCleanEnd
			}
			return out, fmt.Errorf("%w: no end marker", ErrLZStringCorrupt)
		}
		symStart := r.bit
		if !fits(numBits) {
			return out, errLZStringCleanEnd
		}
		c := r.read(numBits)
		switch c {
		case 0, 1:
			width := 8
			if c == 1 {
				width = 16
			}
			if !fits(width) {
				return out, errLZStringCleanEnd
			}
			// A literal becomes a phrase at the position where the phrase
			// lookup below is about to write it.
			lit := uint16(r.read(width))
			dict = append(dict, phrase{len(out), 1})
			c = len(dict) - 1
			enlarge--
			if enlarge == 0 {
				enlarge = 1 << numBits
				numBits++
			}
			if err := appendLiteral(lit); err != nil {
				return out, err
			}
			w = addPhrase(&dict, w, dict[c])
		case 2:
			return out, nil
		default:
			writeAt := len(out)
			switch {
			case c < len(dict):
				if err := appendPhrase(dict[c]); err != nil {
					return out, err
				}
			case c == len(dict):
				// KwKwK: the phrase is w + w[0], not yet in the dictionary.
				if err := appendPhrase(w); err != nil {
					return out, err
				}
				if err := appendPhrase(phrase{w.start, 1}); err != nil {
					return out, err
				}
			default:
				return out, fmt.Errorf("%w: code %d not in dictionary of %d at unit %d",
					ErrLZStringCorrupt, c, len(dict), symStart/16)
			}
			w = addPhrase(&dict, w, phrase{writeAt, len(out) - writeAt})
		}
		enlarge--
		if enlarge == 0 {
			enlarge = 1 << numBits
			numBits++
		}
	}
}

// addPhrase records w + entry[0] and returns the new w: entry as just
// written. Because entry was written right after w, w + entry[0] is a
// contiguous window of the output.
func addPhrase(dict *[]phrase, w, written phrase) phrase {
	*dict = append(*dict, phrase{w.start, w.length + 1})
	return written
}

// utf8Len is how many UTF-8 bytes a code unit accounts for once converted;
// a surrogate counts 2, so a pair adds up to its 4 bytes.
func utf8Len(u uint16) int {
	switch {
	case u < 0x80:
		return 1
	case u < 0x800:
		return 2
	case u >= 0xD800 && u <= 0xDFFF:
		return 2
	default:
		return 3
	}
}

func unitsToString(units []uint16) string {
	return string(utf16.Decode(units))
}

// NodeUTF8 is what Node's Buffer.from(str, 'utf8') produces for a JavaScript
// string — and so what ioredis stores: valid surrogate pairs become 4-byte
// UTF-8, lone surrogates become U+FFFD (EF BF BD). This is the damage that
// ruins the app's LZ: values.
func NodeUTF8(units []uint16) []byte {
	out := make([]byte, 0, len(units)*3)
	for i := 0; i < len(units); i++ {
		u := units[i]
		if utf16.IsSurrogate(rune(u)) {
			if u < 0xDC00 && i+1 < len(units) && units[i+1] >= 0xDC00 && units[i+1] <= 0xDFFF {
				out = utf8.AppendRune(out, utf16.DecodeRune(rune(u), rune(units[i+1])))
				i++
				continue
			}
			out = utf8.AppendRune(out, utf8.RuneError)
			continue
		}
		out = utf8.AppendRune(out, rune(u))
	}
	return out
}

// UTF16Units turns UTF-8 bytes back into UTF-16 code units, the way a
// JavaScript string would hold them (code points above U+FFFF become a
// surrogate pair). Invalid UTF-8 bytes become U+FFFD, like Node's decoder.
func UTF16Units(b []byte) []uint16 {
	out := make([]uint16, 0, len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			out = append(out, uint16(r1), uint16(r2))
			continue
		}
		out = append(out, uint16(r))
	}
	return out
}
