// Package keymap holds every key binding of the console, with its help
// text, in one place. Panes pick the bindings they use for their help; the
// footer and the ? screen are generated from them.
package keymap

import "charm.land/bubbles/v2/key"

// KeyMap is the whole console's bindings. No single-letter key performs a
// mutation without a confirmation dialog.
type KeyMap struct {
	// Global.
	Quit      key.Binding
	ForceQuit key.Binding
	Help      key.Binding
	NextFocus key.Binding
	PrevFocus key.Binding
	Refresh   key.Binding
	Back      key.Binding
	NextTab   key.Binding
	PrevTab   key.Binding
	GoTab     key.Binding // 1–9: the tab of that number, as the tab bar labels them

	// Movement, shared by lists and scrolling views.
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Home     key.Binding
	End      key.Binding
	Left     key.Binding
	Right    key.Binding

	// Keys pane.
	Open         key.Binding
	Filter       key.Binding // local filter over loaded keys: substring, ~ for fuzzy
	ServerFilter key.Binding // MATCH glob, restarts the scan
	TypeFilter   key.Binding // cycles the TYPE filter
	ToggleTree   key.Binding // tree / flat list
	LoadMore     key.Binding // past the loaded-keys cap

	// Inspector.
	ViewMode  key.Binding // pretty / raw / hex
	Wrap      key.Binding
	Search    key.Binding
	NextMatch key.Binding
	PrevMatch key.Binding
	CopyKey   key.Binding
	CopyValue key.Binding
	MorePage  key.Binding // next page of a collection

	// Key edits (inspector): capital letters, each opens a dialog first.
	DeleteKey key.Binding
	SetTTL    key.Binding
	Persist   key.Binding
}

// Default is the console's keymap: arrows and vim keys.
func Default() KeyMap {
	return KeyMap{
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		NextFocus: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		PrevFocus: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Refresh:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		NextTab:   key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "next tab")),
		PrevTab:   key.NewBinding(key.WithKeys("["), key.WithHelp("[", "previous tab")),
		GoTab:     key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-9", "go to tab")),

		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "top")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "bottom")),
		Left:     key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "collapse")),
		Right:    key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "expand")),

		Open:         key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Filter:       key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter loaded")),
		ServerFilter: key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "match glob (server)")),
		TypeFilter:   key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "type filter")),
		ToggleTree:   key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tree/flat")),
		LoadMore:     key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "load more keys")),

		ViewMode:  key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "pretty/raw/hex")),
		Wrap:      key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wrap")),
		Search:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search value")),
		NextMatch: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next match")),
		PrevMatch: key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "previous match")),
		CopyKey:   key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy key")),
		CopyValue: key.NewBinding(key.WithKeys("Y"), key.WithHelp("Y", "copy value")),
		MorePage:  key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "more members")),

		DeleteKey: key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete key…")),
		SetTTL:    key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "set TTL (expire)…")),
		Persist:   key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "remove TTL (persist)…")),
	}
}
