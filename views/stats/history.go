package stats

import (
	"math"
	"strings"
)

// point is one poll in the history; a negative figure is unknown.
type point struct {
	ops, hit, mem, lat float64
}

// history is a bounded ring of points, one per poll: about five minutes.
type history struct {
	pts  []point
	head int // next slot to write
	n    int
}

func newHistory(capacity int) history {
	return history{pts: make([]point, max(capacity, 1))}
}

func (h *history) push(p point) {
	if len(h.pts) == 0 {
		*h = newHistory(300)
	}
	h.pts[h.head] = p
	h.head = (h.head + 1) % len(h.pts)
	h.n = min(h.n+1, len(h.pts))
}

// last returns the newest k points (or fewer), oldest first, through get.
func (h *history) last(k int, get func(point) float64) []float64 {
	k = min(k, h.n)
	out := make([]float64, k)
	start := (h.head - k + len(h.pts)) % max(len(h.pts), 1)
	for i := range k {
		out[i] = get(h.pts[(start+i)%len(h.pts)])
	}
	return out
}

// sparkline draws vs as one glyph each, scaled from lo to the larger of hi
// and the largest value; unknown values (negative, NaN) are blanks.
func sparkline(vs []float64, levels []string, lo, hi float64) string {
	if len(levels) == 0 {
		return ""
	}
	for _, v := range vs {
		if v > hi && !math.IsInf(v, 0) {
			hi = v
		}
	}
	var b strings.Builder
	for _, v := range vs {
		if v < 0 || math.IsNaN(v) {
			b.WriteByte(' ')
			continue
		}
		i := 0
		if hi > lo {
			i = int(math.Round((v - lo) / (hi - lo) * float64(len(levels)-1)))
		}
		b.WriteString(levels[min(max(i, 0), len(levels)-1)])
	}
	return b.String()
}
