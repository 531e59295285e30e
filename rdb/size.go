package rdb

import (
	"bytes"
	"math/bits"
	"slices"
)

// SizeModel emulates what MEMORY USAGE answers for a key once the server
// has loaded it (Redis 7.0's objectComputeSize with SAMPLES 0, plus the key
// and its dict entry), from the file alone. It follows jemalloc's size
// classes, whose smallest spacing (the quantum) depends on the build:
// Redis's and Valkey's own builds (official packages, containers, managed
// services) use 8 bytes, a distribution's shared libjemalloc (Debian's
// redis-server) 16.
type SizeModel struct {
	Quantum int // 8 or 16; 0 means 8
}

// Sizes of Redis 7.0 structures on a 64-bit build.
const (
	sizeRobj          = 16
	sizeDictEntry     = 24
	sizeDict          = 56
	sizeQuicklist     = 40
	sizeQuicklistNode = 40
	sizeZset          = 16
	sizeZskiplist     = 32
	sizeZslHeader     = 24 + 32*16 // zskiplistNode with ZSKIPLIST_MAXLEVEL levels
	sizeStream        = 80
	sizeStreamCG      = 40
	sizeStreamNACK    = 24
	sizeConsumer      = 24
	sizeStreamID      = 16
	sizeRaxNode       = 4
	embstrLimit       = 44
	// streamTailPrealloc is STREAM_LISTPACK_MAX_PRE_ALLOCATE.
	streamTailPrealloc = 4096
)

func (m SizeModel) quantum() int {
	if m.Quantum == 16 {
		return 16
	}
	return 8
}

// alloc is jemalloc's usable size for a request of n bytes.
func (m SizeModel) alloc(n int64) int64 {
	if n <= 8 {
		return 8
	}
	q := int64(m.quantum())
	if n <= 128 {
		if q == 8 && n <= 64 {
			return (n + 7) &^ 7
		}
		if q == 16 {
			return (n + 15) &^ 15
		}
		// quantum 8: 80, 96, 112, 128
		return (n + 15) &^ 15
	}
	// Four classes per doubling: 160, 192, 224, 256, 320, ...
	k := 63 - bits.LeadingZeros64(uint64(n-1)) // 2^k < n ≤ 2^(k+1)
	step := int64(1) << (k - 2)
	return (n + step - 1) &^ (step - 1)
}

// sdsAlloc is the allocation of an sds string of length n made by
// sdsnewlen (keys, hash fields and values, set members).
func (m SizeModel) sdsAlloc(n int64) int64 {
	var hdr int64
	switch {
	case n < 32:
		hdr = 1
	case n < 256:
		hdr = 3
	case n < 65536:
		hdr = 5
	case n < 1<<32:
		hdr = 9
	default:
		hdr = 17
	}
	return m.alloc(hdr + n + 1)
}

// keyOverhead is what MEMORY USAGE adds to the value: the key's sds and the
// main dict's entry.
func (m SizeModel) keyOverhead(keyLen int64) int64 {
	return m.sdsAlloc(keyLen) + sizeDictEntry
}

// stringValue is a string value: an integer in a robj, an embedded string
// (robj and sdshdr8 in one allocation) or a robj pointing at an sds.
func (m SizeModel) stringValue(n int64, isInt bool) int64 {
	switch {
	case isInt:
		return sizeRobj
	case n <= embstrLimit:
		return m.alloc(sizeRobj + 3 + n + 1)
	}
	return sizeRobj + m.sdsAlloc(n)
}

// dictSlots is the bucket count of a dict holding n entries, grown one
// insertion at a time or sized at load: the next power of two, at least 4.
func dictSlots(n int64) int64 {
	if n <= 4 {
		return 4
	}
	return int64(1) << (64 - bits.LeadingZeros64(uint64(n-1)))
}

func (m SizeModel) dictBase(n int64) int64 {
	return sizeRobj + sizeDict + 8*dictSlots(n)
}

// zslNode is the expected allocation of a skiplist node: its level is
// random (each further level with probability 1/4), so the average over
// the level distribution stands for it.
func (m SizeModel) zslNode() float64 {
	var e, p float64 = 0, 0.75
	for level := int64(1); level <= 32; level++ {
		e += p * float64(m.alloc(24+16*level))
		p /= 4
	}
	return e
}

// streamID is a stream ID as radix trees key it: 16 bytes, big endian.
type streamID [16]byte

// radix is streamRadixTreeMemoryUsage for a tree holding ids: 16 bytes an
// element plus a fixed 244 bytes a node.
func radix(ids []streamID) int64 {
	slices.SortFunc(ids, func(a, b streamID) int { return bytes.Compare(a[:], b[:]) })
	nodes := int64(1) // an empty tree has its root
	if len(ids) > 0 {
		nodes = raxNodes(ids, 0)
	}
	return int64(len(ids))*sizeStreamID + nodes*(sizeRaxNode+8*30)
}

// raxNodes counts the nodes of the rax under a node at depth whose keys
// (sorted) are ids: a compressed node for a run they all share, a
// branching node where they part, an empty node where a key ends. Only
// deletions make a real tree differ from this, by a few nodes.
func raxNodes(ids []streamID, depth int) int64 {
	if depth == len(streamID{}) {
		return 1
	}
	first, last := &ids[0], &ids[len(ids)-1]
	shared := 0
	for depth+shared < len(first) && first[depth+shared] == last[depth+shared] {
		shared++
	}
	if shared > 0 {
		return 1 + raxNodes(ids, depth+shared)
	}
	n := int64(1)
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && ids[j][depth] == ids[i][depth] {
			j++
		}
		n += raxNodes(ids[i:j], depth+1)
		i = j
	}
	return n
}
