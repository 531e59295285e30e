// Package views holds what every pane shares: the Common value handed to
// each pane, the small Pane interface the frame routes to, and the
// messages panes send to the frame. Each pane lives in its own package
// below this one.
package views

import (
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/keymap"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui/styles"
)

// Common is shared by every pane: styles, keys, the server, and a clock
// that tests can pin.
type Common struct {
	Styles *styles.Styles
	Keys   *keymap.KeyMap
	Client *redisops.Client
	Now    func() time.Time
	// ReadOnly removes mutations from every pane.
	ReadOnly bool
	// Profile names the connection profile in audit entries; Production
	// marks it as one (the header turns red).
	Profile    string
	Production bool
	// AuditPath is where mutations are logged; "" means audit.DefaultPath().
	AuditPath string
}

// AuditFile is the audit log every mutation of this session appends to.
func (c *Common) AuditFile() string {
	if c.AuditPath != "" {
		return c.AuditPath
	}
	return audit.DefaultPath()
}

// Clock is Now, or the wall clock when none is pinned. Commands capture
// the function itself, so they never read the model from their goroutine.
func (c *Common) Clock() func() time.Time {
	if c.Now != nil {
		return c.Now
	}
	return time.Now
}

// Pane is what the frame needs from a pane. Panes are pointers whose
// Update changes them in place and returns the command to run.
type Pane interface {
	Init() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	View() string // exactly the size given by SetSize
	SetSize(width, height int)
	SetFocused(focused bool)
	// Capturing is true while the pane owns the keyboard (typing into a
	// filter or search box), so global keys like q go to the pane.
	Capturing() bool
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// Shower is implemented by panes that work only while visible (polling,
// countdowns). The frame calls SetShown(true) on the panes of the tab it
// shows, at start and on every tab switch, and SetShown(false) on those of
// the tab it leaves. A repeated call must change nothing: showing a shown
// pane must not start a second refresh.
type Shower interface {
	SetShown(shown bool) tea.Cmd
}

// Interrupter is implemented by panes that run a mutation in the
// background (an invalidation, a restore). On Ctrl-C the frame asks every
// pane to Interrupt before it quits: a pane with a run to cancel cancels it
// as its own cancel key would and reports true, so that the operator sees
// the run's exact outcome instead of a console that vanished mid-run. A
// run already cancelled reports false: a second Ctrl-C quits.
type Interrupter interface {
	Interrupt() (tea.Cmd, bool)
}

// FlashLevel orders flash messages by importance.
type FlashLevel int

// Flash levels.
const (
	FlashInfo FlashLevel = iota
	FlashWarn
	FlashError
)

// FlashMsg asks the frame to show a one-line message that clears itself.
type FlashMsg struct {
	Level FlashLevel
	Text  string
}

// Flash returns a command that sends a FlashMsg.
func Flash(level FlashLevel, text string) tea.Cmd {
	return func() tea.Msg { return FlashMsg{Level: level, Text: text} }
}

// OpenKeyMsg: the keys pane asks the frame to show a key in the inspector
// (and to move focus there when Focus is set).
type OpenKeyMsg struct {
	Key   string
	Focus bool
}

// ConnLostMsg and ConnRestoredMsg are sent by whoever sees the connection
// fail or come back, so the header can show it.
type ConnLostMsg struct{ Err error }

// ConnRestoredMsg reports the connection works again.
type ConnRestoredMsg struct{}

// KeysChangedMsg says the console itself changed keys: an edit in the
// inspector (Keys), an invalidation or a restore (All: any key may have
// changed). Panes that show keys refresh what they show.
type KeysChangedMsg struct {
	Keys []string
	All  bool
}

// KeysChanged returns a command that sends a KeysChangedMsg.
func KeysChanged(all bool, keys ...string) tea.Cmd {
	return func() tea.Msg { return KeysChangedMsg{Keys: keys, All: all} }
}

// RestoreBackupMsg: a pane (Backups) asks for the restore flow on a backup
// file; the frame shows the pane that owns that flow (Invalidate), which
// opens it with the file and previews it.
type RestoreBackupMsg struct{ Path string }
