package widgets

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One chain at most, ended by hiding; another poller's ticks are not its.
func TestPollerKeepsOneChain(t *testing.T) {
	p := &Poller{Every: time.Millisecond}
	first := p.SetShown(true)
	require.NotNil(t, first)
	assert.Nil(t, p.SetShown(true), "showing a shown pane starts nothing")
	tick := first().(PollMsg)
	mine, next := p.Next(tick)
	assert.True(t, mine)
	require.NotNil(t, next)

	assert.Nil(t, p.SetShown(false))
	mine, next = p.Next(next())
	assert.False(t, mine, "hidden: the tick in flight ends the chain")
	assert.Nil(t, next)

	second := p.SetShown(true)
	other := &Poller{Every: time.Millisecond}
	otherTick := other.SetShown(true)().(PollMsg)
	mine, _ = p.Next(otherTick)
	assert.False(t, mine, "another poller's tick")
	mine, _ = p.Next(tick)
	assert.False(t, mine, "a tick of the chain before hiding")
	mine, _ = p.Next(second())
	assert.True(t, mine)
	assert.True(t, p.Shown())
}
