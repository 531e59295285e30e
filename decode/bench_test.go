package decode

import (
	"runtime"
	"testing"
)

// compressed1MiB builds a realistic COMPRESSED: value whose stored size is
// about 1 MiB: a page of varied lead records, gzip at Node's default level,
// base64. Its JSON is several MiB; the ratio is that of real records.
func compressed1MiB(b testing.TB) (value, json []byte) {
	const target = 1 << 20
	n := 1000
	for {
		json = leadsJSON(n, 42)
		value = compressedValue(b, json)
		if len(value) >= target {
			return value, json
		}
		// Scale towards the target (records are similar in size).
		n = n*target/len(value) + 1
	}
}

func BenchmarkDecodeCompressed1MiB(b *testing.B) {
	value, json := compressed1MiB(b)
	b.Logf("stored %d bytes, JSON %d bytes, gzip ratio %.1fx", len(value), len(json),
		float64(len(json))/float64(len(value)*3/4))
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := Decode(value, DefaultOptions())
		if r.Format != FormatJSON || r.Truncated {
			b.Fatalf("unexpected result: %s truncated=%v %q", r.Format, r.Truncated, r.Warnings)
		}
	}
}

func BenchmarkGzipBomb1GiB(b *testing.B) {
	bomb := gzipOfZeros1GiB(b)
	b.SetBytes(1 << 30) // what the bomb claims to hold
	b.ReportAllocs()
	var peak uint64
	b.ResetTimer()
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := Decode(bomb, DefaultOptions())
		runtime.ReadMemStats(&after)
		if !r.Truncated {
			b.Fatal("bomb not capped")
		}
		// Everything Decode allocated, live or not: an upper bound on the
		// extra heap it needed.
		peak = max(peak, after.TotalAlloc-before.TotalAlloc)
	}
	b.ReportMetric(float64(peak)/(1<<20), "MiB-heap")
}

func BenchmarkDecodeLZDamaged(b *testing.B) {
	value := append([]byte("LZ:"), NodeUTF8(LZStringCompress(string(leadsJSON(200, 7))))...)
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	for b.Loop() {
		Decode(value, DefaultOptions())
	}
}

func BenchmarkLZStringCompress(b *testing.B) {
	s := string(leadsJSON(200, 7))
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		LZStringCompress(s)
	}
}

func BenchmarkLZStringDecompress(b *testing.B) {
	s := string(leadsJSON(200, 7))
	units := LZStringCompress(s)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LZStringDecompress(units, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSmallJSON is the per-key cost when scanning many small
// values: no goroutines, little allocation.
func BenchmarkDecodeSmallJSON(b *testing.B) {
	value := []byte(sampleJSON)
	b.ReportAllocs()
	for b.Loop() {
		Decode(value, DefaultOptions())
	}
}

func BenchmarkDecodeSmallGzip(b *testing.B) {
	value := gzipBytes(b, leadsJSON(2, 1))
	b.ReportAllocs()
	for b.Loop() {
		Decode(value, DefaultOptions())
	}
}

func BenchmarkFormatJSON(b *testing.B) {
	_, json := compressed1MiB(b)
	b.SetBytes(int64(len(json)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := formatJSON(json, 16<<20); err != nil {
			b.Fatal(err)
		}
	}
}
