package keys

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
)

// At 80 columns the keys pane is 30 cells wide: keys sharing a long start
// must still be told apart by their ends.
func TestNarrowRowsKeepTheDistinguishingEnd(t *testing.T) {
	h := newHarness(t, nil, 30, 6)
	keys := []string{"hubspot:contact:48239482", "hubspot:contact:48239483", "hubspot:contact:48239484"}
	h.Dispatch(h.m.ScanBatch(keys...))
	h.Dispatch(h.m.ScanDone())
	h.Key("t") // flat
	h.settle()
	lines := strings.Split(ansi.Strip(h.m.View()), "\n")
	seen := map[string]bool{}
	for i, k := range keys {
		row := strings.Fields(lines[i])[0]
		assert.True(t, strings.HasSuffix(row, k[len(k)-8:]), "row %q keeps the id of %s", row, k)
		assert.Contains(t, row, "…")
		seen[row] = true
	}
	assert.Len(t, seen, 3, "every row reads differently")
}

func TestSubstringMatch(t *testing.T) {
	for _, tc := range []struct {
		s, q string
		want bool
	}{
		{"Lead:ABC:1", "abc", true},
		{"lead:abc:1", "a:1", false},
		{"lead:abc:1", "c:1", true},
		{"user:😀:1", "😀:", true},
		{"user:ÉTÉ", "été", true},
		{"short", "longer query", false},
		{"anything", "", true},
	} {
		q, fz := parseQuery(tc.q)
		assert.False(t, fz)
		assert.Equal(t, tc.want, substring(tc.s, q), "%q in %q", tc.q, tc.s)
	}
	q, fz := parseQuery("~lac1")
	assert.True(t, fz)
	assert.True(t, matcher(fz)("lead:abc:1", q))
	assert.False(t, matcher(false)("lead:abc:1", q))
}

// BenchmarkFilterMatch1MKeys: one pass of the local filter over a million
// ColdCopy-shaped keys (what a background filter command does), substring
// (the default) and fuzzy.
func BenchmarkFilterMatch1MKeys(b *testing.B) {
	var st store
	for _, k := range coldcopyKeys(1_000_000, 0) {
		st.add(k, 0)
	}
	snap := st.snapshot()
	for _, mode := range []struct {
		name  string
		query string
	}{{"substring", "lead_score"}, {"fuzzy", "~lscore"}} {
		b.Run(mode.name, func(b *testing.B) {
			q, fz := parseQuery(mode.query)
			bits := make([]uint64, (snap.n+63)>>6)
			b.ReportAllocs()
			for b.Loop() {
				clear(bits)
				matchKeys(snap, 0, q, fz, bits, nil)
			}
		})
	}
}
