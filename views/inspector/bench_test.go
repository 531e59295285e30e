package inspector

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
)

// largeJSON is about 16 MiB of decode's pretty JSON: lead records with
// strings, numbers, booleans, nulls, nested arrays, non-ASCII names and a
// 300-character note that wraps at any usual width.
var largeJSON = sync.OnceValue(func() decode.Result {
	note := strings.Repeat("Called twice, left a voicemail; asked for pricing and a demo slot. ", 5)[:300]
	names := []string{"Zoë Dubois", "Łukasz Novak", "東京 Tanaka", "François Pérez", "Ana O'Brien"}
	b := make([]byte, 0, 12<<20)
	b = append(b, `{"data":[`...)
	for i := 0; len(b) < 13<<20; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":"lead-`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `","name":"`...)
		b = append(b, names[i%len(names)]...)
		b = append(b, `","score":`...)
		b = strconv.AppendFloat(b, float64(i%1000)/7, 'f', 3, 64)
		b = append(b, `,"active":`...)
		b = strconv.AppendBool(b, i%3 == 0)
		b = append(b, `,"owner":null,"tags":["inbound","q4"],"note":"`...)
		b = append(b, note...)
		b = append(b, `"}`...)
	}
	b = append(b, `]}`...)
	return decode.Decode(b, decode.DefaultOptions())
})

// largeModel is a 120x40 inspector showing the large value, scrolled to
// the middle.
func largeModel(tb testing.TB, wrap bool) *Model {
	res := largeJSON()
	require.Equal(tb, decode.FormatJSON, res.Format)
	m, _ := newTestModel(tb, nil, 120, 40)
	m.opened, m.key = true, "api:large"
	m.seq++
	m.Update(loadedMsg{seq: m.seq, key: m.key, kind: loadOpen, start: t0,
		report: &redisops.KeyReport{Key: m.key, Type: "string", TTL: 3_600_000, Encoding: "raw", MemoryBytes: 12 << 20,
			Length: 12 << 20, Unavailable: map[string]string{}, Value: &res},
		pretty: prettyDoc(res.Text, true)})
	m.wrap = wrap
	m.top = len(m.layout().rows) / 2
	return m
}

func TestLargeValueView(t *testing.T) {
	for _, wrap := range []bool{true, false} {
		m := largeModel(t, wrap)
		require.Greater(t, len(m.Report().Value.Text), 15<<20)
		view := m.View()
		requireSize(t, view, 120, 40)
		requireSafe(t, view)
		require.Contains(t, plain(m), `"note": "Called twice`)
	}
}

// BenchmarkViewLargeValue is one frame of a 16 MiB pretty JSON value
// scrolled to the middle, once the value is prepared (see
// BenchmarkPrepareLargeValue for that one-time cost).
func BenchmarkViewLargeValue(b *testing.B) {
	for _, bc := range []struct {
		name   string
		wrap   bool
		search string
		mode   Mode
	}{
		{"wrap", true, "", ModePretty},
		{"cut", false, "", ModePretty},
		{"wrap+search", true, "lead", ModePretty},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := largeModel(b, bc.wrap)
			if bc.search != "" {
				m.query = bc.search
				m.research(true)
				require.NotEmpty(b, m.matches)
			}
			_ = m.View()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				m.top = len(m.lay.rows)/2 + i%2 // a scroll each frame
				_ = m.View()
			}
		})
	}
}

// BenchmarkPrepareLargeValue is the one-time cost of showing a 16 MiB
// value: indexing its lines (off the UI loop, in the load command) and
// laying it out for a width (on the first frame at that width).
func BenchmarkPrepareLargeValue(b *testing.B) {
	res := largeJSON()
	b.Run("index", func(b *testing.B) {
		b.SetBytes(int64(len(res.Text)))
		b.ReportAllocs()
		for b.Loop() {
			_ = prettyDoc(res.Text, true)
		}
	})
	d := prettyDoc(res.Text, true)
	for _, wrap := range []bool{true, false} {
		name := "layout-cut"
		if wrap {
			name = "layout-wrap"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(res.Text)))
			b.ReportAllocs()
			for b.Loop() {
				_ = newLayout(d, 120, wrap)
			}
		})
	}
	b.Run("search", func(b *testing.B) {
		b.SetBytes(int64(len(res.Text)))
		b.ReportAllocs()
		for b.Loop() {
			d.lower = "" // include building the lower-case copy
			_ = d.search("lead")
		}
	})
	b.Run("first-frame", func(b *testing.B) {
		// Layout at a new width plus the frame: what the first View after
		// the value arrives (or after a resize) costs.
		m := largeModel(b, true)
		b.ReportAllocs()
		for b.Loop() {
			m.lay = nil
			_ = m.View()
		}
	})
}
