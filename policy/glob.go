package policy

import (
	"errors"
	"strings"
)

// glob is a compiled Redis glob pattern (the syntax of SCAN MATCH: *, ?,
// [abc], [^a-z], and \ escaping the next byte). Matching is byte-wise and
// case-sensitive, like the server's, so a policy pattern selects in the
// audit exactly what SCAN MATCH selects in a fix.
type glob struct {
	pattern string
	prefix  string // literal bytes before the first wildcard: a cheap reject
	tokens  []token
}

type tokenKind uint8

const (
	tokLiteral tokenKind = iota
	tokAny               // ?
	tokStar              // *
	tokClass             // [...]
)

type token struct {
	kind   tokenKind
	lit    byte
	negate bool
	set    [256 / 64]uint64 // bytes the class matches
}

func (t *token) matches(c byte) bool {
	switch t.kind {
	case tokLiteral:
		return c == t.lit
	case tokAny:
		return true
	case tokClass:
		in := t.set[c/64]&(1<<(c%64)) != 0
		return in != t.negate
	}
	return false
}

func compileGlob(p string) (glob, error) {
	g := glob{pattern: p}
	literalPrefix := true
	var prefix strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		var t token
		switch c {
		case '*':
			if n := len(g.tokens); n > 0 && g.tokens[n-1].kind == tokStar {
				continue
			}
			t.kind = tokStar
		case '?':
			t.kind = tokAny
		case '\\':
			if i+1 < len(p) {
				i++
			}
			t.kind, t.lit = tokLiteral, p[i]
		case '[':
			t.kind = tokClass
			i++
			if i < len(p) && p[i] == '^' {
				t.negate = true
				i++
			}
			closed := false
			for ; i < len(p); i++ {
				c := p[i]
				if c == ']' {
					closed = true
					break
				}
				if c == '\\' && i+1 < len(p) {
					i++
					c = p[i]
				}
				if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
					lo, hi := c, p[i+2]
					if p[i+2] == '\\' && i+3 < len(p) {
						hi = p[i+3]
						i++
					}
					i += 2
					if lo > hi {
						lo, hi = hi, lo
					}
					for b := int(lo); b <= int(hi); b++ {
						t.set[b/64] |= 1 << (b % 64)
					}
					continue
				}
				t.set[c/64] |= 1 << (c % 64)
			}
			if !closed {
				return glob{}, errors.New("a [ has no closing ]")
			}
		default:
			t.kind, t.lit = tokLiteral, c
		}
		if t.kind != tokLiteral {
			literalPrefix = false
		} else if literalPrefix {
			prefix.WriteByte(t.lit)
		}
		g.tokens = append(g.tokens, t)
	}
	g.prefix = prefix.String()
	return g, nil
}

// match reports whether the whole of s matches. Every token but * matches
// exactly one byte, so backtracking to the last * is enough.
func (g *glob) match(s string) bool {
	if !strings.HasPrefix(s, g.prefix) {
		return false
	}
	ti, si := 0, 0
	star, starS := -1, 0
	for si < len(s) {
		switch {
		case ti < len(g.tokens) && g.tokens[ti].kind == tokStar:
			star, starS = ti, si
			ti++
		case ti < len(g.tokens) && g.tokens[ti].matches(s[si]):
			ti++
			si++
		case star >= 0:
			ti = star + 1
			starS++
			si = starS
		default:
			return false
		}
	}
	for ti < len(g.tokens) && g.tokens[ti].kind == tokStar {
		ti++
	}
	return ti == len(g.tokens)
}

// Glob reports whether key matches the Redis glob pattern (for callers
// outside the policy, e.g. tests comparing with SCAN MATCH).
func Glob(pattern, key string) (bool, error) {
	g, err := compileGlob(pattern)
	if err != nil {
		return false, err
	}
	return g.match(key), nil
}
