package widgets

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/ui/styles"
)

// Question is what a Confirm asks and what each answer does.
type Question struct {
	Title string
	Text  string // the exact effect, naming its target
	Note  string // consequences, shown dim under the text; the answer keys are added to it
	// Yes runs in Update when y is pressed, so it may change the pane (a
	// request's sequence number); it returns the command that does the work.
	Yes func() tea.Cmd
	// No runs when n or esc is pressed; nil when there is nothing to say.
	No func() tea.Cmd
}

// Confirm is the yes/no dialog a pane puts in front of a mutation. While
// it is open it takes every key: y answers yes, n or esc no, and any other
// key is ignored, so a stray key neither runs the mutation nor dismisses
// the question. The zero value is closed.
type Confirm struct {
	q    Question
	open bool
}

// confirmMaxInner is the widest a question's text is wrapped to.
const confirmMaxInner = 60

var (
	confirmYes = key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "confirm"))
	confirmNo  = key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "cancel"))
)

// confirmKeys is said in every dialog, so the keys shown cannot drift
// from the keys handled.
const confirmKeys = "y confirms · n or esc cancels"

// Open asks q, replacing any question still open.
func (c *Confirm) Open(q Question) { c.q, c.open = q, true }

// Active reports whether a question waits for its answer.
func (c *Confirm) Active() bool { return c.open }

// Title and Text are the open question's (empty when none is open).
func (c *Confirm) Title() string { return c.q.Title }
func (c *Confirm) Text() string  { return c.q.Text }

// Update takes msg while a question is open. handled is true for every
// key press and paste then (the pane must not act on them); cmd is what
// the answer returned. The dialog closes before the answer runs.
func (c *Confirm) Update(msg tea.Msg) (handled bool, cmd tea.Cmd) {
	if !c.open {
		return false, nil
	}
	switch msg := msg.(type) {
	case tea.PasteMsg:
		return true, nil
	case tea.KeyPressMsg:
		var answer func() tea.Cmd
		switch {
		case key.Matches(msg, confirmYes):
			answer = c.q.Yes
		case key.Matches(msg, confirmNo):
			answer = c.q.No
		default:
			return true, nil
		}
		c.q, c.open = Question{}, false
		if answer == nil {
			return true, nil
		}
		return true, answer()
	}
	return false, nil
}

// Help is the footer while a question is open.
func (c *Confirm) Help() []key.Binding { return []key.Binding{confirmYes, confirmNo} }

// View is the open question as a dialog box for a pane w cells wide; put
// it over the pane with Overlay. Nothing when no question is open.
func (c *Confirm) View(s *styles.Styles, w int) []string {
	if !c.open {
		return nil
	}
	note := confirmKeys
	if c.q.Note != "" {
		note = c.q.Note + "\n" + confirmKeys
	}
	return Dialog(s, c.q.Title, c.q.Text, note, w, confirmMaxInner)
}
