package redisops

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSeenSetDropsRepeatsAcrossGrowth(t *testing.T) {
	s := newSeenSet()
	for i := 0; i < 50_000; i++ {
		assert.True(t, s.add(fmt.Sprintf("k%d", i)))
	}
	for i := 0; i < 50_000; i += 7 {
		assert.False(t, s.add(fmt.Sprintf("k%d", i)), "k%d was already seen", i)
	}
	assert.Equal(t, 50_000, s.count)
	assert.True(t, s.add(""), "the empty key is a key")
	assert.False(t, s.add(""))
}

func TestRecentSetForgetsOnlyOldKeysAndStaysSmall(t *testing.T) {
	const span = 1000
	r := newRecentSet(span)
	for i := range 10 * span {
		assert.True(t, r.add(fmt.Sprintf("k%d", i)))
		// The last span keys are always remembered.
		for _, back := range []int{0, 1, span / 2, span - 1} {
			if j := i - back; j >= 0 && i%97 == 0 {
				assert.False(t, r.add(fmt.Sprintf("k%d", j)), "k%d after k%d", j, i)
			}
		}
	}
	assert.True(t, r.add("k0"), "a key from long ago is forgotten")
	assert.LessOrEqual(t, len(r.cur.slots)+len(r.prev.slots), 8*span, "two generations of at most span keys each")
}

// A large table lives outside the Go heap (on Linux) and still behaves as
// a set across growth; release gives it back.
func TestSeenSetLargeTable(t *testing.T) {
	s := newSeenSet()
	for i := range 200_000 {
		assert.True(t, s.add(fmt.Sprintf("k%d", i)))
	}
	for i := 0; i < 200_000; i += 13 {
		assert.False(t, s.add(fmt.Sprintf("k%d", i)))
	}
	if runtime.GOOS == "linux" {
		assert.NotNil(t, s.table.mapped, "mapped outside the heap")
	}
	s.release()
	assert.Nil(t, s.table.mapped)
	assert.Nil(t, s.slots)
}

// A set sized from DBSIZE never grows during the walk; an unknown size
// starts small and grows as before.
func TestSeenSetPresized(t *testing.T) {
	const keys = 300_000
	s := newSeenSetFor(keys)
	defer s.release()
	size := len(s.slots)
	for i := range keys {
		assert.True(t, s.add(fmt.Sprintf("k%d", i)))
	}
	assert.False(t, s.add("k0"))
	assert.Equal(t, size, len(s.slots), "no growth for the keys it was sized for")
	assert.Equal(t, keys, s.count)

	unknown := newSeenSetFor(-1)
	defer unknown.release()
	assert.Equal(t, 1024, len(unknown.slots))
	for i := range 5000 {
		assert.True(t, unknown.add(fmt.Sprintf("k%d", i)))
	}
	assert.Greater(t, len(unknown.slots), 1024)

	huge := newSeenSetFor(1 << 40)
	defer huge.release()
	assert.Equal(t, 4*maxPresizeKeys, len(huge.slots), "the presize is bounded")
}
