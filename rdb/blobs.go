package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The compact encodings arrive as one string each (a listpack, a ziplist,
// an intset, a zipmap). Each is walked to the end, every entry bounded by
// the blob, so a damaged one is an error here and not in the server that
// loads it.

var (
	errListpack = errors.New("corrupt listpack")
	errZiplist  = errors.New("corrupt ziplist")
	errIntset   = errors.New("corrupt intset")
	errZipmap   = errors.New("corrupt zipmap")
)

// listpackEntries checks a listpack and counts its entries. each, when
// set, gets each entry's string length (integers: their decimal length).
func listpackEntries(lp []byte, each func(strLen int)) (int64, error) {
	if len(lp) < 7 || binary.LittleEndian.Uint32(lp) != uint32(len(lp)) || lp[len(lp)-1] != 0xff {
		return 0, errListpack
	}
	claimed := int64(binary.LittleEndian.Uint16(lp[4:]))
	var n int64
	p := 6
	for {
		if p >= len(lp) {
			return 0, errListpack
		}
		b := lp[p]
		if b == 0xff {
			if p != len(lp)-1 || (claimed != 65535 && claimed != n) {
				return 0, errListpack
			}
			return n, nil
		}
		var head, data, strLen int
		switch {
		case b&0x80 == 0: // 7-bit uint
			head, strLen = 1, decLen(int64(b&0x7f))
		case b&0xc0 == 0x80: // 6-bit string length
			head, data = 1, int(b&0x3f)
			strLen = data
		case b&0xe0 == 0xc0: // 13-bit int
			if p+1 >= len(lp) {
				return 0, errListpack
			}
			v := int64(b&0x1f)<<8 | int64(lp[p+1])
			if v >= 1<<12 {
				v -= 1 << 13
			}
			head, strLen = 2, decLen(v)
		case b&0xf0 == 0xe0: // 12-bit string length
			if p+1 >= len(lp) {
				return 0, errListpack
			}
			head, data = 2, int(b&0x0f)<<8|int(lp[p+1])
			strLen = data
		case b == 0xf0: // 32-bit string length
			if p+5 > len(lp) {
				return 0, errListpack
			}
			l := binary.LittleEndian.Uint32(lp[p+1:])
			if int64(l) > int64(len(lp)) {
				return 0, errListpack
			}
			head, data = 5, int(l)
			strLen = data
		case b >= 0xf1 && b <= 0xf4:
			size := [...]int{2, 3, 4, 8}[b-0xf1]
			if p+1+size > len(lp) {
				return 0, errListpack
			}
			head = 1 + size
			strLen = decLen(lpInt(lp[p+1 : p+1+size]))
		default:
			return 0, errListpack
		}
		entry := head + data
		if p+entry > len(lp) {
			return 0, errListpack
		}
		p += entry + backlenSize(entry)
		if p > len(lp)-1 {
			return 0, errListpack
		}
		n++
		if each != nil {
			each(strLen)
		}
	}
}

// lpInt decodes a little-endian signed integer of 2, 3, 4 or 8 bytes.
func lpInt(p []byte) int64 {
	var u uint64
	for i := len(p) - 1; i >= 0; i-- {
		u = u<<8 | uint64(p[i])
	}
	shift := 64 - 8*uint(len(p))
	return int64(u<<shift) >> shift
}

func backlenSize(l int) int {
	switch {
	case l < 128:
		return 1
	case l < 16384:
		return 2
	case l < 2097152:
		return 3
	case l < 268435456:
		return 4
	}
	return 5
}

// decLen is the length of v in decimal.
func decLen(v int64) int {
	n := 1
	if v < 0 {
		n++
		if v == -1<<63 {
			return 20
		}
		v = -v
	}
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// ziplistEntries checks a ziplist (RDB 9 and older) and counts entries.
func ziplistEntries(zl []byte, each func(strLen int)) (int64, error) {
	if len(zl) < 11 || binary.LittleEndian.Uint32(zl) != uint32(len(zl)) || zl[len(zl)-1] != 0xff {
		return 0, errZiplist
	}
	claimed := int64(binary.LittleEndian.Uint16(zl[8:]))
	var n int64
	p := 10
	for {
		if p >= len(zl) {
			return 0, errZiplist
		}
		if zl[p] == 0xff {
			if p != len(zl)-1 || (claimed != 65535 && claimed != n) {
				return 0, errZiplist
			}
			return n, nil
		}
		if zl[p] == 0xfe {
			p += 5
		} else {
			p++
		}
		if p >= len(zl) {
			return 0, errZiplist
		}
		b := zl[p]
		var head, data, strLen int
		switch b >> 6 {
		case 0:
			head, data = 1, int(b&0x3f)
			strLen = data
		case 1:
			if p+1 >= len(zl) {
				return 0, errZiplist
			}
			head, data = 2, int(b&0x3f)<<8|int(zl[p+1])
			strLen = data
		case 2:
			if p+5 > len(zl) {
				return 0, errZiplist
			}
			l := binary.BigEndian.Uint32(zl[p+1:])
			if int64(l) > int64(len(zl)) {
				return 0, errZiplist
			}
			head, data = 5, int(l)
			strLen = data
		default:
			switch b {
			case 0xc0:
				head, data = 1, 2
			case 0xd0:
				head, data = 1, 4
			case 0xe0:
				head, data = 1, 8
			case 0xf0:
				head, data = 1, 3
			case 0xfe:
				head, data = 1, 1
			default:
				if b < 0xf1 || b > 0xfd {
					return 0, errZiplist
				}
				head = 1
			}
			strLen = 4 // a typical integer's length; ziplists are converted on load anyway
		}
		p += head + data
		if p > len(zl)-1 {
			return 0, errZiplist
		}
		n++
		if each != nil {
			each(strLen)
		}
	}
}

// intsetEntries checks an intset.
func intsetEntries(is []byte) (int64, error) {
	if len(is) < 8 {
		return 0, errIntset
	}
	enc := binary.LittleEndian.Uint32(is)
	n := binary.LittleEndian.Uint32(is[4:])
	if enc != 2 && enc != 4 && enc != 8 || int64(len(is)) != 8+int64(enc)*int64(n) {
		return 0, errIntset
	}
	return int64(n), nil
}

// zipmapEntries checks a zipmap (RDB 3 and older hashes) and counts its
// field/value pairs.
func zipmapEntries(zm []byte) (int64, error) {
	if len(zm) < 2 || zm[len(zm)-1] != 0xff {
		return 0, errZipmap
	}
	p := 1
	var n int64
	readLen := func() (int, bool) {
		if p >= len(zm) {
			return 0, false
		}
		b := zm[p]
		if b < 254 {
			p++
			return int(b), true
		}
		if b == 254 && p+5 <= len(zm) {
			l := binary.LittleEndian.Uint32(zm[p+1:])
			p += 5
			return int(l), int64(l) <= int64(len(zm))
		}
		return 0, false
	}
	for {
		if p >= len(zm) {
			return 0, errZipmap
		}
		if zm[p] == 0xff {
			if p != len(zm)-1 {
				return 0, errZipmap
			}
			return n, nil
		}
		fl, ok := readLen()
		if !ok || p+fl > len(zm) {
			return 0, errZipmap
		}
		p += fl
		vl, ok := readLen()
		if !ok || p >= len(zm) {
			return 0, errZipmap
		}
		free := int(zm[p])
		p++
		if p+vl+free > len(zm) {
			return 0, errZipmap
		}
		p += vl + free
		n++
	}
}

func blobErr(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }
