package redisops

import (
	"syscall"
	"unsafe"
)

// mapSlots is the threshold above which a fingerprint table lives outside
// the Go heap: it is the one large thing a scan keeps alive, and on the
// heap the garbage collector lets the heap grow to twice what is alive, so
// a 16 MiB table would cost 32 MiB of resident memory. Mapped, it costs
// its own size and is returned to the system the moment it is freed.
const mapSlots = 1 << 17 // 1 MiB of uint64

const madvHugepage = 14 // MADV_HUGEPAGE, linux/mman.h

// allocSlots returns n zeroed slots and whether they are mapped (and must
// be given to freeSlots).
func allocSlots(n int) ([]uint64, bool) {
	if n < mapSlots {
		return make([]uint64, n), false
	}
	mem, err := syscall.Mmap(-1, 0, n*8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint64, n), false // no mapping: the heap will do
	}
	// Every insert lands on a random slot: with 4 KiB pages a table of a
	// million keys (16 MiB) misses the TLB on nearly every insert. Huge
	// pages, where the kernel has them, take most of that away (measured:
	// BenchmarkSeenSetAdd1M). Ignored where transparent huge pages are off.
	_ = syscall.Madvise(mem, madvHugepage)
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(mem))), n), true
}

// freeSlots unmaps slots returned by allocSlots as mapped.
func freeSlots(slots []uint64) {
	mem := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(slots))), len(slots)*8)
	_ = syscall.Munmap(mem)
}
