package seed_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/seed"
)

const testKeys = 5000

var efbfbd = []byte{0xEF, 0xBF, 0xBD}

// dataset is the default dataset of testKeys keys, generated once for all tests.
var dataset = sync.OnceValue(func() []seed.Entry {
	var out []seed.Entry
	for e := range seed.Generate(seed.Options{Keys: testKeys}) {
		out = append(out, e)
	}
	return out
})

// digest hashes every field of every entry, so two datasets compare equal only if identical.
func digest(t *testing.T, opts seed.Options) (sum [32]byte, n int) {
	t.Helper()
	h := sha256.New()
	str := func(s []byte) {
		_ = binary.Write(h, binary.LittleEndian, uint64(len(s)))
		h.Write(s)
	}
	for e := range seed.Generate(opts) {
		n++
		str([]byte(e.Key))
		str([]byte(e.Namespace))
		str([]byte(e.Codec))
		str(e.Value)
		str(e.Plain)
		_ = binary.Write(h, binary.LittleEndian, []int64{int64(e.Kind), int64(e.TTL)})
		for _, it := range e.Items {
			str([]byte(it))
		}
		for _, s := range e.Scores {
			_ = binary.Write(h, binary.LittleEndian, s)
		}
		for _, se := range e.Stream {
			str([]byte(se.ID))
			for _, v := range se.Values {
				str([]byte(v))
			}
		}
	}
	copy(sum[:], h.Sum(nil))
	return sum, n
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a, n := digest(t, seed.Options{Keys: 2000, Seed: 7})
	b, _ := digest(t, seed.Options{Keys: 2000, Seed: 7})
	assert.Equal(t, 2000, n)
	assert.Equal(t, a, b, "same Keys and Seed must give the same dataset")
	c, _ := digest(t, seed.Options{Keys: 2000, Seed: 8})
	assert.NotEqual(t, a, c, "another seed must give another dataset")
	// Seed writes what Generate yields; TestSeedStandalone compares the two key by key.
}

func TestGenerateFixedKeysDoNotDependOnSeed(t *testing.T) {
	t.Parallel()
	first := func(s int64) []seed.Entry {
		var out []seed.Entry
		for e := range seed.Generate(seed.Options{Keys: testKeys, Seed: s}) {
			if len(out) == seed.MinKeys() {
				break
			}
			out = append(out, e)
		}
		return out
	}
	assert.Equal(t, first(1), first(99))
	assert.Equal(t, seed.Fixed(), first(3))
}

func TestGenerateKeyCountIsExact(t *testing.T) {
	t.Parallel()
	for _, keys := range []int{1, seed.MinKeys(), seed.MinKeys() + 1, 1234} {
		seen := map[string]bool{}
		for e := range seed.Generate(seed.Options{Keys: keys}) {
			require.False(t, seen[e.Key], "duplicate key %q", e.Key)
			seen[e.Key] = true
		}
		assert.Equal(t, max(keys, seed.MinKeys()), len(seen), "keys=%d", keys)
	}
	seen := map[string]bool{}
	for _, e := range dataset() {
		seen[e.Key] = true
	}
	assert.Len(t, seen, testKeys)
}

func TestGenerateCoversEveryNamespace(t *testing.T) {
	t.Parallel()
	got := map[string]int{}
	kinds := map[seed.Kind]int{}
	var keys []string
	for _, e := range dataset() {
		got[e.Namespace]++
		kinds[e.Kind]++
		keys = append(keys, e.Key)
	}
	for _, ns := range seed.Namespaces() {
		assert.Positive(t, got[ns.Pattern], "namespace %s missing", ns.Pattern)
	}
	for _, k := range []seed.Kind{seed.KindString, seed.KindHash, seed.KindList, seed.KindSet, seed.KindZSet, seed.KindStream} {
		assert.GreaterOrEqual(t, kinds[k], 2, "type %s", k)
	}
	// The schema's namespaces, by the prefix of their keys.
	for _, prefix := range []string{
		"user:", "workspace:", "lead:", "leads:workspace:", "campaign:", "campaigns:workspace:",
		"analytics:workspace:", "analytics:campaign:", "analytics:lead:", "ai:", "smart-reply:",
		"linkedin:profile:", "twitter:profile:", "hubspot:contact:", "deliverability:domain:",
		"deliverability:spam:", "deliverability:metrics:", "intent:", "visitors:", "method:", "api:",
		"coldcopy:lead_score:", "coldcopy:campaign_analytics:", "coldcopy:workspace_dashboard:",
		"cache:raw:", "temp:", "billing:", "payment:", "auth:token:", "auth:session:", "session:",
		"webhook:payload:", "audit:log:",
	} {
		found := false
		for _, k := range keys {
			if strings.HasPrefix(k, prefix) {
				found = true
				break
			}
		}
		assert.True(t, found, "no key starts with %q", prefix)
	}
}

// jsLen is the JavaScript length (UTF-16 code units) of UTF-8 text.
func jsLen(b []byte) int {
	n := 0
	for _, r := range string(b) {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	return out
}

func lzDecode(t *testing.T, v []byte) []byte {
	t.Helper()
	out, err := decode.LZStringDecompress(decode.UTF16Units(v), 0)
	require.NoError(t, err)
	return []byte(out)
}

func TestGenerateFramings(t *testing.T) {
	t.Parallel()
	var compressed, lz, damaged, plainBig int
	for _, e := range dataset() {
		if e.Kind != seed.KindString {
			continue
		}
		switch e.Codec {
		case seed.CodecJSON:
			require.True(t, json.Valid(e.Value), "%q: invalid JSON", e.Key)
			require.Equal(t, e.Plain, e.Value)
			if jsLen(e.Plain) > 1024 {
				plainBig++
			}
		case seed.CodecCompressed:
			compressed++
			require.True(t, bytes.HasPrefix(e.Value, []byte("COMPRESSED:")), e.Key)
			gz, err := base64.StdEncoding.DecodeString(string(e.Value[len("COMPRESSED:"):]))
			require.NoError(t, err)
			require.Equal(t, e.Plain, gunzip(t, gz), e.Key)
			require.Greater(t, jsLen(e.Plain), 1024, "only JSON over 1024 chars is compressed")
			require.True(t, json.Valid(e.Plain))
		case seed.CodecLZ:
			lz++
			require.True(t, strings.HasPrefix(e.Key, "coldcopy:"), "only RedisManager writes LZ: (%q)", e.Key)
			require.True(t, bytes.HasPrefix(e.Value, []byte("LZ:")), e.Key)
			require.Greater(t, jsLen(e.Plain), 1024)
			require.True(t, utf8.Valid(e.Value), "ioredis writes valid UTF-8")
			if e.Damaged {
				damaged++
				require.True(t, bytes.Contains(e.Value, efbfbd), e.Key)
			} else {
				require.Equal(t, e.Plain, lzDecode(t, e.Value[3:]), "undamaged LZ value must decode (%q)", e.Key)
			}
		}
		if strings.HasPrefix(e.Key, "coldcopy:") && jsLen(e.Plain) > 1024 {
			require.Equal(t, seed.CodecLZ, e.Codec, e.Key)
		}
	}
	t.Logf("compressed %d, lz %d (damaged %d), uncompressed >1KB %d", compressed, lz, damaged, plainBig)
	assert.Positive(t, compressed)
	assert.Positive(t, plainBig)
	assert.Positive(t, lz)
	assert.Greater(t, damaged, lz*8/10, "most LZ values are damaged, as in production")
}

func TestFixedKeys(t *testing.T) {
	t.Parallel()
	fixed := map[string]seed.Entry{}
	for _, e := range seed.Fixed() {
		fixed[e.Key] = e
	}
	require.Len(t, fixed, seed.MinKeys(), "fixed keys are distinct")

	c := fixed[seed.KeyCompressedLead]
	require.True(t, bytes.HasPrefix(c.Value, []byte("COMPRESSED:")))
	gz, err := base64.StdEncoding.DecodeString(string(c.Value[len("COMPRESSED:"):]))
	require.NoError(t, err)
	assert.Equal(t, c.Plain, gunzip(t, gz))
	assert.Greater(t, jsLen(c.Plain), 1024)
	assert.Equal(t, 7*24*time.Hour, c.TTL)

	d := fixed[seed.KeyDamagedLZ]
	assert.True(t, bytes.HasPrefix(d.Value, []byte("LZ:")))
	assert.True(t, bytes.Contains(d.Value, efbfbd), "KeyDamagedLZ must contain EF BF BD")
	assert.True(t, d.Damaged)
	assert.Greater(t, jsLen(d.Plain), 1024)

	cl := fixed[seed.KeyCleanLZ]
	assert.True(t, bytes.HasPrefix(cl.Value, []byte("LZ:")))
	assert.False(t, bytes.Contains(cl.Value, efbfbd))
	assert.False(t, cl.Damaged)
	assert.Greater(t, jsLen(cl.Plain), 1024, "the app only frames JSON over 1024 chars")
	assert.Less(t, len(cl.Value), 400, "small stored value")
	assert.Equal(t, cl.Plain, lzDecode(t, cl.Value[3:]))

	for _, codec := range seed.RawCodecs {
		e, ok := fixed[seed.KeyRaw(codec)]
		require.True(t, ok, "raw key for %s", codec)
		assert.Equal(t, codec, e.Codec)
		assert.Equal(t, e.Plain, rawDecode(t, codec, e.Value), "codec %s", codec)
	}
	assert.Equal(t, seed.KeyRawSnappy, seed.KeyRaw(seed.CodecSnappy))
	assert.Equal(t, seed.KeyRawBase64GzipMsgpack, seed.KeyRaw(seed.CodecBase64GzipMsgpack))
	var m map[string]any
	require.NoError(t, msgpack.Unmarshal(fixed[seed.KeyRawMsgpack].Value, &m))
	assert.Contains(t, m, "email")

	big := fixed[seed.KeyBigIntJSON]
	assert.True(t, json.Valid(big.Value))
	assert.Contains(t, string(big.Value), "9007199254740993")
	assert.Contains(t, string(big.Value), "18446744073709551615")

	large := fixed[seed.KeyLarge]
	assert.Len(t, large.Value, seed.LargeSize)
	assert.Equal(t, 2<<20, seed.LargeSize)
	assert.True(t, json.Valid(large.Value))

	for key, kind := range map[string]seed.Kind{
		seed.KeyHash: seed.KindHash, seed.KeyList: seed.KindList, seed.KeySet: seed.KindSet,
		seed.KeyZSet: seed.KindZSet, seed.KeyStream: seed.KindStream,
	} {
		assert.Equal(t, kind, fixed[key].Kind, key)
	}

	awk := seed.AwkwardKeys()
	for _, want := range []string{"", "temp:*", "lead:new\nline", "lead:tab\tkey", "user:has space"} {
		assert.Contains(t, awk, want)
	}
	var invalid, esc, long, emoji, glob bool
	for _, k := range awk {
		invalid = invalid || !utf8.ValidString(k)
		esc = esc || strings.Contains(k, "\x1b")
		long = long || len(k) >= 1024
		emoji = emoji || strings.Contains(k, "😀")
		glob = glob || strings.ContainsAny(k, "*?[]\\") && strings.Contains(k, "[")
		_, ok := fixed[k]
		assert.True(t, ok, "awkward key %q is written", k)
	}
	assert.True(t, invalid && esc && long && emoji && glob, "invalid=%v esc=%v long=%v emoji=%v glob=%v", invalid, esc, long, emoji, glob)
	assert.Contains(t, awk, seed.KeyLiteralStar)

	for _, k := range seed.NeverCacheKeys() {
		e, ok := fixed[k]
		require.True(t, ok, k)
		ns := namespaceOf(e.Namespace)
		assert.Equal(t, seed.WriterNeverCache, ns.Writer, k)
	}
}

func rawDecode(t *testing.T, c seed.Codec, v []byte) []byte {
	t.Helper()
	read := func(r io.Reader, err error) []byte {
		t.Helper()
		require.NoError(t, err, c)
		out, err := io.ReadAll(r)
		require.NoError(t, err, c)
		return out
	}
	switch c {
	case seed.CodecGzip:
		return gunzip(t, v)
	case seed.CodecZlib:
		return read(zlib.NewReader(bytes.NewReader(v)))
	case seed.CodecDeflate:
		return read(flate.NewReader(bytes.NewReader(v)), nil)
	case seed.CodecZstd:
		d, err := zstd.NewReader(nil)
		require.NoError(t, err)
		defer d.Close()
		out, err := d.DecodeAll(v, nil)
		require.NoError(t, err)
		return out
	case seed.CodecLZ4:
		require.Equal(t, []byte{0x04, 0x22, 0x4d, 0x18}, v[:4], "LZ4 frame magic")
		return read(lz4.NewReader(bytes.NewReader(v)), nil)
	case seed.CodecSnappyFramed:
		require.Equal(t, "\xff\x06\x00\x00sNaPpY", string(v[:10]), "snappy stream identifier")
		return read(snappy.NewReader(bytes.NewReader(v)), nil)
	case seed.CodecSnappy:
		out, err := snappy.Decode(nil, v)
		require.NoError(t, err)
		return out
	case seed.CodecBrotli:
		return read(brotli.NewReader(bytes.NewReader(v)), nil)
	case seed.CodecBase64Gzip, seed.CodecBase64GzipMsgpack:
		gz, err := base64.StdEncoding.DecodeString(string(v))
		require.NoError(t, err)
		return gunzip(t, gz)
	case seed.CodecMsgpack:
		return v
	}
	t.Fatalf("unknown codec %s", c)
	return nil
}

func TestGenerateRawCodecKeys(t *testing.T) {
	t.Parallel()
	seen := map[seed.Codec]int{}
	for _, e := range dataset() {
		if !strings.HasPrefix(e.Key, "cache:raw:") {
			continue
		}
		seen[e.Codec]++
		require.Equal(t, e.Plain, rawDecode(t, e.Codec, e.Value), e.Key)
		require.True(t, strings.HasPrefix(e.Key, "cache:raw:"+string(e.Codec)+":"), e.Key)
	}
	for _, c := range seed.RawCodecs {
		assert.GreaterOrEqual(t, seen[c], 2, "codec %s", c)
	}
}

func namespaceOf(pattern string) seed.Namespace {
	for _, ns := range seed.Namespaces() {
		if ns.Pattern == pattern {
			return ns
		}
	}
	return seed.Namespace{}
}

// TTLs follow the strategy table: bulk keys within ±TTLJitter of their namespace's TTL (or no
// TTL), fixed keys exactly at it.
func TestGenerateTTLs(t *testing.T) {
	t.Parallel()
	table := map[string]time.Duration{
		"user:<uuid>": 5 * time.Minute, "workspace:<id>": 5 * time.Minute,
		"lead:<id>:enrichment": 7 * 24 * time.Hour, "ai:<model>:<first 32 chars of base64(prompt)>": 24 * time.Hour,
		"smart-reply:<messageId>": 24 * time.Hour, "campaign:<id>:performance": 5 * time.Minute,
		"analytics:campaign:<id>:<period>": 5 * time.Minute, "deliverability:domain:<domain>": time.Hour,
		"deliverability:spam:<hash>": time.Hour, "api:<path>:<query>[:<header>:<value>]": 5 * time.Minute,
		"coldcopy:lead_score:<ws>:<lead>": time.Hour, "coldcopy:campaign_analytics:<ws>:<id>": 5 * time.Minute,
		"coldcopy:workspace_dashboard:<ws>": 10 * time.Minute,
	}
	for p, ttl := range table {
		assert.Equal(t, ttl, namespaceOf(p).TTL, p)
	}
	fixed := map[string]bool{}
	for _, e := range seed.Fixed() {
		fixed[e.Key] = true
	}
	var none, with int
	for _, e := range dataset() {
		ns := namespaceOf(e.Namespace)
		require.NotEmpty(t, ns.Pattern, "namespace %q of %q is in Namespaces()", e.Namespace, e.Key)
		if e.TTL == 0 {
			none++
			if ns.Writer == seed.WriterRedisManager {
				t.Errorf("%q: the warming job always sets a TTL", e.Key)
			}
			continue
		}
		with++
		require.Equal(t, e.TTL, e.TTL.Truncate(time.Second), "whole seconds")
		if fixed[e.Key] {
			require.Equal(t, ns.TTL, e.TTL, e.Key)
			continue
		}
		lo := time.Duration(float64(ns.TTL) * (1 - seed.TTLJitter))
		hi := time.Duration(float64(ns.TTL) * (1 + seed.TTLJitter))
		require.True(t, e.TTL >= lo-time.Second && e.TTL <= hi, "%q: TTL %v outside %v..%v", e.Key, e.TTL, lo, hi)
	}
	t.Logf("with TTL %d, without %d", with, none)
	assert.Greater(t, none, testKeys/50, "a share of keys has no TTL")
	assert.Less(t, none, testKeys/5)
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	n := 0
	for range seed.Generate(seed.Options{Keys: 3}) {
		n++
	}
	assert.Equal(t, seed.MinKeys(), n, "Keys below MinKeys is raised")
	assert.Equal(t, 100_000, seed.DefaultKeys)
	a, _ := digest(t, seed.Options{Keys: 500})
	b, _ := digest(t, seed.Options{Keys: 500, Seed: seed.DefaultSeed})
	assert.Equal(t, a, b, "Seed 0 means DefaultSeed")
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for range seed.Generate(seed.Options{Keys: 10_000}) {
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10_000), "ns/key")
}
