package decode

import "bytes"

const hexDigits = "0123456789abcdef"

// HexDump renders b like `hexdump -C`: an offset, bytesPerLine bytes (16
// puts an extra space after the eighth), and the printable-ASCII column.
// collapse replaces runs of repeated full lines with one "*" line, as
// hexdump does; a scrolling view passes false so that every line stands
// for its offset. Non-printable bytes show as '.', so the dump is always
// safe to write to a terminal. Lines are joined by '\n', with none after
// the last.
func HexDump(b []byte, bytesPerLine int, collapse bool) string {
	if bytesPerLine <= 0 {
		bytesPerLine = 16
	}
	lineLen := 10 + 4*bytesPerLine + 4
	out := make([]byte, 0, (len(b)+bytesPerLine-1)/bytesPerLine*lineLen)
	var prev []byte
	starred := false
	for off := 0; off < len(b); off += bytesPerLine {
		line := b[off:min(off+bytesPerLine, len(b))]
		if collapse && len(line) == bytesPerLine && prev != nil && bytes.Equal(line, prev) {
			if !starred {
				out = append(out, "*\n"...)
				starred = true
			}
			continue
		}
		prev, starred = line, false
		out = appendOffset(out, off)
		out = append(out, ' ', ' ')
		for i := range bytesPerLine {
			if i == 8 && bytesPerLine == 16 {
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
	return string(bytes.TrimSuffix(out, []byte{'\n'}))
}

// hexDump is the `hexdump -C` form of a binary value: HexDump with
// repeated lines collapsed, then the total length as the last line.
func hexDump(b []byte) string {
	out := HexDump(b, 16, true)
	if out != "" {
		out += "\n"
	}
	return out + string(appendOffset(nil, len(b))) + "\n"
}

func appendOffset(out []byte, off int) []byte {
	for shift := 28; shift >= 0; shift -= 4 {
		out = append(out, hexDigits[(off>>shift)&0xf])
	}
	return out
}
