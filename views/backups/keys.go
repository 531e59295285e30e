package backups

import (
	"charm.land/bubbles/v2/key"
)

type bindings struct {
	bgsave, download, logical, refresh, prune, restore, memory, cancel key.Binding
}

func newBindings() bindings {
	return bindings{
		bgsave:   key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "BGSAVE")),
		download: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "download RDB")),
		logical:  key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "logical backup")),
		refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-verify")),
		prune:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "prune")),
		restore:  key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "restore")),
		memory:   key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "memory")),
		cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// ShortHelp lists what the pane can do now: no BGSAVE in read-only mode.
func (m *Model) ShortHelp() []key.Binding {
	if m.confirm.Active() {
		return m.confirm.Help()
	}
	if m.job != nil {
		return []key.Binding{m.keys.cancel}
	}
	var h []key.Binding
	if !m.c.ReadOnly {
		h = append(h, m.keys.bgsave)
	}
	h = append(h, m.keys.download, m.keys.logical, m.keys.prune)
	if !m.c.ReadOnly {
		h = append(h, m.keys.restore)
	}
	return append(h, m.keys.memory, m.keys.refresh)
}

// FullHelp adds the movement keys (a question takes only its answer).
func (m *Model) FullHelp() [][]key.Binding {
	if m.confirm.Active() {
		return [][]key.Binding{m.ShortHelp()}
	}
	k := m.c.Keys
	return [][]key.Binding{m.ShortHelp(), {k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, m.keys.cancel}}
}
