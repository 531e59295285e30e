package widgets

import (
	tea "charm.land/bubbletea/v2"

	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScroll(t *testing.T) {
	var s Scroll
	s.Move(5, 10, 3)
	assert.Equal(t, Scroll{Cursor: 5, Offset: 3}, s, "the cursor stays on screen")
	s.Move(100, 10, 3)
	assert.Equal(t, Scroll{Cursor: 9, Offset: 7}, s)
	s.Move(-100, 10, 3)
	assert.Equal(t, Scroll{Cursor: 0, Offset: 0}, s)
	s = Scroll{Cursor: 9, Offset: 7}
	s.Clamp(4, 3)
	assert.Equal(t, Scroll{Cursor: 3, Offset: 1}, s, "rows went away")
	s.Move(1, 0, 3)
	assert.Equal(t, Scroll{Cursor: 3, Offset: 1}, s, "no rows: nothing moves")
}

func TestWheelRows(t *testing.T) {
	assert.Equal(t, -3, WheelRows(tea.MouseWheelMsg{Button: tea.MouseWheelUp}))
	assert.Equal(t, 3, WheelRows(tea.MouseWheelMsg{Button: tea.MouseWheelDown}))
	assert.Equal(t, 0, WheelRows(tea.MouseWheelMsg{Button: tea.MouseWheelLeft}))
}
