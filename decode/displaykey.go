package decode

import (
	"unicode"
	"unicode/utf8"
)

// DisplayKey is how cachedeck shows a key on one line: the key itself when
// it is printable UTF-8 and cannot be mistaken for another key, otherwise
// QuoteKey's escaped form. The empty key is shown as "".
func DisplayKey(key string) string {
	// Quoted too: the empty key, a key that starts like a quoted form, and
	// keys with leading or trailing spaces, which would look like another
	// key (or like nothing) when shown bare.
	if key == "" || key[0] == '"' || key[0] == ' ' || key[len(key)-1] == ' ' {
		return QuoteKey(key)
	}
	if printableASCII(key) {
		return key // the common case, without decoding runes
	}
	if !utf8.ValidString(key) {
		return QuoteKey(key)
	}
	for _, r := range key {
		if !unicode.IsPrint(r) {
			return QuoteKey(key)
		}
	}
	return key
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// DisplayKeys is DisplayKey of each key (patterns in audit lines and
// previews).
func DisplayKeys(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = DisplayKey(k)
	}
	return out
}
