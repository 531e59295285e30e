package rdb

import "errors"

var errLZF = errors.New("corrupt LZF data")

// lzfDecompress expands in into out, which must have exactly the expected
// length (the RDB header gives it). Every back reference is checked.
func lzfDecompress(in, out []byte) error {
	ip, op := 0, 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 32 { // literal run of ctrl+1 bytes
			n := ctrl + 1
			if ip+n > len(in) || op+n > len(out) {
				return errLZF
			}
			copy(out[op:], in[ip:ip+n])
			ip += n
			op += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(in) {
				return errLZF
			}
			n += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return errLZF
		}
		ref := op - ((ctrl&0x1f)<<8 | int(in[ip])) - 1
		ip++
		n += 2
		if ref < 0 || op+n > len(out) {
			return errLZF
		}
		// Byte by byte: the source may overlap what is being written.
		for i := 0; i < n; i++ {
			out[op] = out[ref]
			op++
			ref++
		}
	}
	if op != len(out) {
		return errLZF
	}
	return nil
}
