package keys

import (
	"unsafe"

	"github.com/coldcopy/cachedeck/redisops"
)

// Redis types as one byte. The low nibble of a key's meta byte is its type;
// the high bits say what is known about it.
const (
	typUnknown uint8 = iota
	typString
	typHash
	typList
	typSet
	typZSet
	typStream
	typGone  // TYPE answered none: the key expired or was deleted
	typOther // a module type; its name is in store.other

	typMask   uint8 = 0x0f
	metaKnown uint8 = 0x10 // TYPE and PTTL fetched: exp is valid
)

var typeNames = [...]string{"", "string", "hash", "list", "set", "zset", "stream", "gone", "?"}

func typeCode(t string) uint8 {
	switch t {
	case "":
		return typUnknown
	case "string":
		return typString
	case "hash":
		return typHash
	case "list":
		return typList
	case "set":
		return typSet
	case "zset":
		return typZSet
	case "stream":
		return typStream
	case "none":
		return typGone
	}
	return typOther
}

const (
	chunkBits = 14 // entries per column chunk: 16384
	chunkLen  = 1 << chunkBits
	chunkMask = chunkLen - 1
	arenaSize = 1 << 20 // bytes per key-bytes chunk
)

// column is an append-only array in fixed-size chunks: appending never
// copies what is there (no stall when a million-entry slice would double)
// and an element never moves once written.
type column[T any] struct {
	chunks [][]T
	n      int
}

func (c *column[T]) push(v T) {
	if c.n&chunkMask == 0 {
		c.chunks = append(c.chunks, make([]T, 0, chunkLen))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
}

func (c *column[T]) at(i int32) T    { return c.chunks[i>>chunkBits][i&chunkMask] }
func (c *column[T]) ref(i int32) *T  { return &c.chunks[i>>chunkBits][i&chunkMask] }
func (c *column[T]) snapshot() [][]T { return append([][]T(nil), c.chunks...) }

// span locates a key's bytes in the arena.
type span struct{ chunk, off, n uint32 }

// store holds the loaded keys column-wise, 29 bytes a key plus the key's
// bytes, which live in 1 MiB arena chunks: no pointer per key, so the
// garbage collector has a few hundred objects to trace, not millions.
// Everything is append-only and a key's index never changes within one
// scan, so background commands read a snapshot (keySnap) while Update
// appends; a new scan gets a new store rather than reusing this one.
type store struct {
	arena [][]byte
	spans column[span]
	ns    column[int32] // index in Model.nsList of the namespace the key counts in
	meta  column[uint8] // type code | metaKnown
	exp   column[int64] // absolute expiry in Unix ms; 0 for none (valid with metaKnown)
	// other holds the names of module types (typOther), rare enough for a map.
	other map[int32]string
}

func (s *store) len() int { return s.spans.n }

// add copies key into the arena and returns its index.
func (s *store) add(key string, ns int32) int32 {
	i := int32(s.spans.n)
	n := len(key)
	if len(s.arena) == 0 || cap(s.arena[len(s.arena)-1])-len(s.arena[len(s.arena)-1]) < n {
		s.arena = append(s.arena, make([]byte, 0, max(arenaSize, n)))
	}
	c := len(s.arena) - 1
	off := len(s.arena[c])
	s.arena[c] = append(s.arena[c], key...) // within capacity: never moves
	s.spans.push(span{chunk: uint32(c), off: uint32(off), n: uint32(n)})
	s.ns.push(ns)
	s.meta.push(0)
	s.exp.push(0)
	return i
}

// key returns key i without copying. The bytes are never written again,
// which is what makes the unsafe.String sound.
func (s *store) key(i int32) string { return arenaKey(s.arena, s.spans.at(i)) }

func arenaKey(arena [][]byte, sp span) string {
	if sp.n == 0 {
		return ""
	}
	return unsafe.String(&arena[sp.chunk][sp.off], int(sp.n))
}

// keySnap is a read-only view of the first n keys for a background
// command. It copies the chunk headers (a few hundred), so Update's
// appends never touch memory the command reads.
type keySnap struct {
	arena [][]byte
	spans [][]span
	n     int
}

func (s *store) snapshot() keySnap {
	return keySnap{arena: append([][]byte(nil), s.arena...), spans: s.spans.snapshot(), n: s.len()}
}

func (k keySnap) key(i int) string {
	return arenaKey(k.arena, k.spans[i>>chunkBits][i&chunkMask])
}

func (s *store) typeName(i int32) string {
	t := s.meta.at(i) & typMask
	if t == typOther {
		if n, ok := s.other[i]; ok {
			return n
		}
	}
	return typeNames[t]
}

func (s *store) setType(i int32, t string) {
	c := typeCode(t)
	m := s.meta.ref(i)
	*m = *m&^typMask | c
	if c == typOther {
		if s.other == nil {
			s.other = map[int32]string{}
		}
		s.other[i] = clean(t) // a module's type name, shown as is otherwise
	}
}

// nsInfo is the pane's own data about a namespace of the tree: its direct
// keys in display order and a cache of its children sorted for display.
type nsInfo struct {
	node *redisops.Namespace
	keys []int32
	// kids is node's children sorted (most keys first, then by prefix), valid
	// while node.Keys == kidsAt: no key added below means no count changed.
	kids   []*redisops.Namespace
	kidsAt int
	// unsorted: kids grew in arrival order while the scan streamed (a big
	// fan-out); listed is the set of kids, to find new children.
	unsorted bool
	listed   map[*redisops.Namespace]struct{}
}
