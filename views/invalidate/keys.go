package invalidate

import "charm.land/bubbles/v2/key"

// ShortHelp implements views.Pane.
func (m *Model) ShortHelp() []key.Binding {
	switch {
	case m.job != nil:
		return []key.Binding{m.keys.cancel}
	case m.Capturing():
		// Typing: only enter and esc mean anything beyond the text.
		return []key.Binding{m.keys.typedDone, m.keys.typedCancel}
	}
	if m.restore != nil {
		return m.restoreHelp()
	}
	h := []key.Binding{m.keys.edit, m.keys.preview}
	if !m.c.ReadOnly {
		h = append(h, m.keys.run, m.keys.backup)
	}
	h = append(h, m.keys.recipe)
	if !m.c.ReadOnly {
		h = append(h, m.keys.restore)
	}
	return h
}

// FullHelp implements views.Pane.
func (m *Model) FullHelp() [][]key.Binding {
	if m.restore != nil {
		return [][]key.Binding{m.restoreHelp(), {m.keys.cancel}}
	}
	k := m.c.Keys
	form := []key.Binding{k.Up, k.Down, m.keys.edit, m.keys.add, m.keys.remove, m.keys.recipe}
	if m.c.ReadOnly {
		return [][]key.Binding{form, {m.keys.preview}}
	}
	return [][]key.Binding{form, {m.keys.preview, m.keys.run, m.keys.backup, m.keys.cancel, m.keys.restore}}
}

type bindings struct {
	edit, add, remove, recipe, preview, run, backup, cancel key.Binding
	// The restore form's: restore opens it, the others act inside it.
	restore, replace, restoreRun, back key.Binding
	// While a line is typed (a field, a typed confirmation).
	typedDone, typedCancel key.Binding
}

func newBindings() bindings {
	return bindings{
		edit:    key.NewBinding(key.WithKeys("enter", "e"), key.WithHelp("enter", "edit field")),
		add:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add pattern")),
		remove:  key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "remove pattern")),
		recipe:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "recipe")),
		preview: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "preview")),
		run:     key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "delete")),
		backup:  key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "backup")),
		cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel run")),

		restore:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "restore a backup")),
		replace:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "replace existing keys")),
		restoreRun: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "restore")),
		back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),

		typedDone:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "done")),
		typedCancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}
