package redisops

import (
	"hash/maphash"
	"runtime"
)

// seenSet remembers which keys a scan has already returned, to drop the
// duplicates SCAN may produce while the server rehashes. It keeps a 64-bit
// fingerprint per key in an open-addressing table (about 16 bytes a key at
// its load factor), never the key bytes, so a 10M-key scan costs ~160 MiB
// at most instead of the keys themselves.
//
// Fingerprints use a per-scan random seed: two distinct keys collide with
// probability about n²/2⁶⁵ (under 3e-8 for 1M keys), and a collision cannot
// be provoked by crafted key names.
//
// A large table is mapped outside the Go heap (see allocSlots): call
// release when done. A set dropped without release is unmapped by the
// garbage collector's cleanup, later.
type seenSet struct {
	seed  maphash.Seed
	slots []uint64 // 0 marks an empty slot
	count int
	table *slotTable // owns slots when they are mapped
	sink  uint64     // keeps prefetch's loads from being optimised away
}

// slotTable is the mapped memory behind a seenSet's slots, apart from the
// set so that a cleanup can free it once the set is unreachable.
type slotTable struct{ mapped []uint64 }

func (t *slotTable) free() {
	if t.mapped != nil {
		freeSlots(t.mapped)
		t.mapped = nil
	}
}

func newSeenSet() *seenSet { return newSeenSetSeeded(maphash.MakeSeed(), 1024) }

// maxPresizeKeys bounds newSeenSetFor's first table (8M slots, 64 MiB,
// resident as soon as keys land all over it): a walk cancelled early on a
// huge keyspace does not pay for the whole table; past it, the table
// grows as keys come.
const maxPresizeKeys = 1 << 22

// newSeenSetFor returns a set sized for about keys keys (DBSIZE; 0 or
// less when unknown), so that a walk of the whole keyspace never grows
// the table and every batch can be prefetched (see prefetch; presizing
// alone gains little, since a growing table is small, and cached, for
// most of the walk; with prefetch it is 2-4x faster per key,
// BenchmarkSeenSetAdd1M).
func newSeenSetFor(keys int64) *seenSet {
	n := 1024
	for int64(n) <= 2*min(keys, maxPresizeKeys) {
		n *= 2
	}
	return newSeenSetSeeded(maphash.MakeSeed(), n)
}

func newSeenSetSeeded(seed maphash.Seed, n int) *seenSet {
	s := &seenSet{seed: seed, table: &slotTable{}}
	s.setSlots(n)
	runtime.AddCleanup(s, (*slotTable).free, s.table)
	return s
}

// setSlots gives the set n empty slots; the caller frees the previous
// ones when they were mapped.
func (s *seenSet) setSlots(n int) {
	slots, mapped := allocSlots(n)
	s.slots, s.table.mapped = slots, nil
	if mapped {
		s.table.mapped = slots
	}
}

// release frees the table; the set must not be used afterwards.
func (s *seenSet) release() {
	s.table.free()
	s.slots, s.count = nil, 0
}

// add records key and reports whether it was new.
func (s *seenSet) add(key string) bool {
	return s.addHash(s.hash(key))
}

func (s *seenSet) hash(key string) uint64 {
	h := maphash.String(s.seed, key)
	if h == 0 {
		h = 1 // 0 is the empty marker
	}
	return h
}

func (s *seenSet) addHash(h uint64) bool {
	if s.count*2 >= len(s.slots) {
		s.grow()
	}
	if !s.insert(h) {
		return false
	}
	s.count++
	return true
}

func (s *seenSet) insert(h uint64) bool {
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			return true
		case h:
			return false
		}
	}
}

// prefetchSlots is the table size (1 MiB) from which prefetch pays: a
// smaller table stays in the CPU's cache.
const prefetchSlots = 1 << 17

// prefetch loads the slots the fingerprints hs start probing at, before
// they are added one by one: in a table larger than the CPU's caches each
// add would otherwise wait for its own cache miss, while these loads are
// independent and overlap. Skipped when the adds will grow the table.
func (s *seenSet) prefetch(hs []uint64) {
	if (s.count+len(hs))*2 >= len(s.slots) || len(s.slots) < prefetchSlots {
		return
	}
	mask := uint64(len(s.slots) - 1)
	var sum uint64
	for _, h := range hs {
		sum += s.slots[h&mask]
	}
	s.sink += sum
}

func (s *seenSet) hasHash(h uint64) bool {
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			return false
		case h:
			return true
		}
	}
}

func (s *seenSet) grow() {
	old, oldMapped := s.slots, s.table.mapped != nil
	s.setSlots(len(old) * 2)
	for _, h := range old {
		if h != 0 {
			s.insert(h)
		}
	}
	if oldMapped {
		freeSlots(old)
	}
}

// recentSet is a duplicate filter that forgets: it remembers at least the
// last span keys added and at most twice as many, in two generations of
// fingerprints. Memory stays flat however long the scan.
type recentSet struct {
	cur, prev *seenSet
	span      int
}

func newRecentSet(span int) *recentSet {
	return &recentSet{cur: newSeenSet(), span: span}
}

// release frees both generations.
func (r *recentSet) release() {
	r.cur.release()
	if r.prev != nil {
		r.prev.release()
	}
}

// add records key and reports whether it was new among the keys remembered.
func (r *recentSet) add(key string) bool {
	h := r.cur.hash(key)
	if r.prev != nil && r.prev.hasHash(h) {
		return false
	}
	if !r.cur.addHash(h) {
		return false
	}
	if r.cur.count >= r.span {
		if r.prev != nil {
			r.prev.release()
		}
		r.prev, r.cur = r.cur, newSeenSetSeeded(r.cur.seed, len(r.cur.slots))
	}
	return true
}
