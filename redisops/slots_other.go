//go:build !linux

package redisops

// allocSlots returns n zeroed slots on the heap (see slots_linux.go).
func allocSlots(n int) ([]uint64, bool) { return make([]uint64, n), false }

func freeSlots([]uint64) {}
