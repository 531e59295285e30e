package keys

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/redisops"
)

// coldcopyKeys makes n distinct keys shaped like ColdCopy's key schema.
func coldcopyKeys(n int, from int) []string {
	r := rand.New(rand.NewPCG(uint64(from), 7))
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	models := []string{"gpt-4", "gpt-4o-mini", "claude-3-haiku", "claude-3-5-sonnet"}
	periods := []string{"day", "week", "month", "quarter"}
	out := make([]string, 0, n)
	buf := make([]byte, 0, 128)
	for i := from; len(out) < n; i++ {
		id := strconv.Itoa(i)
		ws := strconv.Itoa(r.IntN(2000))
		buf = buf[:0]
		switch r.IntN(20) {
		case 0, 1, 2, 3:
			buf = append(buf, "lead:lead-"+id...)
		case 4, 5:
			buf = append(buf, "lead:lead-"+id+":enrichment"...)
		case 6, 7:
			buf = append(buf, "user:"...)
			for k := 0; k < 36; k++ {
				if k == 8 || k == 13 || k == 18 || k == 23 {
					buf = append(buf, '-')
				} else {
					buf = append(buf, "0123456789abcdef"[r.IntN(16)])
				}
			}
			buf = append(buf, "-"+id...)
		case 8, 9:
			buf = append(buf, "ai:"+models[r.IntN(len(models))]+":"...)
			for range 32 {
				buf = append(buf, b64[r.IntN(64)])
			}
			buf = append(buf, id...)
		case 10, 11:
			buf = append(buf, "analytics:workspace:ws-"+ws+":"+periods[r.IntN(4)]+"-"+id...)
		case 12:
			buf = append(buf, "analytics:campaign:cmp-"+id+":"+periods[r.IntN(4)]...)
		case 13:
			buf = append(buf, "coldcopy:lead_score:ws-"+ws+":lead-"+id...)
		case 14:
			buf = append(buf, "campaign:cmp-"+id+":performance"...)
		case 15:
			buf = append(buf, "smart-reply:msg-"+id...)
		case 16:
			buf = append(buf, "api:/api/leads:workspaceId=ws-"+ws+"&page="+id...)
		case 17:
			buf = append(buf, `method:LeadService:search:[{"query":"q`+id+`"}]`...)
		case 18:
			buf = append(buf, "deliverability:domain:d"+id+".example.com"...)
		default:
			buf = append(buf, "leads:workspace:ws-"+ws+":page:"+id...)
		}
		out = append(out, string(buf))
	}
	return out
}

// loadedModel is a pane holding keys, as if a scan had streamed them, with
// the scan still running unless done.
func loadedModel(tb testing.TB, keys []string, w, h int, color, done bool) *Model {
	hn := &harness{now: pinned}
	m := New(newCommon(hn, nil, color))
	m.SetSize(w, h)
	m.SetFocused(true)
	for i := 0; i < len(keys); i += 1000 {
		m.Update(m.ScanBatch(keys[i:min(i+1000, len(keys))]...))
	}
	if done {
		m.Update(m.ScanDone())
		m.applySort(m.st.len(), sortKeys(m.st.snapshot())) // what the background sort returns
	}
	m.rebuild()
	return m
}

func down() tea.KeyPressMsg { return tea.KeyPressMsg{Code: tea.KeyDown} }

func checkBudget(b *testing.B, what string, perOp, budget time.Duration) {
	b.Helper()
	if !raceEnabled && perOp > budget {
		b.Errorf("%s: %v per op, budget %v", what, perOp, budget)
	}
}

func BenchmarkViewWith1MKeys(b *testing.B) {
	keys := coldcopyKeys(1_000_000, 0)
	m := loadedModel(b, keys, 120, 40, true, true)
	bench := func(name string, setup func()) {
		b.Run(name, func(b *testing.B) {
			setup()
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				_ = m.View()
			}
			checkBudget(b, "View", time.Since(start)/time.Duration(b.N), 2*time.Millisecond)
		})
	}
	bench("tree", func() {
		m.flat = false
		m.expanded = map[string]bool{}
		m.rebuild()
		m.moveTo(0)
	})
	bench("tree-expanded", func() {
		// lead: has ~100k child namespaces (lead:<id>:) and ~200k keys.
		m.expanded = map[string]bool{"lead:": true, "ai:": true, "ai:gpt-4:": true, "analytics:": true}
		m.rebuild()
		m.moveTo(m.nrows / 2)
		b.Logf("tree rows %d, namespaces %d", m.nrows, m.tree.Nodes())
	})
	bench("flat", func() {
		m.flat = true
		m.rebuild()
		m.moveTo(m.nrows / 2)
	})
	bench("filtered", func() {
		m.flat = true
		m.Update(m.ScanBatch()) // no-op, keeps state
		m.filter.cancel()
		m.filter.query, m.filter.q = "lead", foldQuery("lead")
		m.filter.bits, m.filter.upTo, m.filter.ready = nil, 0, true
		m.rebuild()
		m.moveTo(m.nrows / 3)
		b.Logf("filter rows %d", m.nrows)
	})
}

// BenchmarkKeypressWhileStreaming: the scan keeps delivering batches of
// 1000 keys on top of a million loaded; each op is one down key and one
// View, the work a keypress costs. The batch's own Update (tree counts,
// appends, the coalesced rebuild) runs between ops off the clock and is
// reported as batch-µs/op and batch-max-ms.
func BenchmarkKeypressWhileStreaming(b *testing.B) {
	base := coldcopyKeys(1_000_000, 0)
	for _, mode := range []string{"tree-expanded", "flat"} {
		b.Run(mode, func(b *testing.B) {
			m := loadedModel(b, base, 120, 40, true, false)
			if mode == "flat" {
				m.flat = true
			} else {
				m.expanded = map[string]bool{"lead:": true, "user:": true}
			}
			m.rebuild()
			next := len(base) + 1
			var batchTotal, batchMax, opMax time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				batch := coldcopyKeys(1000, next)
				next += 1000
				sk := make([]redisops.ScannedKey, len(batch))
				for k := range batch {
					sk[k].Key = batch[k]
				}
				t0 := time.Now()
				m.Update(ScanBatchMsg{Scan: m.scanID, Keys: sk})
				d := time.Since(t0)
				batchTotal += d
				batchMax = max(batchMax, d)
				if m.cursor >= m.nrows-1 {
					m.moveTo(0)
				}
				b.StartTimer()
				t1 := time.Now()
				m.Update(down())
				_ = m.View()
				opMax = max(opMax, time.Since(t1))
			}
			b.StopTimer()
			b.ReportMetric(float64(batchTotal.Microseconds())/float64(b.N), "batch-µs/op")
			b.ReportMetric(float64(batchMax.Microseconds())/1000, "batch-max-ms")
			b.ReportMetric(float64(opMax.Microseconds())/1000, "key+view-max-ms")
			b.ReportMetric(float64(m.st.len()), "keys")
			checkBudget(b, "keypress+View (max)", opMax, 16*time.Millisecond)
		})
	}
}

// BenchmarkLoad1MKeys is the Update cost of streaming a million keys in,
// and the heap they take beyond the key strings themselves.
func BenchmarkLoad1MKeys(b *testing.B) {
	keys := coldcopyKeys(1_000_000, 0)
	keyBytes := 0
	for _, k := range keys {
		keyBytes += len(k)
	}
	var perKey float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m := loadedModel(b, keys, 120, 40, true, true)
		runtime.GC()
		runtime.ReadMemStats(&after)
		perKey = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(keys))
		runtime.KeepAlive(m)
	}
	b.ReportMetric(perKey, "heap-B/key")
	b.ReportMetric(float64(keyBytes)/float64(len(keys)), "key-B/key")
}

// TestBenchKeysAreDistinct keeps the benchmarks honest.
func TestBenchKeysAreDistinct(t *testing.T) {
	k := coldcopyKeys(200_000, 0)
	k = append(k, coldcopyKeys(1000, 1_000_001)...)
	slices.Sort(k)
	if len(slices.Compact(k)) != 201_000 {
		t.Fatal("duplicate benchmark keys")
	}
}
