package decode

// QuoteKey renders a key the way redis-cli does (its sdscatrepr): always a
// double-quoted string in which printable ASCII stands as is and everything
// else is escaped: \n \r \t \a \b \" \\ and \xhh for any other byte. Keys are
// arbitrary bytes, so this is the one rendering that cannot smuggle a
// terminal escape sequence onto the screen and that shows every byte,
// including invalid UTF-8. The empty key is "".
func QuoteKey(key string) string {
	const hexDigits = "0123456789abcdef"
	b := make([]byte, 0, len(key)+2)
	b = append(b, '"')
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			}
		}
	}
	return string(append(b, '"'))
}
