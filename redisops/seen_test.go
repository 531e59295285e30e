package redisops

import (
	"fmt"
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
