package redisops

import "hash/maphash"

// seenSet remembers which keys a scan has already returned, to drop the
// duplicates SCAN may produce while the server rehashes. It keeps a 64-bit
// fingerprint per key in an open-addressing table (about 16 bytes a key at
// its load factor), never the key bytes, so a 10M-key scan costs ~160 MiB
// at most instead of the keys themselves.
//
// Fingerprints use a per-scan random seed: two distinct keys collide with
// probability about n²/2⁶⁵ (under 3e-8 for 1M keys), and a collision cannot
// be provoked by crafted key names.
type seenSet struct {
	seed  maphash.Seed
	slots []uint64 // 0 marks an empty slot
	count int
}

func newSeenSet() *seenSet {
	return &seenSet{seed: maphash.MakeSeed(), slots: make([]uint64, 1024)}
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
	old := s.slots
	s.slots = make([]uint64, len(old)*2)
	for _, h := range old {
		if h != 0 {
			s.insert(h)
		}
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
		r.prev, r.cur = r.cur, &seenSet{seed: r.cur.seed, slots: make([]uint64, len(r.cur.slots))}
	}
	return true
}
