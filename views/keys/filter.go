package keys

import (
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

// filterState is the local filter over the loaded keys: a case-insensitive
// substring by default (what people expect of "/"), fuzzy (the query's
// characters in order) when the query starts with fuzzyMark. Matches are a
// bitset over store indices; the rows are the matching keys in display
// order. A large filter runs in a command; typing cancels the one running
// (gen) and results of an old query are dropped (seq).
type filterState struct {
	query   string // as typed; "" when off
	q       []rune // query folded to lower case, without fuzzyMark
	fuzzy   bool   // the query started with fuzzyMark
	seq     uint64 // the filter command in flight, 0 for none
	gen     *atomic.Uint64
	bits    []uint64 // match bit per key, valid for [0, upTo) of query's result
	upTo    int
	ready   bool // bits belong to query (else they are an older query's, kept on screen meanwhile)
	rows    []int32
	matches int
}

func (f *filterState) cancel() {
	if f.gen == nil {
		f.gen = new(atomic.Uint64)
	}
	f.gen.Add(1)
	f.seq = 0
}

// restart drops the matches when the keys are reloaded: with no bits yet,
// the next rebuild filters the new keys as they arrive.
func (f *filterState) restart() {
	f.cancel()
	f.bits, f.upTo, f.rows, f.matches = nil, 0, nil, 0
	f.ready = f.query != ""
}

// showing reports whether the rows are the filter's: a query is set and
// there are results for it, or for an earlier query while it runs.
func (f *filterState) showing() bool { return f.query != "" && (f.ready || f.rows != nil) }

type filterMsg struct {
	seq, scan uint64
	n         int
	bits      []uint64
}

// fuzzyMark at the start of a query asks for a fuzzy match.
const fuzzyMark = "~"

// parseQuery splits a typed query into its folded runes and its mode.
func parseQuery(query string) (q []rune, fuzzy bool) {
	if rest, ok := strings.CutPrefix(query, fuzzyMark); ok {
		return foldQuery(rest), true
	}
	return foldQuery(query), false
}

// matcher is the match function of a mode.
func matcher(fuzzyMode bool) func(string, []rune) bool {
	if fuzzyMode {
		return fuzzy
	}
	return substring
}

// substring reports whether q (folded) occurs in s, case-insensitively.
// An ASCII query is compared byte by byte: its bytes never occur inside a
// multi-byte rune, so UTF-8 keys need no decoding.
func substring(s string, q []rune) bool {
	if len(q) == 0 {
		return true
	}
	ascii := true
	for _, r := range q {
		if r >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		return strings.Contains(strings.ToLower(s), string(q))
	}
	n := len(q)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if rune(c) != q[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

func foldQuery(q string) []rune {
	out := make([]rune, 0, len(q))
	for _, r := range q {
		out = append(out, unicode.ToLower(r))
	}
	return out
}

// fuzzy reports whether q's runes appear in s in order (case-insensitive).
func fuzzy(s string, q []rune) bool {
	j := 0
	for i := 0; i < len(s) && j < len(q); {
		c := s[i]
		var r rune
		if c < utf8.RuneSelf {
			r = rune(c)
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			i++
		} else {
			var n int
			r, n = utf8.DecodeRuneInString(s[i:])
			r = unicode.ToLower(r)
			i += n
		}
		if r == q[j] {
			j++
		}
	}
	return j == len(q)
}

// matchKeys sets the bits of keys[from:] that match q, as the key is shown
// (showKey: what the operator sees is what the filter matches). It
// gives up, returning false, when stop says so.
func matchKeys(keys keySnap, from int, q []rune, fuzzyMode bool, bits []uint64, stop func() bool) bool {
	match := matcher(fuzzyMode)
	for i := from; i < keys.n; i++ {
		if i&8191 == 0 && stop != nil && stop() {
			return false
		}
		if match(showKey(keys.key(i)), q) {
			bits[i>>6] |= 1 << (i & 63)
		}
	}
	return true
}

func growBits(bits []uint64, n int) []uint64 {
	words := (n + 63) >> 6
	if words > len(bits) {
		bits = append(bits, make([]uint64, words-len(bits))...)
	}
	return bits
}

// setFilter applies a new query: at once for a small store, else in a
// command; the rows shown meanwhile are the previous query's.
func (m *Model) setFilter(query string) tea.Cmd {
	f := &m.filter
	if query == f.query {
		return nil
	}
	f.cancel()
	f.query = query
	f.q, f.fuzzy = parseQuery(query)
	if query == "" {
		f.bits, f.upTo, f.rows, f.matches, f.ready = nil, 0, nil, 0, false
		m.rebuild()
		return nil
	}
	n := m.st.len()
	if n <= syncWorkMax {
		f.bits, f.upTo, f.ready = nil, 0, true
		m.rebuild() // filters keys [upTo, n) as it goes
		return nil
	}
	f.ready = false
	seq := nextSeq()
	f.seq = seq
	gen, want := f.gen, f.gen.Load()
	keys, q, fz, scan := m.st.snapshot(), f.q, f.fuzzy, m.scanID
	return func() tea.Msg {
		bits := make([]uint64, (n+63)>>6)
		if !matchKeys(keys, 0, q, fz, bits, func() bool { return gen.Load() != want }) {
			return nil
		}
		return filterMsg{seq: seq, scan: scan, n: n, bits: bits}
	}
}

func (m *Model) applyFilter(msg filterMsg) {
	f := &m.filter
	if msg.seq != f.seq || msg.scan != m.scanID {
		return
	}
	f.seq = 0
	f.bits, f.upTo, f.ready = msg.bits, msg.n, true
	m.rebuild()
}

// refresh brings the matches up to the loaded keys (the keys that arrived
// since) and lists them in display order. Called by buildRows.
func (f *filterState) refresh(m *Model) []int32 {
	if !f.ready { // the query's results are not in: keep the old rows
		return f.rows
	}
	n := m.st.len()
	if f.upTo < n {
		f.bits = growBits(f.bits, n)
		matchKeys(m.st.snapshot(), f.upTo, f.q, f.fuzzy, f.bits, nil)
		f.upTo = n
	}
	rows := f.rows[:0]
	if rows == nil {
		rows = make([]int32, 0, 64)
	}
	for _, i := range m.order[:n] {
		if f.bits[i>>6]&(1<<(i&63)) != 0 {
			rows = append(rows, i)
		}
	}
	f.rows, f.matches = rows, len(rows)
	return rows
}

// clean makes text from outside (errors, typed globs) safe for one line.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			if r == '\n' || r == '\t' {
				return ' '
			}
			return '?'
		}
		return r
	}, s)
}
