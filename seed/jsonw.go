package seed

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// jw appends JSON the way JSON.stringify writes it (no spaces, raw UTF-8, escapes for quotes,
// backslashes and control characters). Hand-rolled because encoding/json's reflection would be
// the bottleneck at a million values.
type jw struct {
	b     []byte
	comma bool
}

func (j *jw) reset() { j.b, j.comma = j.b[:0], false }

func (j *jw) sep() {
	if j.comma {
		j.b = append(j.b, ',')
	}
	j.comma = true
}

func (j *jw) obj()    { j.sep(); j.b = append(j.b, '{'); j.comma = false }
func (j *jw) endObj() { j.b = append(j.b, '}'); j.comma = true }
func (j *jw) arr()    { j.sep(); j.b = append(j.b, '['); j.comma = false }
func (j *jw) endArr() { j.b = append(j.b, ']'); j.comma = true }

// key writes an object key. Keys are identifiers from this package's source, which never need
// escaping, so they are copied as they are.
func (j *jw) key(k string) {
	j.sep()
	j.b = append(j.b, '"')
	j.b = append(j.b, k...)
	j.b = append(j.b, '"', ':')
	j.comma = false
}

func (j *jw) str(v string)      { j.sep(); j.b = appendJSONString(j.b, v) }
func (j *jw) strBytes(v []byte) { j.sep(); j.b = appendJSONString(j.b, string(v)) }
func (j *jw) int(v int)         { j.sep(); j.b = strconv.AppendInt(j.b, int64(v), 10) }

// fixed writes v rounded to p decimals the way JavaScript prints a number: 0.5, not 0.50.
func (j *jw) fixed(v float64, p int) {
	j.sep()
	scale := math.Pow10(p)
	j.b = strconv.AppendFloat(j.b, math.Round(v*scale)/scale, 'f', -1, 64)
}
func (j *jw) bool(v bool) { j.sep(); j.b = strconv.AppendBool(j.b, v) }
func (j *jw) null()       { j.sep(); j.b = append(j.b, "null"...) }

func (j *jw) kstr(k, v string)          { j.key(k); j.str(v) }
func (j *jw) kbytes(k string, v []byte) { j.key(k); j.strBytes(v) }
func (j *jw) kint(k string, v int)      { j.key(k); j.int(v) }
func (j *jw) kfixed(k string, v float64, p int) {
	j.key(k)
	j.fixed(v, p)
}
func (j *jw) kbool(k string, v bool) { j.key(k); j.bool(v) }
func (j *jw) knull(k string)         { j.key(k); j.null() }

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s like JSON.stringify: only '"', '\\' and C0 controls are escaped;
// other characters, including non-ASCII, are written as they are. Invalid UTF-8 becomes U+FFFD
// (a JavaScript string cannot hold it in the first place).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
