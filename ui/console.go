package ui

import (
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/inspector"
	"github.com/coldcopy/cachedeck/views/keys"
)

// NewConsole is the console as shipped: the Keys tab, with the keys pane
// on the left and the inspector on the right. Later panes are more tabs.
func NewConsole(o Options) *Model {
	m := New(o)
	c := m.Common()
	insp := inspector.New(c)
	// The keys pane already waits for the cursor to rest before it asks
	// the inspector to follow; a second wait would only add latency.
	insp.SetDebounce(0)
	m.AddTab(Tab{
		Title:   "Keys",
		Panes:   []views.Pane{keys.New(c), insp},
		Titles:  []string{"Keys", "Inspector"},
		Weights: []int{2, 3},
	})
	return m
}
