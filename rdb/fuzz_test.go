package rdb_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/coldcopy/cachedeck/rdb"
)

// seedFile is a real RDB with every type, from redis-server 7.0 (see
// TestWalkRealFileEveryTypeAndEncoding -update).
func seedFile(f *testing.F) []byte {
	b, err := os.ReadFile("testdata/all-types.rdb")
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzWalk: any input ends in an error or a walk, never a panic, a hang
// or an allocation beyond the input's own size; a walk that succeeds
// consumed exactly the input.
func FuzzWalk(f *testing.F) {
	file := seedFile(f)
	f.Add(file)
	f.Add(file[:200])
	f.Add([]byte("REDIS0011\xfa\x09redis-ver\x057.2.4\xff\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("VALKEY080\xfe\x00\xfb\x01\x00\x00\x01k\x01v\xff\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		info, err := rdb.WalkWith(bytes.NewReader(b), rdb.Options{Sizes: rdb.SizeModel{Quantum: 16}}, func(e *rdb.Entry) error {
			n++
			if e.Memory < 0 || e.Serialized <= 0 {
				t.Fatalf("entry %q: memory %d, serialized %d", e.Key, e.Memory, e.Serialized)
			}
			return nil
		})
		if err == nil && info.Bytes != int64(len(b)) {
			t.Fatalf("walk ok after %d of %d bytes", info.Bytes, len(b))
		}
		if int64(n) != info.Keys {
			t.Fatalf("%d calls for %d keys", n, info.Keys)
		}
	})
}

// FuzzParseDump: DUMP payloads from a logical backup are untrusted too.
func FuzzParseDump(f *testing.F) {
	f.Add([]byte("\x00\x05hello\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x10\x0c\x0c\x00\x00\x00\x02\x00\x81a\x02\x81b\x02\xff\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x0b\x0c\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x02\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := rdb.ParseDump(b, rdb.SizeModel{})
		if err == nil && (o.Type == "" || o.Memory < 0) {
			t.Fatalf("parsed without a type or with negative memory: %+v", o)
		}
	})
}
