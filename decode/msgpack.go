package decode

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// MessagePack is shown as JSON: map key order as stored, 64-bit integers
// exact (never through float64), bin as a base64 string, ext as
// {"$ext": type, "data": base64}, non-string map keys as their JSON text.

// maxMsgpackDepth bounds nesting; hostile input could otherwise recurse
// until the stack gives out.
const maxMsgpackDepth = 512

var errMsgpackTooDeep = fmt.Errorf("msgpack: nesting deeper than %d", maxMsgpackDepth)

// isMsgpackContainerStart says whether b could be a top-level MessagePack
// map or array. Only those are claimed as MessagePack: a lone scalar byte is
// far more likely to be something else.
func isMsgpackContainerStart(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	c := b[0]
	return msgpcode.IsFixedMap(c) || msgpcode.IsFixedArray(c) ||
		c == msgpcode.Map16 || c == msgpcode.Map32 || c == msgpcode.Array16 || c == msgpcode.Array32
}

// msgpackJSON is compact JSON rendered from MessagePack.
type msgpackJSON struct {
	json   []byte
	capped bool // the JSON hit the limit; the input was still fully walked
}

// msgpackToJSON renders one MessagePack value that must fill all of b as
// compact JSON of at most limit bytes.
func msgpackToJSON(b []byte, limit int) (msgpackJSON, error) {
	r := bytes.NewReader(b)
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(r)
	m := msgpackRenderer{dec: dec, r: r, out: cappedOut{limit: limit}}
	m.out.buf = make([]byte, 0, min(limit, 2*len(b)+16))
	if err := m.value(0); err != nil {
		return msgpackJSON{}, err
	}
	if r.Len() != 0 {
		return msgpackJSON{}, fmt.Errorf("msgpack: %d bytes left after the value", r.Len())
	}
	return msgpackJSON{json: m.out.buf, capped: m.out.capped}, nil
}

type msgpackRenderer struct {
	dec *msgpack.Decoder
	r   *bytes.Reader // to bound lengths by what is actually left
	out cappedOut
	tmp []byte
}

// readLen reads n bytes, refusing lengths longer than the input left, so a
// forged 4 GiB length costs nothing.
func (m *msgpackRenderer) readLen(n int) ([]byte, error) {
	if n < 0 || n > m.r.Len() {
		return nil, fmt.Errorf("msgpack: length %d exceeds the %d bytes left", n, m.r.Len())
	}
	buf := make([]byte, n)
	if err := m.dec.ReadFull(buf); err != nil {
		return nil, err
	}
	return buf, nil
}

func (m *msgpackRenderer) value(depth int) error {
	if depth > maxMsgpackDepth {
		return errMsgpackTooDeep
	}
	c, err := m.dec.PeekCode()
	if err != nil {
		return err
	}
	switch {
	case c == msgpcode.Nil:
		if err := m.dec.DecodeNil(); err != nil {
			return err
		}
		m.out.writeString("null")
	case c == msgpcode.False || c == msgpcode.True:
		v, err := m.dec.DecodeBool()
		if err != nil {
			return err
		}
		m.out.writeString(strconv.FormatBool(v))
	case c <= msgpcode.PosFixedNumHigh || (c >= msgpcode.Uint8 && c <= msgpcode.Uint64):
		v, err := m.dec.DecodeUint64()
		if err != nil {
			return err
		}
		m.tmp = strconv.AppendUint(m.tmp[:0], v, 10)
		m.out.write(m.tmp)
	case c >= msgpcode.NegFixedNumLow || (c >= msgpcode.Int8 && c <= msgpcode.Int64):
		v, err := m.dec.DecodeInt64()
		if err != nil {
			return err
		}
		m.tmp = strconv.AppendInt(m.tmp[:0], v, 10)
		m.out.write(m.tmp)
	case c == msgpcode.Float:
		v, err := m.dec.DecodeFloat32()
		if err != nil {
			return err
		}
		m.tmp = appendJSONFloat(m.tmp[:0], float64(v), 32)
		m.out.write(m.tmp)
	case c == msgpcode.Double:
		v, err := m.dec.DecodeFloat64()
		if err != nil {
			return err
		}
		m.tmp = appendJSONFloat(m.tmp[:0], v, 64)
		m.out.write(m.tmp)
	case msgpcode.IsString(c):
		s, err := m.rawBytes()
		if err != nil {
			return err
		}
		m.tmp = appendJSONString(m.tmp[:0], s)
		m.out.write(m.tmp)
	case msgpcode.IsBin(c):
		b, err := m.rawBytes()
		if err != nil {
			return err
		}
		m.out.writeByte('"')
		m.out.writeString(base64.StdEncoding.EncodeToString(b))
		m.out.writeByte('"')
	case msgpcode.IsExt(c):
		typ, n, err := m.dec.DecodeExtHeader()
		if err != nil {
			return err
		}
		data, err := m.readLen(n)
		if err != nil {
			return err
		}
		m.out.writeString(`{"$ext":`)
		m.out.writeString(strconv.Itoa(int(typ)))
		m.out.writeString(`,"data":"`)
		m.out.writeString(base64.StdEncoding.EncodeToString(data))
		m.out.writeString(`"}`)
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := m.dec.DecodeArrayLen()
		if err != nil {
			return err
		}
		m.out.writeByte('[')
		for i := 0; i < n; i++ {
			if i > 0 {
				m.out.writeByte(',')
			}
			if err := m.value(depth + 1); err != nil {
				return err
			}
		}
		m.out.writeByte(']')
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := m.dec.DecodeMapLen()
		if err != nil {
			return err
		}
		m.out.writeByte('{')
		for i := 0; i < n; i++ {
			if i > 0 {
				m.out.writeByte(',')
			}
			if err := m.key(depth + 1); err != nil {
				return err
			}
			m.out.writeByte(':')
			if err := m.value(depth + 1); err != nil {
				return err
			}
		}
		m.out.writeByte('}')
	default:
		return fmt.Errorf("msgpack: invalid code 0x%02x", c)
	}
	return nil
}

// rawBytes reads a str or bin payload.
func (m *msgpackRenderer) rawBytes() ([]byte, error) {
	n, err := m.dec.DecodeBytesLen()
	if err != nil {
		return nil, err
	}
	return m.readLen(n)
}

// key writes a map key. A string key is used as is; any other key is
// rendered as JSON and that text becomes the key, since JSON keys must be
// strings.
func (m *msgpackRenderer) key(depth int) error {
	c, err := m.dec.PeekCode()
	if err != nil {
		return err
	}
	if msgpcode.IsString(c) {
		return m.value(depth)
	}
	// Render the key into a scratch renderer that shares the decoder, then
	// quote what it produced.
	sub := msgpackRenderer{dec: m.dec, r: m.r, out: cappedOut{limit: max(m.out.limit-len(m.out.buf), 0)}}
	if err := sub.value(depth); err != nil {
		return err
	}
	if sub.out.capped {
		m.out.capped = true
		return nil
	}
	m.tmp = appendJSONString(m.tmp[:0], sub.out.buf)
	m.out.write(m.tmp)
	return nil
}

// appendJSONString quotes s as a JSON string that is safe on a terminal:
// control characters, DEL and C1 are \u-escaped and invalid UTF-8 becomes
// \ufffd.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hexDigitsLower[c>>4], hexDigitsLower[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r >= 0x80 && r <= 0x9f:
			dst = append(dst, '\\', 'u', '0', '0', hexDigitsLower[r>>4], hexDigitsLower[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// appendJSONFloat formats like encoding/json; NaN and infinities, which JSON
// cannot hold, become the strings "NaN", "+Inf", "-Inf".
func appendJSONFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Inf"`...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// errNotMsgpack is returned when b is not a MessagePack map or array.
var errNotMsgpack = errors.New("msgpack: not a map or array")

// formatMsgpack renders a top-level MessagePack map or array as pretty JSON
// of at most limit bytes.
func formatMsgpack(b []byte, limit int) (prettyJSON, error) {
	if !isMsgpackContainerStart(b) {
		return prettyJSON{}, errNotMsgpack
	}
	compact, err := msgpackToJSON(b, limit)
	if err != nil {
		return prettyJSON{}, err
	}
	pretty, err := formatJSON(compact.json, limit)
	pretty.capped = pretty.capped || compact.capped
	if err != nil && compact.capped {
		// The compact JSON was cut by the cap, so it cannot parse to the end;
		// what formatJSON printed is still the right prefix.
		return pretty, nil
	}
	return pretty, err
}

// cappedOut collects output up to a limit. Past the limit it keeps
// accepting writes but drops them, so the input can still be walked to the
// end and validated.
type cappedOut struct {
	buf    []byte
	limit  int
	capped bool
}

func (p *cappedOut) write(b []byte) {
	if p.capped {
		return
	}
	if len(p.buf)+len(b) > p.limit {
		p.buf = append(p.buf, b[:p.limit-len(p.buf)]...)
		p.capped = true
		return
	}
	p.buf = append(p.buf, b...)
}

func (p *cappedOut) writeString(s string) {
	if p.capped {
		return
	}
	if len(p.buf)+len(s) > p.limit {
		p.buf = append(p.buf, s[:p.limit-len(p.buf)]...)
		p.capped = true
		return
	}
	p.buf = append(p.buf, s...)
}

func (p *cappedOut) writeByte(c byte) {
	if p.capped {
		return
	}
	if len(p.buf) >= p.limit {
		p.capped = true
		return
	}
	p.buf = append(p.buf, c)
}
