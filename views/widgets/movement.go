package widgets

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/keymap"
)

// Far is a movement past either end; Scroll and text views clamp it.
const Far = 1 << 30

// Movement turns a movement key into a row delta for a list or a text of
// page rows on screen: up and down one row, page up and down a page, home
// and end to the ends. ok is false for any other key.
func Movement(msg tea.KeyPressMsg, k *keymap.KeyMap, page int) (delta int, ok bool) {
	page = max(1, page)
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.PageUp):
		return -page, true
	case key.Matches(msg, k.PageDown):
		return page, true
	case key.Matches(msg, k.Home):
		return -Far, true
	case key.Matches(msg, k.End):
		return Far, true
	}
	return 0, false
}

// WheelRows is the rows a mouse wheel step scrolls: 3 up (negative) or
// down, 0 for any other button.
func WheelRows(msg tea.MouseWheelMsg) int {
	switch msg.Button {
	case tea.MouseWheelUp:
		return -3
	case tea.MouseWheelDown:
		return 3
	}
	return 0
}
