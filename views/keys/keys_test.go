package keys

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

func connect(t testing.TB, url string) *redisops.Client {
	t.Helper()
	return viewtest.Connect(t, redisops.ConnOptions{URL: url})
}

// seeded is one server with the deterministic 5000-key dataset, shared by
// the read-only tests of this file.
func seeded(t *testing.T) *redisops.Client {
	t.Helper()
	srv := redistest.Standalone(t)
	c := connect(t, srv.URL())
	_, err := seed.Seed(context.Background(), c.Redis(), seed.Options{Keys: 5000, Seed: 1})
	require.NoError(t, err)
	return c
}

// rowOf moves the cursor to the namespace row of prefix.
func (h *harness) cursorTo(prefix string) {
	h.T.Helper()
	r, ok := h.m.findRow(rowID{valid: true, prefix: prefix}, -1)
	require.True(h.T, ok, "row of %q", prefix)
	h.m.moveTo(r)
}

// shownKeys lists the keys of every row (flat or filtered lists).
func (m *Model) shownKeys() []string {
	var out []string
	for r := range m.nrows {
		if id := m.idAt(r); id.isKey {
			out = append(out, m.st.key(id.key))
		}
	}
	return out
}

func TestPaneOnSeededRedis(t *testing.T) {
	c := seeded(t)
	counts, all := scanCounts(t, c, redisops.ScanOptions{})
	require.Len(t, all, 5000)

	t.Run("tree counts every top-level namespace", func(t *testing.T) {
		h := newHarness(t, c, 120, 40)
		assert.True(t, h.m.Scanning() || h.m.Loaded() == 0, "the scan runs in the background")
		h.settle()
		require.True(t, h.m.Complete())
		assert.Equal(t, 5000, h.m.Loaded())
		assert.Equal(t, 5000, h.m.Tree().Root.Keys)

		v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 120, 40))
		lines := strings.Split(v, "\n")
		for prefix, n := range counts {
			if prefix == "" {
				assert.Equal(t, n, h.m.Tree().Root.Direct)
				continue
			}
			ns := h.m.Tree().Find(prefix)
			require.NotNil(t, ns, prefix)
			assert.Equal(t, n, ns.Keys, prefix)
			found := false
			for _, l := range lines {
				f := strings.Fields(l)
				if len(f) >= 3 && f[1] == prefix && f[len(f)-1] == views.Commas(int64(n)) {
					found = true
				}
			}
			assert.True(t, found, "row %q with count %d in\n%s", prefix, n, v)
		}
		assert.Contains(t, lines[39], "5,000 keys")
		assert.NotContains(t, v, "+", "no partial marker once the scan is complete")
	})

	t.Run("expanding lead: shows its children", func(t *testing.T) {
		h := newHarness(t, c, 120, 40)
		h.settle()
		before := h.m.nrows
		h.cursorTo("lead:")
		h.Key("right")
		h.settle()
		lead := h.m.Tree().Find("lead:")
		assert.Equal(t, before+len(lead.Children)+lead.Direct, h.m.nrows)
		r := h.m.cursor
		v := viewtest.RequireSafeView(t, h.m, 120, 40)
		lines := strings.Split(v, "\n")
		row := lines[r-h.m.offset]
		assert.Contains(t, row, "▾ lead:", "expanded glyph")
		child := h.m.nsAt(r + 1)
		require.NotNil(t, child, "children namespaces come first")
		assert.True(t, strings.HasPrefix(child.Prefix, "lead:"))
		assert.True(t, strings.HasPrefix(lines[r+1-h.m.offset], "  ▸ "), "children are indented: %q", lines[r+1-h.m.offset])

		// Into a key of lead:, then left goes back to lead:, left again collapses.
		h.Key("end")
		h.Key("G")
		assert.Equal(t, h.m.nrows-1, h.m.cursor)
		h.cursorTo("lead:")
		h.Key("l") // expanded: moves to the first child
		assert.Equal(t, r+1, h.m.cursor)
		h.Key("h")
		assert.Equal(t, r, h.m.cursor, "left goes to the parent")
		h.Key("h")
		assert.Equal(t, before, h.m.nrows, "left collapses")
		// enter toggles a namespace.
		h.Key("enter")
		assert.Equal(t, before+len(lead.Children)+lead.Direct, h.m.nrows)
		h.Key("down")
		h.Key("esc")
		assert.Equal(t, before, h.m.nrows, "esc collapses the namespace the cursor is in")
		assert.Equal(t, r, h.m.cursor)
	})

	t.Run("flat mode lists every key sorted", func(t *testing.T) {
		h := newHarness(t, c, 80, 24)
		h.settle()
		h.Key("t")
		h.settle()
		got := h.m.shownKeys()
		want := slices.Clone(all)
		sort.Strings(want)
		assert.Equal(t, want, got)
		v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 80, 24))
		assert.True(t, strings.HasPrefix(v, `""`), "the empty key sorts first and shows quoted: %q", v[:40])
		h.Key("t")
		h.settle()
		assert.Less(t, h.m.nrows, 100, "back to the tree")
	})

	t.Run("MATCH filter rescans", func(t *testing.T) {
		want, wantKeys := scanCounts(t, c, redisops.ScanOptions{Match: "coldcopy:*"})
		h := newHarness(t, c, 80, 24)
		h.settle()
		h.Key("m")
		assert.True(t, h.m.Capturing())
		h.typeText("coldcopy:*")
		h.Key("enter")
		assert.False(t, h.m.Capturing())
		h.settle()
		assert.Equal(t, len(wantKeys), h.m.Loaded())
		assert.Equal(t, want["coldcopy:"], h.m.Tree().Root.Keys)
		assert.Len(t, h.m.Tree().Root.Children, 1)
		v := viewtest.RequireSafeView(t, h.m, 80, 24)
		assert.Contains(t, v, "match coldcopy:*")
		// empty clears.
		h.Key("m")
		for range len("coldcopy:*") {
			h.Key("backspace")
		}
		h.Key("enter")
		h.settle()
		assert.Equal(t, 5000, h.m.Loaded())
	})

	t.Run("TYPE filter shows only hashes", func(t *testing.T) {
		_, hashes := scanCounts(t, c, redisops.ScanOptions{Type: "hash"})
		require.NotEmpty(t, hashes)
		h := newHarness(t, c, 80, 24)
		h.settle()
		h.Key("T") // string
		h.settle()
		assert.Equal(t, "string", h.m.typ)
		h.Key("T") // hash
		h.settle()
		assert.Equal(t, len(hashes), h.m.Loaded())
		h.Key("t")
		h.settle()
		got := h.m.shownKeys()
		sort.Strings(hashes)
		assert.Equal(t, hashes, got)
		v := viewtest.RequireSafeView(t, h.m, 80, 24)
		assert.Contains(t, v, "type hash")
		for _, l := range strings.Split(v, "\n")[:min(23, len(hashes))] {
			assert.Contains(t, l, " hash ", "type column: %q", l)
		}
		for range len(typeCycle) - 2 {
			h.Key("T")
		}
		h.settle()
		assert.Equal(t, "", h.m.typ, "T cycles back to all types")
		assert.Equal(t, 5000, h.m.Loaded())
	})

	t.Run("local filter: substring, fuzzy with ~", func(t *testing.T) {
		h := newHarness(t, c, 80, 24)
		h.settle()
		h.Key("/")
		require.True(t, h.m.Capturing())
		h.typeText("LEAD_score")
		h.settle()
		got := h.m.shownKeys()
		require.NotEmpty(t, got)
		assert.Less(t, len(got), 5000)
		assert.Contains(t, got, seed.KeyDamagedLZ)
		for _, k := range got {
			assert.Contains(t, strings.ToLower(decode.DisplayKey(k)), "lead_score", "a substring, whatever the case")
		}
		n := len(got)
		h.typeText(":ws-demo:lead-damaged")
		h.settle()
		assert.Equal(t, []string{seed.KeyDamagedLZ}, h.m.shownKeys(), "typing narrows further")
		h.Key("enter")
		assert.False(t, h.m.Capturing())
		v := viewtest.RequireSafeView(t, h.m, 80, 24)
		assert.Contains(t, v, `filter "LEAD_score:ws-demo:lead-damaged"`)
		h.Key("esc")
		h.settle()
		assert.Equal(t, "", h.m.filter.query)
		assert.Less(t, h.m.nrows, 100, "esc clears the filter: back to the tree")

		// Letters in order, not adjacent: only the fuzzy mode finds them.
		h.Key("/")
		h.typeText("lsdamaged")
		h.settle()
		assert.Empty(t, h.m.shownKeys(), "not a substring of any key")
		h.Key("esc")
		h.Key("/")
		h.typeText("~lsdamaged")
		h.settle()
		fuzzyHits := h.m.shownKeys()
		assert.Contains(t, fuzzyHits, seed.KeyDamagedLZ)
		for _, k := range fuzzyHits {
			assert.True(t, subsequence(strings.ToLower(decode.DisplayKey(k)), "lsdamaged"), k)
		}
		assert.Less(t, len(fuzzyHits), n)
		h.Key("enter")
		assert.Contains(t, viewtest.RequireSafeView(t, h.m, 80, 24), `fuzzy "lsdamaged"`)
	})

	t.Run("the cap pauses the scan and L loads more", func(t *testing.T) {
		h := newHarness(t, c, 80, 24, func(m *Model) { m.MaxKeys = 1500 })
		h.Until("the cap", func() bool { return h.m.Paused() && h.m.settled() })
		assert.Equal(t, 1500, h.m.Loaded())
		assert.False(t, h.m.Scanning())
		v := viewtest.RequireSafeView(t, h.m, 80, 24)
		assert.Contains(t, v, "1,500 keys loaded of ~5,000 (L: load more)")
		assert.Contains(t, v, "+", "counts are partial")
		assert.Contains(t, h.m.ShortHelp(), h.m.c.Keys.LoadMore)

		h.Key("L")
		h.Until("the next cap", func() bool { return h.m.Paused() && h.m.settled() })
		assert.Equal(t, 3000, h.m.Loaded())
		h.Key("L")
		h.Until("the next cap", func() bool { return h.m.Paused() && h.m.settled() })
		h.Key("L")
		h.Until("the end", func() bool { return h.m.Complete() && h.m.settled() })
		assert.Equal(t, 5000, h.m.Loaded())
		var got []string
		for i := range h.m.Loaded() {
			got = append(got, h.m.st.key(int32(i)))
		}
		sort.Strings(got)
		want := slices.Clone(all)
		sort.Strings(want)
		assert.Equal(t, want, got, "the paused scan resumed where it stopped: every key once")
		h.Key("t")
		assert.Equal(t, want, h.m.shownKeys(), "sorted again once complete")
	})

	t.Run("awkward keys render quoted", func(t *testing.T) {
		h := newHarness(t, c, 120, 40)
		h.settle()
		h.Key("t")
		h.settle()
		var pages strings.Builder
		for page := 0; page*39 < h.m.nrows; page++ {
			pages.WriteString(viewtest.RequireSafeView(t, h.m, 120, 40) + "\n")
			h.Key("pgdown") // no need to wait for type/TTL here
		}
		h.settle()
		all := pages.String()
		for _, raw := range []string{"\x1b[2J", "\x1b]0;owned", "new\nline", "\x00", "\xff\xfe"} {
			assert.NotContains(t, all, raw)
		}
		for _, k := range seed.AwkwardKeys() {
			if len(k) > 100 {
				continue // the 1 KiB key is cut to the width
			}
			assert.Contains(t, all, decode.DisplayKey(k))
		}
		assert.Contains(t, all, `"lead:new\nline"`)
		assert.Contains(t, all, `"awkward:\x1b[2J\x1b[31mred\x1b[0m"`)
		assert.Regexp(t, `method:LeadService:search:\[\{"query":"[a-z ]*…`, all, "the long key is elided in the middle")
		// Tree mode: the leaf after awkward: is quoted on its own.
		h.Key("t")
		h.settle()
		h.cursorTo("awkward:")
		h.Key("right")
		h.settle()
		v := viewtest.RequireSafeView(t, h.m, 120, 40)
		assert.Contains(t, v, `"\x1b[2J\x1b[31mred\x1b[0m"`)
		assert.Contains(t, v, `"nul\x00byte\bbackspace\x7f"`)
	})

	t.Run("TTL counts down as Now advances", func(t *testing.T) {
		h := newHarness(t, c, 80, 10)
		h.settle()
		h.Key("m")
		h.typeText(seed.KeyDamagedLZ)
		h.Key("enter")
		h.settle()
		h.Key("t")
		h.settle()
		require.Equal(t, []string{seed.KeyDamagedLZ}, h.m.shownKeys())
		row := func() string { return ansi.Strip(strings.Split(viewtest.RequireSafeView(t, h.m, 80, 10), "\n")[0]) }
		assert.True(t, strings.HasSuffix(row(), " string  59m"), "%q", row())
		assert.NotZero(t, h.m.tickSeq, "a TTL on screen keeps the 1 s tick going")
		h.now = h.now.Add(20 * time.Minute)
		assert.True(t, strings.HasSuffix(row(), " string  39m"), "%q", row())
		h.now = h.now.Add(39*time.Minute + 15*time.Second)
		assert.Regexp(t, ` string  [0-9]+s$`, row())
		// Past its expiry (by the pinned clock) the key is fetched again.
		h.now = h.now.Add(2 * time.Minute)
		h.Until("a TTL tick", func() bool { return h.m.metaSeq != 0 })
		h.settle()
		assert.True(t, strings.HasSuffix(row(), " string  59m"), "refetched: %q", row())

		// A key without TTL: no tick.
		h.Key("m")
		h.m.input.SetValue(seed.KeyRawGzip)
		h.Key("enter")
		h.settle()
		assert.True(t, strings.HasSuffix(row(), " string    ∞"), "%q", row())
		h.Until("the last tick", func() bool { return h.m.tickSeq == 0 })
		time.Sleep(1100 * time.Millisecond)
		assert.Zero(t, h.m.tickSeq, "no TTL on screen, no tick")
	})

	t.Run("the inspector follows the cursor", func(t *testing.T) {
		h := newHarness(t, c, 80, 24)
		h.settle()
		h.Key("t")
		h.settle()
		h.Out = nil
		for range 5 {
			h.Key("j")
		}
		h.settle()
		sel, ok := h.m.Selected()
		require.True(t, ok)
		assert.Equal(t, []views.OpenKeyMsg{{Key: sel, Focus: false}}, h.openKeys(), "debounced: one message for the last key")
		h.Key("enter")
		h.settle()
		assert.Equal(t, views.OpenKeyMsg{Key: sel, Focus: true}, h.openKeys()[1])
	})

	t.Run("sizes", func(t *testing.T) {
		h := newHarness(t, c, 80, 24)
		h.settle()
		for _, sz := range [][2]int{{80, 24}, {120, 40}, {10, 3}, {0, 0}, {1, 1}, {3, 2}, {40, 1}, {27, 5}, {200, 60}} {
			for _, mode := range []string{"tree", "flat", "input"} {
				h.m.SetSize(sz[0], sz[1])
				switch mode {
				case "flat":
					h.Key("t")
				case "input":
					h.Key("/")
					h.typeText("lead")
				}
				h.settle()
				viewtest.RequireSafeView(t, h.m, sz[0], sz[1])
				switch mode {
				case "flat":
					h.Key("t")
				case "input":
					h.Key("esc")
				}
				h.settle()
			}
		}
	})
}

func subsequence(s, q string) bool {
	for _, r := range q {
		i := strings.IndexRune(s, r)
		if i < 0 {
			return false
		}
		s = s[i+len(string(r)):]
	}
	return true
}

func TestRefusedScanShowsTheReason(t *testing.T) {
	srv := redistest.Standalone(t, `rename-command SCAN ""`)
	c := connect(t, srv.URL())
	require.NoError(t, c.Redis().Set(context.Background(), "lead:1", "v", 0).Err())
	h := newHarness(t, c, 60, 8)
	h.Until("the failure", func() bool { return h.m.Err() != nil })
	h.settle()
	v := viewtest.RequireSafeView(t, h.m, 60, 8)
	plain := ansi.Strip(v)
	assert.Contains(t, plain, "SCAN failed")
	assert.Contains(t, plain, "renamed or blocked")
	assert.Contains(t, strings.Split(plain, "\n")[7], "scan stopped at 0 keys")
	// The pane keeps working.
	for _, k := range []string{"j", "k", "t", "G", "enter", "right", "left", "esc", "/"} {
		h.Key(k)
	}
	h.Key("esc")
	viewtest.RequireSafeView(t, h.m, 60, 8)
	require.NotEmpty(t, h.Out)
	assert.Equal(t, views.FlashError, h.Out[0].(views.FlashMsg).Level)
}

func TestClusterScanCoversEveryMaster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, "redis://"+cl.Addrs()[0])
	require.True(t, c.IsCluster())
	_, err := seed.Seed(context.Background(), c.Redis(), seed.Options{Keys: 2000, Seed: 1})
	require.NoError(t, err)
	h := newHarness(t, c, 100, 30)
	h.settle()
	assert.Equal(t, 2000, h.m.Loaded())
	assert.Equal(t, int64(2000), h.m.dbsize, "DBSIZE summed over the masters")
	h.Key("t")
	h.settle()
	v := viewtest.RequireSafeView(t, h.m, 100, 30)
	lines := strings.Split(ansi.Strip(v), "\n")
	for _, l := range lines[:29] {
		f := strings.Fields(l)
		require.GreaterOrEqual(t, len(f), 3, "%q", l)
		assert.Contains(t, []string{"string", "hash", "list", "set", "zset", "stream"}, f[len(f)-2], "type fetched from the key's master: %q", l)
	}
	_ = lipgloss.Width
}
