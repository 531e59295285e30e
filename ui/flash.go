package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/views"
)

// How long a flash stays: errors longer, since they matter more.
var flashTTL = map[views.FlashLevel]time.Duration{
	views.FlashInfo:  3 * time.Second,
	views.FlashWarn:  6 * time.Second,
	views.FlashError: 10 * time.Second,
}

// flash is the one-line message under the help line.
type flash struct {
	level views.FlashLevel
	text  string
	id    int
}

type flashExpiredMsg struct{ id int }

// set shows text and returns the command that clears it later; a newer
// flash outlives the timer of an older one.
func (f *flash) set(level views.FlashLevel, text string) tea.Cmd {
	f.id++
	// Flash texts quote server replies and keys: never raw on the terminal.
	f.level, f.text = level, decode.SafeLine(text)
	id := f.id
	return tea.Tick(flashTTL[level], func(time.Time) tea.Msg { return flashExpiredMsg{id: id} })
}

func (f *flash) expire(msg flashExpiredMsg) {
	if msg.id == f.id {
		f.text = ""
	}
}
