package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"

	"github.com/coldcopy/cachedeck/ui/styles"
)

// On every tab and pane of the console as shipped (read-write, so every
// action is listed), the ? screen is titled for what has the focus and no
// key is listed with two meanings.
func TestHelpIsTitledAndHasNoConflictingKeys(t *testing.T) {
	m := NewConsole(Options{Styles: styles.Options{Dark: true, NoColor: true}})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	for ti, tab := range m.tabs {
		m.switchTab(ti)
		for pi := range tab.Panes {
			m.focusPane(pi)
			meaning := map[string]string{}
			for _, group := range m.helpGroups() {
				for _, b := range group {
					if !b.Enabled() {
						continue
					}
					for _, k := range b.Keys() {
						desc := b.Help().Desc
						if prev, ok := meaning[k]; ok && prev != desc {
							t.Errorf("%s tab, pane %d: %q is both %q and %q", tab.Title, pi+1, k, prev, desc)
						}
						meaning[k] = desc
					}
				}
			}
			m.help = true
			title := ansi.Strip(strings.Split(m.Render(), "\n")[0])
			m.help = false
			assert.Contains(t, title, tab.Title+" tab", "the help says which tab it is for")
			if len(tab.Panes) > 1 {
				assert.Contains(t, title, tab.Titles[pi]+" pane")
			}
		}
	}
}
