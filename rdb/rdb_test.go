package rdb_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/rdbfixture"
	"github.com/coldcopy/cachedeck/internal/redisproc"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/rdb"
)

var update = flag.Bool("update", false, "rewrite testdata/all-types.rdb from a live server")

// debianSizes: the test server is Debian's redis-server, built against the
// shared libjemalloc (16-byte quantum).
var debianSizes = rdb.SizeModel{Quantum: 16}

// saved fills a server with every type and encoding, SAVEs, and returns
// the server, a client and the file.
func saved(t *testing.T) (*redisproc.Server, *redis.Client, []rdbfixture.Key, []byte) {
	t.Helper()
	s := redistest.Standalone(t, rdbfixture.Directives...)
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { _ = c.Close() })
	keys := rdbfixture.Fill(t, c)
	require.NoError(t, c.Save(context.Background()).Err())
	file, err := os.ReadFile(filepath.Join(s.Dir, "dump.rdb"))
	require.NoError(t, err)
	return s, c, keys, file
}

type walked struct {
	entry rdb.Entry
	key   string
}

func walkAll(t *testing.T, file []byte) (rdb.Info, map[string]walked) {
	t.Helper()
	got := map[string]walked{}
	info, err := rdb.WalkWith(bytes.NewReader(file), rdb.Options{Sizes: debianSizes}, func(e *rdb.Entry) error {
		got[string(e.Key)] = walked{entry: *e, key: string(e.Key)}
		return nil
	})
	require.NoError(t, err)
	return info, got
}

func TestWalkRealFileEveryTypeAndEncoding(t *testing.T) {
	_, c, keys, file := saved(t)
	ctx := context.Background()
	if *update {
		require.NoError(t, os.WriteFile("testdata/all-types.rdb", file, 0o644))
	}
	info, got := walkAll(t, file)
	assert.Equal(t, "REDIS", info.Magic)
	assert.Equal(t, 10, info.Version, "redis-server 7.0 writes RDB 10")
	assert.Equal(t, int64(len(file)), info.Bytes)
	assert.Equal(t, int64(len(keys)), info.Keys)
	assert.NotZero(t, info.Checksum)
	assert.Contains(t, info.Server(), "redis 7.")
	assert.NotEmpty(t, info.Aux["ctime"])
	require.Len(t, got, len(keys))

	encodings := map[string]bool{}
	for _, k := range keys {
		w, ok := got[k.Name]
		require.True(t, ok, "key %q missing from the walk", k.Name)
		e := w.entry
		assert.Equal(t, k.DB, e.DB, k.Name)
		assert.Equal(t, k.Type, e.Type, k.Name)
		assert.Equal(t, k.Encoding, e.Encoding, k.Name)
		encodings[k.Type+"/"+k.Encoding] = true
		if k.DB != 0 {
			continue
		}
		assert.Equal(t, serverLength(t, c, k), e.Length, "length of %s", k.Name)
		ttl := c.PTTL(ctx, k.Name).Val()
		if ttl > 0 {
			assert.Greater(t, e.ExpireMs, int64(0), k.Name)
		} else {
			assert.Zero(t, e.ExpireMs, k.Name)
		}
		// The size model against the server's own answer.
		usage, err := c.MemoryUsage(ctx, k.Name, 0).Result()
		require.NoError(t, err)
		tolerance := 0.0
		switch k.Encoding {
		case "skiplist":
			tolerance = 0.05 // node levels are random
		case "hashtable":
			// A live dict can be left half rehashed (both bucket arrays
			// allocated) until its next writes; a loaded one never is.
			tolerance = 0.15
		}
		assert.InDelta(t, float64(usage), float64(e.Memory), tolerance*float64(usage)+0.5,
			"MEMORY USAGE %s (%s/%s): server %d, model %d", k.Name, k.Type, k.Encoding, usage, e.Memory)
	}
	for _, want := range []string{"string/int", "string/embstr", "string/raw", "list/quicklist", "set/intset", "set/hashtable",
		"zset/listpack", "zset/skiplist", "hash/listpack", "hash/hashtable", "stream/stream"} {
		assert.True(t, encodings[want], "the fixture lacks %s", want)
	}
	assert.Equal(t, int64(3), got["list:plain"].entry.Length, "a plain node counts as one element")
}

func serverLength(t *testing.T, c *redis.Client, k rdbfixture.Key) int64 {
	ctx := context.Background()
	var n int64
	var err error
	switch k.Type {
	case "string":
		n, err = c.StrLen(ctx, k.Name).Result()
	case "list":
		n, err = c.LLen(ctx, k.Name).Result()
	case "set":
		n, err = c.SCard(ctx, k.Name).Result()
	case "zset":
		n, err = c.ZCard(ctx, k.Name).Result()
	case "hash":
		n, err = c.HLen(ctx, k.Name).Result()
	case "stream":
		n, err = c.XLen(ctx, k.Name).Result()
	}
	require.NoError(t, err)
	return n
}

func TestParseDumpMatchesTheFile(t *testing.T) {
	_, c, keys, file := saved(t)
	_, got := walkAll(t, file)
	ctx := context.Background()
	for _, k := range keys {
		if k.DB != 0 {
			continue
		}
		payload, err := c.Dump(ctx, k.Name).Result()
		require.NoError(t, err)
		obj, err := rdb.ParseDump([]byte(payload), debianSizes)
		require.NoError(t, err, k.Name)
		assert.Equal(t, got[k.Name].entry.Object, obj, k.Name)

		bad := []byte(payload)
		bad[1] ^= 0x40
		_, err = rdb.ParseDump(bad, debianSizes)
		assert.Error(t, err, "a changed byte of %s", k.Name)
	}
}

func TestVerifyFileRefusesDamage(t *testing.T) {
	_, _, _, file := saved(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	info, err := rdb.VerifyFile(write("good.rdb", file))
	require.NoError(t, err)
	assert.Equal(t, int64(len(file)), info.Bytes)

	// Every cut is refused, at the header, in a record or in the trailer.
	for _, n := range []int{0, 5, 9, 20, len(file) / 3, len(file) / 2, len(file) - 9, len(file) - 8, len(file) - 1} {
		_, err := rdb.VerifyFile(write("cut.rdb", file[:n]))
		assert.Error(t, err, "cut at %d of %d", n, len(file))
	}
	// A flipped bit in a string's bytes changes no structure: only the
	// checksum sees it.
	i := bytes.Index(file, []byte("hello world"))
	require.Positive(t, i)
	flipped := bytes.Clone(file)
	flipped[i] ^= 1
	_, err = rdb.VerifyFile(write("flip.rdb", flipped))
	require.Error(t, err)
	assert.True(t, errors.Is(err, rdb.ErrChecksum), "%v", err)

	_, err = rdb.VerifyFile(write("trailing.rdb", append(bytes.Clone(file), 0)))
	assert.ErrorContains(t, err, "after the end marker")

	_, err = rdb.VerifyFile(write("text.rdb", []byte("hello, this is not an RDB file")))
	assert.ErrorContains(t, err, "not an RDB file")

	// Checksums off (rdbchecksum no): a zero trailer is accepted.
	off := bytes.Clone(file)
	copy(off[len(off)-8:], make([]byte, 8))
	info, err = rdb.VerifyFile(write("nocrc.rdb", off))
	require.NoError(t, err)
	assert.Zero(t, info.Checksum)
}

func TestWalkStopsOnCallbackError(t *testing.T) {
	file, err := os.ReadFile("testdata/all-types.rdb")
	require.NoError(t, err)
	stop := errors.New("enough")
	n := 0
	_, err = rdb.Walk(bytes.NewReader(file), func(*rdb.Entry) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	assert.Same(t, stop, err)
	assert.Equal(t, 3, n)
}

func TestValkeyMagic(t *testing.T) {
	file, err := os.ReadFile("testdata/all-types.rdb")
	require.NoError(t, err)
	// The same records under Valkey 9's header, with the checksum redone.
	v := append([]byte("VALKEY080"), file[9:len(file)-8]...)
	v = append(v, le64(rdb.CRC64(v))...)
	info, err := rdb.Walk(bytes.NewReader(v), nil)
	require.NoError(t, err)
	assert.Equal(t, "VALKEY", info.Magic)
	assert.Equal(t, 80, info.Version)
}

func TestCRC64KnownValue(t *testing.T) {
	assert.Equal(t, uint64(0xe9c6d914c4b8d9ca), rdb.CRC64([]byte("123456789")))
}

func le64(v uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b
}

func TestHostileLengthsAllocateNothingBig(t *testing.T) {
	// A string claiming 400 MiB with 3 bytes behind it: refused as
	// truncated without allocating the claim.
	f := []byte("REDIS0010")
	f = append(f, 0x00, 0x01, 'k', 0x80, 0x19, 0x00, 0x00, 0x00, 'a', 'b', 'c')
	var before, after runtimeMem
	before.read()
	_, err := rdb.Walk(bytes.NewReader(f), nil)
	after.read()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "truncated")
	assert.Less(t, after.total-before.total, uint64(8<<20))

	// A collection claiming 2^40 elements is refused at its header.
	g := []byte("REDIS0010")
	g = append(g, 0x02, 0x01, 'k', 0x81, 0, 0, 1, 0, 0, 0, 0, 0)
	_, err = rdb.Walk(bytes.NewReader(g), nil)
	assert.ErrorContains(t, err, "elements")

	// A compressed string claiming far more than LZF can expand to.
	h := []byte("REDIS0010")
	h = append(h, 0x00, 0x01, 'k', 0xc3, 0x02, 0x80, 0x10, 0x00, 0x00, 0x00, 0x01, 'a', 'b')
	_, err = rdb.Walk(bytes.NewReader(h), nil)
	assert.ErrorContains(t, err, "compressed string claims")
}

func TestModuleValueIsSkippedByName(t *testing.T) {
	// A MODULE_2 value as a module would write it: id, then tagged
	// fields up to the EOF opcode.
	id := moduleID("ReJSON-RL", 3)
	f := []byte("REDIS0010")
	f = append(f, 0x07, 0x03, 'd', 'o', 'c', 0x81)
	for i := 7; i >= 0; i-- {
		f = append(f, byte(id>>(8*i)))
	}
	f = append(f, 0x05, 0x05, 'h', 'e', 'l', 'l', 'o', 0x02, 0x2a, 0x00)
	f = append(f, 0xff)
	f = append(f, le64(rdb.CRC64(f))...)
	var got []rdb.Entry
	_, err := rdb.Walk(bytes.NewReader(f), func(e *rdb.Entry) error { got = append(got, *e); return nil })
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "module", got[0].Type)
	assert.Equal(t, "ReJSON-RL", got[0].Encoding)

	// The pre-release module format cannot be skipped: a clear refusal.
	g := []byte("REDIS0010")
	g = append(g, 0x06, 0x01, 'k', 0x00)
	_, err = rdb.Walk(bytes.NewReader(g), nil)
	assert.ErrorContains(t, err, "module value in the pre-release")
}

func moduleID(name string, version uint64) uint64 {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var id uint64
	for _, c := range name {
		id = id<<6 | uint64(strings.IndexRune(chars, c))
	}
	return id<<10 | version
}
