package decode

import "bytes"

// hexDump renders b like `hexdump -C`: offset, 16 bytes in two groups of 8,
// the printable-ASCII column, a lone "*" for runs of repeated lines, and the
// total length as the last line. Non-printable bytes show as '.', so the
// dump is always safe to write to a terminal.
func hexDump(b []byte) string {
	const hexDigits = "0123456789abcdef"
	lines := (len(b) + 15) / 16
	out := make([]byte, 0, lines*79+10)
	appendOffset := func(off int) {
		for shift := 28; shift >= 0; shift -= 4 {
			out = append(out, hexDigits[(off>>shift)&0xf])
		}
	}
	var prev []byte
	starred := false
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		if len(line) == 16 && prev != nil && bytes.Equal(line, prev) {
			if !starred {
				out = append(out, "*\n"...)
				starred = true
			}
			continue
		}
		prev, starred = line, false
		appendOffset(off)
		out = append(out, ' ', ' ')
		for i := range 16 {
			if i == 8 {
				out = append(out, ' ')
			}
			if i < len(line) {
				out = append(out, hexDigits[line[i]>>4], hexDigits[line[i]&0xf], ' ')
			} else {
				out = append(out, ' ', ' ', ' ')
			}
		}
		out = append(out, ' ', '|')
		for _, c := range line {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			out = append(out, c)
		}
		out = append(out, '|', '\n')
	}
	appendOffset(len(b))
	out = append(out, '\n')
	return string(out)
}
