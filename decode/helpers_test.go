package decode

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/stretchr/testify/require"
)

// Encoders for building test values, each the way a Node cache or a Go
// writer with default settings would produce them.

// Writers are pooled: fuzz targets build a round-trip value on every
// input, and creating a compressor costs far more than compressing a few
// bytes with it.
var (
	gzipWriters   = map[int]*sync.Pool{}
	zlibWriters   = map[int]*sync.Pool{}
	writerPoolsMu sync.Mutex
	flateWriters  sync.Pool
	zstdEncoders  sync.Pool
	lz4Writers    sync.Pool
	snappyWriters sync.Pool
	brotliWriters = map[int]*sync.Pool{}
)

func levelPool(pools map[int]*sync.Pool, level int) *sync.Pool {
	writerPoolsMu.Lock()
	defer writerPoolsMu.Unlock()
	p, ok := pools[level]
	if !ok {
		p = &sync.Pool{}
		pools[level] = p
	}
	return p
}

func gzipBytes(t testing.TB, p []byte) []byte {
	t.Helper()
	return gzipLevel(t, p, gzip.DefaultCompression)
}

func gzipLevel(t testing.TB, p []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	pool := levelPool(gzipWriters, level)
	w, ok := pool.Get().(*gzip.Writer)
	if ok {
		w.Reset(&buf)
	} else {
		var err error
		w, err = gzip.NewWriterLevel(&buf, level)
		require.NoError(t, err)
	}
	defer pool.Put(w)
	_, err := w.Write(p)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func zlibBytes(t testing.TB, p []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	pool := levelPool(zlibWriters, level)
	w, ok := pool.Get().(*zlib.Writer)
	if ok {
		w.Reset(&buf)
	} else {
		var err error
		w, err = zlib.NewWriterLevel(&buf, level)
		require.NoError(t, err)
	}
	defer pool.Put(w)
	_, err := w.Write(p)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func deflateBytes(t testing.TB, p []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, ok := flateWriters.Get().(*flate.Writer)
	if ok {
		w.Reset(&buf)
	} else {
		var err error
		w, err = flate.NewWriter(&buf, flate.DefaultCompression)
		require.NoError(t, err)
	}
	defer flateWriters.Put(w)
	_, err := w.Write(p)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func zstdBytes(t testing.TB, p []byte) []byte {
	t.Helper()
	w, ok := zstdEncoders.Get().(*zstd.Encoder)
	if !ok {
		var err error
		w, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		require.NoError(t, err)
	}
	defer zstdEncoders.Put(w)
	return w.EncodeAll(p, nil)
}

func lz4Bytes(t testing.TB, p []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, ok := lz4Writers.Get().(*lz4.Writer)
	if ok {
		w.Reset(&buf)
	} else {
		w = lz4.NewWriter(&buf)
	}
	defer lz4Writers.Put(w)
	_, err := w.Write(p)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func snappyFramedBytes(t testing.TB, p []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, ok := snappyWriters.Get().(*s2.Writer)
	if ok {
		w.Reset(&buf)
	} else {
		w = s2.NewWriter(&buf, s2.WriterSnappyCompat(), s2.WriterConcurrency(1))
	}
	defer snappyWriters.Put(w)
	_, err := w.Write(p)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func snappyBlockBytes(p []byte) []byte { return snappy.Encode(nil, p) }

func brotliBytes(t testing.TB, p []byte, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	pool := levelPool(brotliWriters, quality)
	w, ok := pool.Get().(*brotli.Writer)
	if ok {
		w.Reset(&buf)
	} else {
		w = brotli.NewWriterLevel(&buf, quality)
	}
	defer pool.Put(w)
	_, err := w.Write(p)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func b64(p []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(p)) }

// indentJSON is the reference rendering: encoding/json's own indenter.
func indentJSON(t testing.TB, src []byte) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, src, "", "  "))
	return strings.TrimRight(buf.String(), " \t\r\n")
}

// leadsJSON builds a realistic page of lead records: varied names,
// companies, ids and numbers, so it compresses like real data (3-6x), not
// like a run of zeros.
func leadsJSON(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	first := []string{"Ana", "Björn", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro", "Isabel", "Jonas", "Kwame", "Lena", "Mateo", "Nia", "Oskar", "Priya"}
	last := []string{"García", "Nakamura", "Okafor", "Schmidt", "Dubois", "Kowalski", "Silva", "Ng", "Murphy", "Haddad", "Johansson", "Rossi"}
	companies := []string{"Acme Analytics", "Northwind Labs", "Blue Harbor SaaS", "Qubit Freight", "Lumen Health", "Helios Robotics", "Pinecone Legal", "Vireo Capital"}
	titles := []string{"VP Sales", "Head of Growth", "CTO", "Marketing Manager", "Founder & CEO", "SDR Lead", "RevOps Analyst"}
	statuses := []string{"new", "contacted", "replied", "qualified", "lost"}
	cities := []string{"Berlin, DE", "Austin, TX", "Lagos, NG", "Osaka, JP", "Lyon, FR", "Toronto, CA", "São Paulo, BR"}
	techs := []string{"hubspot", "salesforce", "pipedrive", "segment", "mixpanel", "amplitude", "stripe", "intercom", "zendesk"}
	hex := func(k int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, k)
		for i := range b {
			b[i] = digits[r.IntN(16)]
		}
		return string(b)
	}
	uuid := func() string { return hex(8) + "-" + hex(4) + "-4" + hex(3) + "-a" + hex(3) + "-" + hex(12) }
	var b strings.Builder
	fmt.Fprintf(&b, `{"workspace":%q,"page":1,"total":%d,"leads":[`, uuid(), n)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		f, l, c := first[r.IntN(len(first))], last[r.IntN(len(last))], companies[r.IntN(len(companies))]
		fmt.Fprintf(&b, `{"id":%q,"workspace_id":%q,"email":"%s.%s%d@%s.com","first_name":%q,"last_name":%q,`+
			`"company":%q,"title":%q,"linkedin_url":"https://www.linkedin.com/in/%s-%s","phone":"+1-555-%04d",`+
			`"status":%q,"score":%d.%d,"tags":[%q,%q],"enrichment":{"employees":%d,"revenue_usd":%d,`+
			`"tech":[%q,%q,%q],"location":%q,"confidence":0.%03d},"notes":%q,`+
			`"created_at":"2024-%02d-%02dT%02d:%02d:%02d.%03dZ","big_id":%d}`,
			uuid(), uuid(), strings.ToLower(f), strings.ToLower(l), r.IntN(100), strings.ToLower(strings.Fields(c)[0]),
			f, l, c, titles[r.IntN(len(titles))], strings.ToLower(f), hex(6), r.IntN(10000),
			statuses[r.IntN(len(statuses))], r.IntN(100), r.IntN(10), techs[r.IntN(len(techs))], techs[r.IntN(len(techs))],
			r.IntN(5000), r.IntN(90_000_000), techs[r.IntN(len(techs))], techs[r.IntN(len(techs))], techs[r.IntN(len(techs))],
			cities[r.IntN(len(cities))], r.IntN(1000),
			fmt.Sprintf("Met at %s; follow up re %s (%s)", cities[r.IntN(len(cities))], techs[r.IntN(len(techs))], hex(10)),
			1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1000),
			uint64(1)<<62+r.Uint64N(1<<61))
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// compressedValue is CacheService's framing of j.
func compressedValue(t testing.TB, j []byte) []byte {
	return append([]byte(prefixCompressed), b64(gzipBytes(t, j))...)
}
