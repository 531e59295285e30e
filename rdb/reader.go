package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Limits against hostile input. A claimed length never allocates by itself:
// strings are read in chunks, so a lying header fails at the end of the
// data, having allocated no more than the data that was really there.
const (
	// MaxString is the longest string accepted (Redis's proto-max-bulk-len
	// default).
	MaxString = 512 << 20
	// MaxElements caps a collection's claimed element count.
	MaxElements = 1 << 32
	// maxLZFRatio: LZF expands at most 33 bytes of output per 2 bytes of
	// input (a back reference of 264 bytes costs 3): a larger claimed
	// length is a lie.
	maxLZFRatio = 132
	bufSize     = 64 << 10
	chunk       = 1 << 20
)

// reader consumes an RDB stream, keeping a running CRC64 of every byte
// consumed and the offset (for error messages).
type reader struct {
	src      io.Reader
	buf      []byte
	pos, end int
	crcFrom  int // buf[crcFrom:pos] is consumed but not yet in crc
	crc      uint64
	base     int64 // offset of buf[0] in the stream
	scratch  []byte
	lzfIn    []byte
}

func newReader(src io.Reader) *reader {
	return &reader{src: src, buf: make([]byte, bufSize)}
}

// newBytesReader reads p in place (a DUMP payload): no buffer, no copy;
// p is never written to.
func newBytesReader(p []byte) *reader {
	return &reader{buf: p, end: len(p)}
}

// offset is the number of bytes consumed.
func (r *reader) offset() int64 { return r.base + int64(r.pos) }

// sum brings the CRC up to date with what is consumed.
func (r *reader) sum() uint64 {
	if r.crcFrom < r.pos {
		r.crc = crcUpdate(r.crc, r.buf[r.crcFrom:r.pos])
		r.crcFrom = r.pos
	}
	return r.crc
}

// fill makes at least n (≤ len(buf)) unread bytes available.
func (r *reader) fill(n int) error {
	if r.end-r.pos >= n {
		return nil
	}
	if r.src == nil {
		return io.ErrUnexpectedEOF // a bytes reader has it all already
	}
	r.sum()
	copy(r.buf, r.buf[r.pos:r.end])
	r.base += int64(r.pos)
	r.end -= r.pos
	r.pos, r.crcFrom = 0, 0
	for r.end < n {
		m, err := r.src.Read(r.buf[r.end:])
		r.end += m
		if err != nil {
			if r.end >= n {
				return nil
			}
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

func (r *reader) byte() (byte, error) {
	if r.pos >= r.end {
		if err := r.fill(1); err != nil {
			return 0, err
		}
	}
	b := r.buf[r.pos]
	r.pos++
	return b, nil
}

// small returns the next n (≤ bufSize) bytes, valid until the next read.
func (r *reader) small(n int) ([]byte, error) {
	if err := r.fill(n); err != nil {
		return nil, err
	}
	p := r.buf[r.pos : r.pos+n]
	r.pos += n
	return p, nil
}

// read appends the next n bytes to dst, a chunk at a time.
func (r *reader) read(dst []byte, n int64) ([]byte, error) {
	for n > 0 {
		if r.pos == r.end {
			if err := r.fill(1); err != nil {
				return dst, err
			}
		}
		m := min(int64(r.end-r.pos), n)
		dst = append(dst, r.buf[r.pos:r.pos+int(m)]...)
		r.pos += int(m)
		n -= m
	}
	return dst, nil
}

// skip consumes n bytes without keeping them (they still enter the CRC).
func (r *reader) skip(n int64) error {
	for n > 0 {
		if r.pos == r.end {
			if err := r.fill(1); err != nil {
				return err
			}
		}
		m := min(int64(r.end-r.pos), n)
		r.pos += int(m)
		n -= m
	}
	return nil
}

func (r *reader) uint32LE() (uint32, error) {
	p, err := r.small(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(p), nil
}

func (r *reader) uint64LE() (uint64, error) {
	p, err := r.small(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(p), nil
}

// Length encodings (the top two bits of the first byte).
const (
	len6     = 0
	len14    = 1
	len32or6 = 2
	lenEnc   = 3
	len32    = 0x80
	len64    = 0x81
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// length reads a length; encoded is set (and the value is the encoding
// type) for the special string encodings.
func (r *reader) length() (n uint64, encoded bool, err error) {
	b, err := r.byte()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case len6:
		return uint64(b & 0x3f), false, nil
	case len14:
		b2, err := r.byte()
		return uint64(b&0x3f)<<8 | uint64(b2), false, err
	case lenEnc:
		return uint64(b & 0x3f), true, nil
	}
	switch b {
	case len32:
		p, err := r.small(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(p)), false, nil
	case len64:
		p, err := r.small(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(p), false, nil
	}
	return 0, false, fmt.Errorf("unknown length encoding 0x%02x", b)
}

// plainLength is a length that must not be a string encoding.
func (r *reader) plainLength(what string) (uint64, error) {
	n, enc, err := r.length()
	if err == nil && enc {
		err = fmt.Errorf("%s: a string encoding where a length belongs", what)
	}
	return n, err
}

// count is an element count, bounded.
func (r *reader) count(what string) (int64, error) {
	n, err := r.plainLength(what)
	if err != nil {
		return 0, err
	}
	if n > MaxElements {
		return 0, fmt.Errorf("%s: claims %d elements (limit %d)", what, n, int64(MaxElements))
	}
	return int64(n), nil
}

// str is one string of the file: its logical length and, when asked for,
// its bytes (valid until the next read).
type str struct {
	n     int64
	data  []byte
	isInt bool // written with an integer encoding
}

// string reads a string. One of at most keepMax bytes comes back with its
// bytes (decompressed); a longer one is skipped and only its length known.
// An integer encoding always comes back as decimal text.
func (r *reader) string(keepMax int64) (str, error) {
	n, enc, err := r.length()
	if err != nil {
		return str{}, err
	}
	if enc {
		var v int64
		switch n {
		case encInt8:
			b, err := r.byte()
			if err != nil {
				return str{}, err
			}
			v = int64(int8(b))
		case encInt16:
			p, err := r.small(2)
			if err != nil {
				return str{}, err
			}
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		case encInt32:
			p, err := r.small(4)
			if err != nil {
				return str{}, err
			}
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		case encLZF:
			return r.lzf(keepMax)
		default:
			return str{}, fmt.Errorf("unknown string encoding %d", n)
		}
		r.scratch = strconv.AppendInt(r.scratch[:0], v, 10)
		return str{n: int64(len(r.scratch)), data: r.scratch, isInt: true}, nil
	}
	if n > MaxString {
		return str{}, fmt.Errorf("string of %d bytes (limit %d)", n, MaxString)
	}
	if int64(n) > keepMax {
		return str{n: int64(n)}, r.skip(int64(n))
	}
	if n <= bufSize {
		p, err := r.small(int(n))
		return str{n: int64(n), data: p}, err
	}
	r.scratch, err = r.read(r.scratch[:0], int64(n))
	return str{n: int64(n), data: r.scratch}, err
}

func (r *reader) lzf(keepMax int64) (str, error) {
	clen, err := r.plainLength("compressed string")
	if err != nil {
		return str{}, err
	}
	ulen, err := r.plainLength("compressed string")
	if err != nil {
		return str{}, err
	}
	if clen > MaxString || ulen > MaxString || ulen > clen*maxLZFRatio || (ulen == 0) != (clen == 0) {
		return str{}, fmt.Errorf("compressed string claims %d bytes from %d", ulen, clen)
	}
	if int64(ulen) > keepMax {
		return str{n: int64(ulen)}, r.skip(int64(clen))
	}
	// The compressed bytes are read first, so the allocation for the
	// output is bounded by what the file really holds.
	r.lzfIn, err = r.read(r.lzfIn[:0], int64(clen))
	if err != nil {
		return str{}, err
	}
	if cap(r.scratch) < int(ulen) {
		r.scratch = make([]byte, ulen)
	}
	out := r.scratch[:ulen]
	if err := lzfDecompress(r.lzfIn, out); err != nil {
		return str{}, err
	}
	return str{n: int64(ulen), data: out}, nil
}

// doubleString reads the old text encoding of a double (ZSET type 3).
func (r *reader) doubleString() (float64, error) {
	n, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	p, err := r.small(int(n))
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(p), 64)
	if err != nil {
		return 0, errors.New("score is not a number")
	}
	return f, nil
}
