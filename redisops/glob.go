package redisops

// GlobMatch reports whether key matches pattern exactly as SCAN MATCH
// does: a port of Redis's stringmatchlen (util.c, case-sensitive), so
// that a filter applied to a backup file picks the keys SCAN would. *, ?,
// [abc], [^abc], [a-z] (ends in either order) and \ escapes; an
// unterminated [ ends at the pattern's end; ranges compare bytes as C's
// signed char, like Redis.
func GlobMatch(pattern, key string) bool {
	skip := false
	return globMatch(pattern, key, &skip, 0)
}

func globMatch(p, s string, skipLonger *bool, nesting int) bool {
	// Redis stops at this depth too (CVE-2022-36021).
	if nesting > 1000 {
		return false
	}
	// C strings end in NUL: reading one past the end gives 0.
	at := func(str string, i int) byte {
		if i >= 0 && i < len(str) {
			return str[i]
		}
		return 0
	}
	// Each case consumes what it matched from p and s.
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && at(p, 1) == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if globMatch(p[1:], s, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			*skipLonger = true
			return false
		case '?':
			p, s = p[1:], s[1:]
		case '[':
			class := p[1:]
			not := at(class, 0) == '^'
			if not {
				class = class[1:]
			}
			// i is C's pattern pointer within class; len(class)-i its
			// patternLen. It ends on the ']' (or, unterminated, on the
			// last byte of the pattern, which may be the '[' or '^').
			match := false
			i := 0
			for {
				left := len(class) - i
				if at(class, i) == '\\' && left >= 2 {
					i++
					if class[i] == s[0] {
						match = true
					}
				} else if at(class, i) == ']' {
					break
				} else if left == 0 {
					i--
					break
				} else if left >= 3 && class[i+1] == '-' {
					start, end, c := int8(class[i]), int8(class[i+2]), int8(s[0])
					if start > end {
						start, end = end, start
					}
					i += 2
					if c >= start && c <= end {
						match = true
					}
				} else if class[i] == s[0] {
					match = true
				}
				i++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			p, s = class[i+1:], s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			if p[0] != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		default:
			if p[0] != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}
