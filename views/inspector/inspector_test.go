package inspector

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

func TestCompressedValue(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 24)
	open(t, m, seed.KeyCompressedLead)

	v := plain(m)
	assert.Contains(t, v, seed.KeyCompressedLead)
	assert.Contains(t, v, "coldcopy-compressed → base64 → gzip → JSON")
	assert.Contains(t, v, `"leadId": "demo-compressed"`)
	assert.Contains(t, v, "string")
	assert.Contains(t, v, "ttl 7d 0h")
	assert.Contains(t, v, "mem ")
	assert.Equal(t, "string", m.Report().Type)
	assert.Equal(t, seed.KeyCompressedLead, m.Key())
	assert.Equal(t, ModePretty, m.Mode())
	requireSize(t, m.View(), 80, 24)

	t.Run("ascii glyphs", func(t *testing.T) {
		m, _ := newTestModel(t, c, 80, 24, styles.Options{Dark: true, ASCII: true})
		open(t, m, seed.KeyCompressedLead)
		assert.Contains(t, plain(m), "coldcopy-compressed -> base64 -> gzip -> JSON")
	})
	t.Run("colours", func(t *testing.T) {
		m, _ := newTestModel(t, c, 80, 24, styles.Options{Dark: true})
		open(t, m, seed.KeyCompressedLead)
		view := m.View()
		st := m.st
		pre, _ := sgr(st.JSONKey)
		require.NotEmpty(t, pre)
		assert.Contains(t, view, pre+`"leadId"`, "keys in the JSON key colour")
		pre, _ = sgr(st.JSONString)
		assert.Contains(t, view, pre+`"demo-compressed"`)
		pre, _ = sgr(st.JSONNumber)
		assert.Contains(t, view, pre+"0.7")
		requireSafe(t, view)
		requireSize(t, view, 80, 24)
	})
}

func TestDamagedLZ(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 24)
	open(t, m, seed.KeyDamagedLZ)
	v := plain(m)
	assert.Contains(t, v, "damaged: the app cannot read this value either")
	assert.Contains(t, v, "coldcopy-lz → lz-string → text")
	assert.Contains(t, v, `{"leadId":"lead-damaged"`, "the recovered prefix is shown")
	assert.True(t, m.Report().Value.Damaged)

	// The warning is drawn in the Warning style.
	mc, _ := newTestModel(t, c, 80, 24, styles.Options{Dark: true})
	open(t, mc, seed.KeyDamagedLZ)
	pre, _ := sgr(mc.st.Warning)
	assert.Contains(t, mc.View(), pre+"damaged: the app cannot read")
}

func TestHashTable(t *testing.T) {
	c := seeded(t)
	ctx := context.Background()
	m, _ := newTestModel(t, c, 100, 30)
	open(t, m, seed.KeyHash)

	r := m.Report()
	require.Equal(t, "hash", r.Type)
	require.NotEmpty(t, r.Items)
	require.Len(t, m.rows, len(r.Items))
	v := plain(m)
	assert.Contains(t, v, "field")
	assert.Contains(t, v, "value")
	assert.Contains(t, v, "len 250 fields")
	first := r.Items[0]
	assert.Contains(t, v, first.Field, "first field shown")
	assert.Contains(t, v, `{"role": `, "values summarised from their decoded JSON")
	assert.Contains(t, v, "of 250 loaded")

	// Enter shows the member's decoded value; esc goes back.
	press(t, m, "down", "enter")
	require.Equal(t, 1, m.Member())
	v = plain(m)
	assert.Contains(t, v, "field "+r.Items[1].Field)
	assert.Contains(t, v, `"role": `)
	assert.Contains(t, v, "JSON")
	want, err := c.Redis().HGet(ctx, seed.KeyHash, r.Items[1].Field).Result()
	require.NoError(t, err)
	msgs := press(t, m, "Y")
	got, ok := clipboardText(msgs)
	require.True(t, ok)
	assert.JSONEq(t, want, got, "Y copies the member's decoded value")
	press(t, m, "esc")
	assert.Equal(t, -1, m.Member())
	assert.Equal(t, 1, m.Cursor(), "the cursor stays on the row")
	assert.Contains(t, plain(m), "of 250 loaded")

	// M loads the rest, without repeats.
	for i := 0; m.Report().Cursor != "" && i < 20; i++ {
		press(t, m, "M")
	}
	require.Empty(t, m.Report().Cursor)
	assert.Len(t, m.Report().Items, 250)
	assert.Len(t, m.rows, 250)
	fields := map[string]bool{}
	for _, it := range m.Report().Items {
		fields[it.Field] = true
	}
	assert.Len(t, fields, 250)
	assert.Contains(t, plain(m), "250 of 250 loaded")
	requireSize(t, m.View(), 100, 30)
}

func TestLoadMoreList(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 24)
	open(t, m, seed.KeyList)
	require.Len(t, m.Report().Items, redisops.DefaultPageSize)
	assert.Contains(t, plain(m), "100 of 1000 loaded")
	pages := 1
	for m.Report().Cursor != "" {
		require.Less(t, pages, 20)
		press(t, m, "M")
		pages++
	}
	assert.Equal(t, 10, pages)
	want, err := c.Redis().LRange(context.Background(), seed.KeyList, 0, -1).Result()
	require.NoError(t, err)
	require.Len(t, m.Report().Items, 1000)
	for i, it := range m.Report().Items {
		require.Equal(t, want[i], string(it.Raw), "item %d", i)
		require.Equal(t, strconv.Itoa(i), m.rows[i].col1)
	}
	press(t, m, "end")
	v := plain(m)
	assert.Contains(t, v, "row 1000/1000")
	assert.Contains(t, v, "999  "+want[999])
	msgs := press(t, m, "M")
	require.Len(t, flashes(msgs), 1)
	assert.Equal(t, "all 1000 loaded", flashes(msgs)[0].Text)
}

func TestOtherCollections(t *testing.T) {
	c := seeded(t)
	t.Run("zset", func(t *testing.T) {
		m, _ := newTestModel(t, c, 80, 24)
		open(t, m, seed.KeyZSet)
		v := plain(m)
		assert.Contains(t, v, "score")
		assert.Contains(t, v, "member")
		it := m.Report().Items[0]
		require.NotNil(t, it.Score)
		assert.Contains(t, v, strconv.FormatFloat(*it.Score, 'g', -1, 64))
		press(t, m, "enter")
		assert.Contains(t, plain(m), "score "+strconv.FormatFloat(*it.Score, 'g', -1, 64))
	})
	t.Run("stream", func(t *testing.T) {
		m, _ := newTestModel(t, c, 100, 24)
		open(t, m, seed.KeyStream)
		v := plain(m)
		it := m.Report().Items[0]
		assert.Contains(t, v, it.Field)
		assert.Contains(t, v, "company=")
		press(t, m, "enter")
		v = plain(m)
		assert.Contains(t, v, "entry "+it.Field)
		assert.Contains(t, v, "page: ")
		press(t, m, "v")
		assert.Contains(t, plain(m), "raw bytes are not fetched for stream entries")
		for m.Report().Cursor != "" {
			press(t, m, "M")
		}
		assert.Len(t, m.Report().Items, 200)
	})
	t.Run("set", func(t *testing.T) {
		m, _ := newTestModel(t, c, 80, 24)
		open(t, m, seed.KeySet)
		assert.Contains(t, plain(m), "member")
		for m.Report().Cursor != "" {
			press(t, m, "M")
		}
		assert.Len(t, m.Report().Items, 300)
	})
}

func TestViewModes(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 24)
	open(t, m, seed.KeyCompressedLead)

	press(t, m, "v")
	assert.Equal(t, ModeRaw, m.Mode())
	v := plain(m)
	assert.Contains(t, v, "COMPRESSED:H4sI", "raw shows the fetched bytes")
	assert.NotContains(t, v, `"leadId"`)

	press(t, m, "v")
	assert.Equal(t, ModeHex, m.Mode())
	v = plain(m)
	assert.Contains(t, v, "00000000  43 4f 4d 50 52 45 53 53  45 44 3a 48 34 73 49")
	assert.Contains(t, v, "|COMPRESSED:H4sI")
	requireSize(t, m.View(), 80, 24)

	// Narrower: fewer bytes a line, still exact.
	m.SetSize(50, 10)
	assert.Contains(t, plain(m), "00000000  43 4f 4d 50 52 45 53 53  |COMPRESS|")
	requireSize(t, m.View(), 50, 10)
	m.SetSize(30, 8)
	assert.Contains(t, plain(m), "00000000  43 4f 4d 50  |COMP|")
	requireSize(t, m.View(), 30, 8)
	m.SetSize(80, 24)

	press(t, m, "v")
	assert.Equal(t, ModePretty, m.Mode())
	assert.Contains(t, plain(m), `"leadId"`)
}

func TestRawEscapesControlBytes(t *testing.T) {
	c := seeded(t)
	ctx := context.Background()
	nasty := "\x1b[2J\x1b]0;owned\x07 tab\there cr\r\n\x9b1m \xc2\x9b c1 \xff\xfe bidi\u202eevil del\x7f nul\x00"
	require.NoError(t, c.Redis().Set(ctx, "awkward:value", nasty, 0).Err())
	for _, o := range []styles.Options{{Dark: true, NoColor: true}, {Dark: true}} {
		m, _ := newTestModel(t, c, 80, 24, o)
		open(t, m, "awkward:value")
		for range 3 {
			requireSafe(t, m.View())
			requireSize(t, m.View(), 80, 24)
			press(t, m, "v")
		}
		press(t, m, "v") // raw
		v := plain(m)
		assert.Contains(t, v, `\x1b[2J\x1b]0;owned\x07 tab\there cr\r`)
		assert.Contains(t, v, `\x9b1m \u009b c1 \xff\xfe bidi\u202eevil del\x7f nul\x00`)
	}
}

func TestSearch(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 12)
	open(t, m, seed.KeyCompressedLead)
	text := m.Report().Value.Text
	want := strings.Count(strings.ToLower(text), "a")
	require.Greater(t, want, 3)

	press(t, m, "/")
	assert.True(t, m.Capturing())
	typeText(t, m, "q") // overwritten below
	press(t, m, "backspace")
	typeText(t, m, "A")
	assert.Contains(t, plain(m), "/A")
	press(t, m, "backspace")
	typeText(t, m, "a")
	press(t, m, "enter")
	assert.False(t, m.Capturing())
	cur, total := m.SearchStatus()
	assert.Equal(t, 1, cur)
	assert.Equal(t, want, total, "smart case: lower-case query ignores case")
	assert.Contains(t, plain(m), "/a 1/"+strconv.Itoa(want))

	press(t, m, "n", "n")
	cur, _ = m.SearchStatus()
	assert.Equal(t, 3, cur)
	press(t, m, "N")
	cur, _ = m.SearchStatus()
	assert.Equal(t, 2, cur)
	press(t, m, "N", "N")
	cur, _ = m.SearchStatus()
	assert.Equal(t, total, cur, "N wraps around")
	assert.Greater(t, m.top, 0, "the last match is scrolled into view")

	// Matches are drawn in the SearchMatch style.
	mc, _ := newTestModel(t, c, 80, 12, styles.Options{Dark: true})
	open(t, mc, seed.KeyCompressedLead)
	press(t, mc, "/")
	typeText(t, mc, "leadId")
	press(t, mc, "enter")
	pre, _ := sgr(mc.st.SearchMatch.Underline(true))
	assert.Contains(t, mc.View(), pre+"leadId")

	// Upper case in the query: exact case. No match: said so.
	press(t, m, "/")
	typeText(t, m, "LEADID")
	msgs := press(t, m, "enter")
	_, total = m.SearchStatus()
	assert.Zero(t, total)
	assert.Contains(t, plain(m), "no match")
	require.Len(t, flashes(msgs), 1)

	// Esc clears the search.
	press(t, m, "esc")
	_, total = m.SearchStatus()
	assert.Zero(t, total)
	assert.NotContains(t, plain(m), "/LEADID")

	// In the table, search moves between matching rows.
	open(t, m, seed.KeyList)
	press(t, m, "/")
	typeText(t, m, m.Report().Items[42].Value.Text)
	press(t, m, "enter")
	assert.Equal(t, 42, m.Cursor())
}

func TestWrap(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 24)
	open(t, m, seed.KeyLarge)
	v := plain(m)
	assert.Contains(t, v, "showing 1 MiB of 2 MiB")
	require.True(t, m.Wrap())
	wrapped := len(m.layout().rows)
	assert.GreaterOrEqual(t, wrapped, (cellWidth(m.Report().Value.Text)+79)/80, "a 1 MiB line wraps into many rows")
	assert.Less(t, wrapped, len(m.Report().Value.Text)/70)
	requireSize(t, m.View(), 80, 24)

	press(t, m, "w")
	require.False(t, m.Wrap())
	assert.Equal(t, 1, len(m.layout().rows), "cut: one row per line")
	v = plain(m)
	lines := strings.Split(v, "\n")
	var valueLine string
	for _, l := range lines {
		if strings.HasPrefix(l, `{"body"`) {
			valueLine = l
		}
	}
	require.NotEmpty(t, valueLine)
	assert.True(t, strings.HasSuffix(valueLine, "…"), "a cut line ends with an ellipsis: %q", valueLine)
	requireSize(t, m.View(), 80, 24)

	// Scrolling sideways.
	press(t, m, "right", "right")
	assert.Equal(t, 40, m.xoff)
	v = plain(m)
	assert.Contains(t, v, "…"+m.Report().Value.Text[40:40+10])
	requireSize(t, m.View(), 80, 24)

	// Pretty JSON: wrap changes the row count when lines are long.
	open(t, m, seed.KeyCompressedLead)
	m.SetSize(30, 10)
	m.wrap = true
	on := len(m.layout().rows)
	press(t, m, "w")
	off := len(m.layout().rows)
	assert.Greater(t, on, off)
	assert.Equal(t, len(m.layout().d.lines), off)
	requireSize(t, m.View(), 30, 10)
}

func TestStaleAnswersAreDropped(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 24)

	// With focus: A starts at once, B supersedes it before A's answer.
	cmdA := m.Update(views.OpenKeyMsg{Key: seed.KeyCompressedLead, Focus: true})
	cmdB := m.Update(views.OpenKeyMsg{Key: seed.KeyDamagedLZ, Focus: true})
	require.NotNil(t, cmdA)
	require.NotNil(t, cmdB)
	drive(t, m, cmdA) // A's answer (or its cancellation) arrives late
	assert.Equal(t, seed.KeyDamagedLZ, m.Key())
	assert.Nil(t, m.Report(), "A's answer is not taken for B's")
	assert.NoError(t, m.Err(), "A's cancellation is not B's error")
	assert.NotContains(t, plain(m), "demo-compressed")
	drive(t, m, cmdB)
	require.NotNil(t, m.Report())
	assert.Equal(t, seed.KeyDamagedLZ, m.Report().Key)
	v := plain(m)
	assert.Contains(t, v, "lead-damaged")
	assert.NotContains(t, v, "demo-compressed")

	// Without focus (the cursor passing over keys): only the last one
	// loads, after the debounce; the others never send a request.
	cmds := []tea.Cmd{}
	for _, k := range []string{seed.KeyHash, seed.KeyList, seed.KeyCompressedLead} {
		cmds = append(cmds, m.Update(views.OpenKeyMsg{Key: k}))
		assert.True(t, m.Loading())
	}
	for _, cmd := range cmds[:2] {
		msg := cmd()
		require.IsType(t, debounceMsg{}, msg)
		assert.Nil(t, m.Update(msg), "a superseded debounce starts nothing")
	}
	drive(t, m, cmds[2])
	assert.Equal(t, seed.KeyCompressedLead, m.Report().Key)
	assert.Contains(t, plain(m), "demo-compressed")

	// A late answer to a superseded refresh is dropped as well.
	cmdR := m.Update(viewtest.KeyMsg("r"))
	require.NotNil(t, cmdR)
	cmdO := m.Update(views.OpenKeyMsg{Key: seed.KeyDamagedLZ, Focus: true})
	drive(t, m, cmdO)
	drive(t, m, cmdR)
	assert.Equal(t, seed.KeyDamagedLZ, m.Report().Key)
	assert.Contains(t, plain(m), "lead-damaged")
}

func TestLoadingIndicator(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 24)
	cmd := m.Update(views.OpenKeyMsg{Key: seed.KeyCompressedLead, Focus: true})
	assert.True(t, m.Loading())
	v := plain(m)
	assert.Contains(t, v, "loading…")
	assert.Contains(t, v, seed.KeyCompressedLead)
	requireSize(t, m.View(), 80, 24)
	drive(t, m, cmd)
	assert.False(t, m.Loading())
	assert.NotContains(t, plain(m), "loading…")

	// A refresh keeps showing the value while it runs.
	cmd = m.Update(viewtest.KeyMsg("r"))
	assert.True(t, m.Loading())
	v = plain(m)
	assert.Contains(t, v, "loading…")
	assert.Contains(t, v, `"leadId"`)
	drive(t, m, cmd)
	assert.False(t, m.Loading())
}

func TestRefusedMetadata(t *testing.T) {
	srv := redistest.Restricted(t)
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: srv.DefaultPassword})
	t.Cleanup(func() { _ = admin.Close() })
	_, err := seed.Seed(context.Background(), admin, seed.Options{Keys: 1})
	require.NoError(t, err)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.NoInfoUser, Password: srv.NoInfoPassword})

	m, _ := newTestModel(t, c, 120, 40)
	open(t, m, seed.KeyCompressedLead)
	require.NoError(t, m.Err())
	r := m.Report()
	require.Contains(t, r.Unavailable, "encoding")
	require.Contains(t, r.Unavailable, "memory_bytes")
	v := plain(m)
	assert.Contains(t, v, "enc unavailable: OBJECT ENCODING denied by ACL: NOPERM")
	assert.Contains(t, v, "mem unavailable: MEMORY USAGE denied by ACL: NOPERM")
	assert.Contains(t, v, "coldcopy-compressed → base64 → gzip → JSON", "the value still shows")
	assert.Contains(t, v, `"leadId": "demo-compressed"`)
	assert.Contains(t, v, "ttl 7d 0h")
	assert.NotContains(t, v, "error")
	requireSize(t, m.View(), 120, 40)

	// In the dim style.
	mc, _ := newTestModel(t, c, 120, 40, styles.Options{Dark: true})
	open(t, mc, seed.KeyHash)
	pre, _ := sgr(mc.st.Dim)
	assert.Contains(t, mc.View(), pre+"unavailable: MEMORY USAGE denied by ACL")
	assert.Contains(t, plain(mc), "of 250 loaded")
}

func TestMissingKey(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 24)
	open(t, m, "no:such:key")
	assert.True(t, m.Gone())
	assert.NoError(t, m.Err())
	assert.Contains(t, plain(m), "no such key (it expired or was deleted)")
	requireSize(t, m.View(), 80, 24)

	// A key deleted while shown: refresh says so.
	ctx := context.Background()
	require.NoError(t, c.Redis().Set(ctx, "doomed", `{"a":1}`, 0).Err())
	open(t, m, "doomed")
	assert.Contains(t, plain(m), `"a": 1`)
	require.NoError(t, c.Redis().Del(ctx, "doomed").Err())
	press(t, m, "r")
	assert.True(t, m.Gone())
	assert.Contains(t, plain(m), "no such key (it expired or was deleted)")
	// And shows it again once it is back.
	require.NoError(t, c.Redis().Set(ctx, "doomed", `{"a":2}`, 0).Err())
	press(t, m, "r")
	assert.False(t, m.Gone())
	assert.Contains(t, plain(m), `"a": 2`)
}

func TestConnectionError(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	m, _ := newTestModel(t, c, 80, 24)
	require.NoError(t, srv.Stop())
	open(t, m, "anything")
	require.Error(t, m.Err())
	v := plain(m)
	assert.Contains(t, v, "error: ")
	assert.Contains(t, v, "r to retry")
	requireSize(t, m.View(), 80, 24)
}

func TestAwkwardKeys(t *testing.T) {
	c := seeded(t)
	for _, o := range []styles.Options{{Dark: true, NoColor: true}, {Dark: true}, {Dark: false, ASCII: true}} {
		m, _ := newTestModel(t, c, 80, 24, o)
		for _, k := range seed.AwkwardKeys() {
			open(t, m, k)
			require.NoError(t, m.Err(), "key %q", k)
			require.False(t, m.Gone(), "key %q", k)
			for range 3 {
				view := m.View()
				requireSafe(t, view)
				requireSize(t, view, 80, 24)
				press(t, m, "v")
			}
			press(t, m, "v")
		}
		// A hash with a binary field and value.
		open(t, m, "campaign:cmp-demo:stats")
		requireSafe(t, m.View())
		assert.Contains(t, plain(m), `"\xffraw\x00field"`)
		for i := range m.rows {
			press(t, m, "home")
			for range i {
				press(t, m, "down")
			}
			press(t, m, "enter")
			for range 3 {
				requireSafe(t, m.View())
				requireSize(t, m.View(), 80, 24)
				press(t, m, "v")
			}
			press(t, m, "esc")
		}
	}
	// The key is shown quoted when it holds control bytes.
	m, _ := newTestModel(t, c, 80, 24)
	open(t, m, "awkward:\x1b[2J\x1b[31mred\x1b[0m")
	assert.Contains(t, plain(m), `"awkward:\x1b[2J\x1b[31mred\x1b[0m"`)
}

func TestViewSizes(t *testing.T) {
	c := seeded(t)
	sizes := [][2]int{{80, 24}, {120, 40}, {30, 8}, {31, 9}, {45, 12}, {200, 60}}
	states := map[string]func(t *testing.T, m *Model){
		"empty":       func(t *testing.T, m *Model) {},
		"loading":     func(t *testing.T, m *Model) { m.Update(views.OpenKeyMsg{Key: seed.KeyHash, Focus: true}) },
		"compressed":  func(t *testing.T, m *Model) { open(t, m, seed.KeyCompressedLead) },
		"scrolled":    func(t *testing.T, m *Model) { open(t, m, seed.KeyCompressedLead); press(t, m, "pgdown", "down") },
		"end":         func(t *testing.T, m *Model) { open(t, m, seed.KeyCompressedLead); press(t, m, "end") },
		"raw":         func(t *testing.T, m *Model) { open(t, m, seed.KeyCompressedLead); press(t, m, "v") },
		"hex":         func(t *testing.T, m *Model) { open(t, m, seed.KeyCompressedLead); press(t, m, "v", "v") },
		"cut":         func(t *testing.T, m *Model) { open(t, m, seed.KeyLarge); press(t, m, "w", "right") },
		"damaged":     func(t *testing.T, m *Model) { open(t, m, seed.KeyDamagedLZ) },
		"large":       func(t *testing.T, m *Model) { open(t, m, seed.KeyLarge); press(t, m, "end") },
		"hash":        func(t *testing.T, m *Model) { open(t, m, seed.KeyHash) },
		"hash member": func(t *testing.T, m *Model) { open(t, m, seed.KeyHash); press(t, m, "pgdown", "enter") },
		"stream":      func(t *testing.T, m *Model) { open(t, m, seed.KeyStream); press(t, m, "enter") },
		"search box": func(t *testing.T, m *Model) {
			open(t, m, seed.KeyCompressedLead)
			press(t, m, "/")
			typeText(t, m, "a very long query that goes on and on and does not fit the status line")
		},
		"search": func(t *testing.T, m *Model) {
			open(t, m, seed.KeyCompressedLead)
			press(t, m, "/")
			typeText(t, m, "e")
			press(t, m, "enter", "n")
		},
		"gone":    func(t *testing.T, m *Model) { open(t, m, "no:such:key") },
		"emoji":   func(t *testing.T, m *Model) { open(t, m, "user:😀🚀🔥") },
		"cjk key": func(t *testing.T, m *Model) { open(t, m, "workspace:Zoë's café 東京") },
		"long key": func(t *testing.T, m *Model) {
			open(t, m, seed.AwkwardKeys()[len(seed.AwkwardKeys())-1])
		},
	}
	for name, setup := range states {
		for _, sz := range sizes {
			t.Run(name+"/"+strconv.Itoa(sz[0])+"x"+strconv.Itoa(sz[1]), func(t *testing.T) {
				m, _ := newTestModel(t, c, sz[0], sz[1])
				setup(t, m)
				requireSize(t, m.View(), sz[0], sz[1])
				requireSafe(t, m.View())
			})
		}
	}
	t.Run("degenerate sizes", func(t *testing.T) {
		m, _ := newTestModel(t, c, 0, 0)
		open(t, m, seed.KeyCompressedLead)
		assert.Empty(t, m.View())
		for _, sz := range [][2]int{{0, 3}, {1, 1}, {3, 1}, {5, 2}, {10, 3}, {1, 10}} {
			m.SetSize(sz[0], sz[1])
			press(t, m, "down", "v", "w", "right")
			view := m.View()
			assert.Len(t, strings.Split(view, "\n"), sz[1], "%v", sz)
			if sz[0] > 0 {
				requireSize(t, view, sz[0], sz[1])
			}
		}
	})
}

func TestTTLCountdown(t *testing.T) {
	c := seeded(t)
	ctx := context.Background()
	require.NoError(t, c.Redis().Set(ctx, "short", "x", 90*time.Second).Err())
	m, clk := newTestModel(t, c, 80, 24)
	var ticks int
	m.tick = func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		assert.Equal(t, time.Second, d)
		ticks++
		return nil
	}
	open(t, m, "short")
	assert.Equal(t, 1, ticks, "a key with a TTL starts the countdown")
	assert.Contains(t, plain(m), "ttl 1m 30s")
	clk.Add(31 * time.Second)
	assert.Contains(t, plain(m), "ttl 59s")
	require.Nil(t, m.Update(ttlTickMsg{gen: m.tickGen - 1}), "a stale chain stops")
	m.Update(ttlTickMsg{gen: m.tickGen})
	assert.Equal(t, 2, ticks, "the chain goes on while the key has time left")

	// Hidden: the chain stops; shown again: it restarts.
	m.SetShown(false)
	m.Update(ttlTickMsg{gen: m.tickGen})
	assert.Equal(t, 2, ticks)
	m.SetShown(true)
	assert.Equal(t, 3, ticks)

	clk.Add(time.Minute)
	assert.Contains(t, plain(m), "ttl expired")
	m.Update(ttlTickMsg{gen: m.tickGen})
	assert.Equal(t, 3, ticks, "no ticks after expiry")

	// No TTL: no ticks.
	open(t, m, seed.KeyList)
	assert.Contains(t, plain(m), "ttl none")
	assert.Equal(t, 3, ticks)
}

func TestCopy(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 24)
	open(t, m, seed.KeyCompressedLead)

	msgs := press(t, m, "y")
	got, ok := clipboardText(msgs)
	require.True(t, ok)
	assert.Equal(t, seed.KeyCompressedLead, got)
	require.Len(t, flashes(msgs), 1)
	assert.Equal(t, "copied key ("+strconv.Itoa(len(seed.KeyCompressedLead))+" bytes)", flashes(msgs)[0].Text)

	msgs = press(t, m, "Y")
	got, _ = clipboardText(msgs)
	assert.Equal(t, m.Report().Value.Text, got, "pretty: the decoded value")
	press(t, m, "v")
	msgs = press(t, m, "Y")
	got, _ = clipboardText(msgs)
	assert.Equal(t, string(m.Report().Raw), got, "raw: the fetched bytes")

	// Capped at 1 MiB, and said so.
	open(t, m, seed.KeyLarge)
	press(t, m, "v")
	big := strings.Repeat("é", 700_000) // 1.4 MB, two bytes a rune
	m.val.raw = []byte(big)
	msgs = press(t, m, "Y")
	got, _ = clipboardText(msgs)
	assert.LessOrEqual(t, len(got), maxCopy)
	assert.True(t, strings.HasPrefix(big, got))
	f := flashes(msgs)
	require.Len(t, f, 1)
	assert.Equal(t, views.FlashWarn, f[0].Level)
	assert.Contains(t, f[0].Text, "copied the first 1 MiB of the raw value (1.3 MiB): the clipboard cap")
}

func TestNoClient(t *testing.T) {
	m, _ := newTestModel(t, nil, 40, 10)
	drive(t, m, m.Update(views.OpenKeyMsg{Key: "k", Focus: true}))
	require.Error(t, m.Err())
	assert.Contains(t, plain(m), "not connected")
	requireSize(t, m.View(), 40, 10)
}

func TestBrokenValueWarnings(t *testing.T) {
	c := seeded(t)
	ctx := context.Background()
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(b)
		_ = zw.Close()
		return buf.Bytes()
	}
	bomb := gz(make([]byte, 64<<20)) // 64 MiB of zeros in ~64 KiB
	corrupt := gz([]byte(strings.Repeat(`{"lead":"x"},`, 500)))
	corrupt = corrupt[:len(corrupt)/2]
	corrupt = append(corrupt, bytes.Repeat([]byte{0xde, 0xad}, 50)...)
	require.NoError(t, c.Redis().Set(ctx, "cache:bomb", bomb, 0).Err())
	require.NoError(t, c.Redis().Set(ctx, "cache:corrupt", "COMPRESSED:"+base64.StdEncoding.EncodeToString(corrupt), 0).Err())

	for key, want := range map[string]string{
		"cache:bomb":    "gzip: decompressed output capped at 16 MiB",
		"cache:corrupt": "gzip: ",
	} {
		m, _ := newTestModel(t, c, 100, 30, styles.Options{Dark: true})
		open(t, m, key)
		pre, _ := sgr(m.st.Warning)
		assert.Contains(t, m.View(), pre+want, key)
		requireSize(t, m.View(), 100, 30)
		requireSafe(t, m.View())
	}
}

func TestMouseWheel(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 12)
	open(t, m, seed.KeyCompressedLead)
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	assert.Equal(t, 3, m.top)
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	assert.Equal(t, 0, m.top)
	open(t, m, seed.KeyList)
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	assert.Equal(t, 1, m.Cursor())
}

func TestRefreshKeepsView(t *testing.T) {
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	_, err := seed.Seed(context.Background(), c.Redis(), seed.Options{Keys: 1})
	require.NoError(t, err)
	m, _ := newTestModel(t, c, 80, 24)

	// A member shown stays shown across a refresh.
	open(t, m, "campaign:cmp-demo:stats")
	press(t, m, "down", "down", "enter")
	require.Equal(t, 2, m.Member())
	press(t, m, "v", "r")
	assert.Equal(t, 2, m.Member())
	assert.Equal(t, ModeRaw, m.Mode())
	assert.Contains(t, plain(m), "field opened")

	// A refresh that fails keeps the value and says why in a flash.
	open(t, m, seed.KeyCompressedLead)
	require.NoError(t, srv.Stop())
	msgs := press(t, m, "r")
	require.Len(t, flashes(msgs), 1)
	assert.Equal(t, views.FlashError, flashes(msgs)[0].Level)
	assert.Contains(t, flashes(msgs)[0].Text, "refresh "+seed.KeyCompressedLead+": ")
	assert.NoError(t, m.Err())
	assert.Contains(t, plain(m), `"leadId"`)
}

func TestSearchHexFollowsResize(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 24)
	open(t, m, seed.KeyCompressedLead)
	press(t, m, "v", "v", "/")
	typeText(t, m, "|COMP")
	press(t, m, "enter")
	_, total := m.SearchStatus()
	require.Equal(t, 1, total)
	for _, w := range []int{50, 30, 80} {
		m.SetSize(w, 12)
		v := m.View()
		_, total = m.SearchStatus()
		require.Equal(t, 1, total, "width %d", w)
		off := m.matches[0]
		require.Equal(t, "|COMP", m.lay.d.text[off:off+5], "width %d", w)
		requireSize(t, v, w, 12)
	}
}

func TestStylesRebuiltInPlace(t *testing.T) {
	c := seeded(t)
	m, _ := newTestModel(t, c, 80, 24, styles.Options{Dark: true})
	open(t, m, seed.KeyCompressedLead)
	dark, _ := sgr(m.st.JSONKey)
	assert.Contains(t, m.View(), dark+`"leadId"`)
	// The frame learns the background and rebuilds the styles in place.
	*m.c.Styles = *styles.New(styles.Options{Dark: false})
	light, _ := sgr(m.c.Styles.JSONKey)
	require.NotEqual(t, dark, light)
	assert.Contains(t, m.View(), light+`"leadId"`)
}
