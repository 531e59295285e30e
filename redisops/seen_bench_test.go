package redisops

import (
	"strconv"
	"testing"
)

// BenchmarkSeenSetAdd1M adds 1M distinct keys to a duplicate filter, as a
// 1M-key walk does: growing from the default size, and presized from
// DBSIZE as the memory breakdown does. ns/op is per key.
func BenchmarkSeenSetAdd1M(b *testing.B) {
	const n = 1_000_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "lead:" + strconv.Itoa(i) + ":enrichment"
	}
	for _, mode := range []struct {
		name    string
		make    func() *seenSet
		batched bool // hashes of 1000 keys, prefetched, then added
	}{
		{"growing", newSeenSet, false},
		{"presized", func() *seenSet { return newSeenSetFor(n) }, false},
		{"growing-batched", newSeenSet, true},
		{"presized-batched", func() *seenSet { return newSeenSetFor(n) }, true},
	} {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				s := mode.make()
				if mode.batched {
					hs := make([]uint64, 0, 1000)
					for start := 0; start < n; start += 1000 {
						hs = hs[:0]
						for _, k := range keys[start:min(start+1000, n)] {
							hs = append(hs, s.hash(k))
						}
						s.prefetch(hs)
						for _, h := range hs {
							s.addHash(h)
						}
					}
				} else {
					for _, k := range keys {
						s.add(k)
					}
				}
				s.release()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/key")
		})
	}
}
