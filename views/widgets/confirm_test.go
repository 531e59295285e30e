package widgets

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/ui/styles"
)

type answered struct{ yes bool }

// openQuestion opens a question whose answers count themselves in *runs.
func openQuestion(c *Confirm, runs *[]string) {
	c.Open(Question{
		Title: "reset",
		Text:  "Reset it?",
		Note:  "written to the audit log",
		Yes: func() tea.Cmd {
			*runs = append(*runs, "yes")
			return func() tea.Msg { return answered{yes: true} }
		},
		No: func() tea.Cmd {
			*runs = append(*runs, "no")
			return func() tea.Msg { return answered{} }
		},
	})
}

func TestConfirmAnswers(t *testing.T) {
	press := func(code rune, text string) tea.KeyPressMsg { return tea.KeyPressMsg{Code: code, Text: text} }
	for _, tc := range []struct {
		name string
		key  tea.KeyPressMsg
		want string // the answer run
	}{
		{"y runs the action", press('y', "y"), "yes"},
		{"n cancels", press('n', "n"), "no"},
		{"esc cancels", tea.KeyPressMsg{Code: tea.KeyEscape}, "no"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Confirm
			var runs []string
			openQuestion(&c, &runs)
			handled, cmd := c.Update(tc.key)
			assert.True(t, handled)
			assert.Equal(t, []string{tc.want}, runs)
			require.NotNil(t, cmd)
			assert.Equal(t, answered{yes: tc.want == "yes"}, cmd())
			assert.False(t, c.Active(), "an answer closes the dialog")
			assert.Empty(t, c.Text())
			assert.Nil(t, c.View(styles.New(styles.Options{Dark: true, NoColor: true}), 80))

			handled, cmd = c.Update(tc.key)
			assert.False(t, handled, "a closed dialog takes no keys")
			assert.Nil(t, cmd)
			assert.Len(t, runs, 1)
		})
	}
}

func TestConfirmIgnoresOtherKeys(t *testing.T) {
	var c Confirm
	var runs []string
	openQuestion(&c, &runs)
	for _, k := range []tea.KeyPressMsg{
		{Code: 'q', Text: "q"},
		{Code: 'Y', Text: "Y", ShiftedCode: 'Y', Mod: tea.ModShift},
		{Code: tea.KeyEnter},
		{Code: tea.KeySpace, Text: " "},
		{Code: 'y', Mod: tea.ModCtrl},
		{Code: tea.KeyDown},
	} {
		handled, cmd := c.Update(k)
		assert.True(t, handled, "%s goes to the dialog", k)
		assert.Nil(t, cmd, k.String())
		assert.True(t, c.Active(), "%s leaves the question open", k)
	}
	handled, cmd := c.Update(tea.PasteMsg{Content: "y"})
	assert.True(t, handled, "a paste is not an answer, nor for the pane")
	assert.Nil(t, cmd)
	handled, _ = c.Update(struct{}{})
	assert.False(t, handled, "other messages go on to the pane")
	assert.Empty(t, runs)
	assert.Equal(t, "reset", c.Title())
	assert.Equal(t, "Reset it?", c.Text())

	handled, cmd = c.Update(tea.KeyPressMsg{Code: 'y', Text: "y"})
	assert.True(t, handled)
	require.NotNil(t, cmd)
	assert.Equal(t, []string{"yes"}, runs)
}

func TestConfirmWithoutNoAnswer(t *testing.T) {
	var c Confirm
	c.Open(Question{Title: "t", Text: "x?", Yes: func() tea.Cmd { return nil }})
	handled, cmd := c.Update(tea.KeyPressMsg{Code: tea.KeyEscape})
	assert.True(t, handled)
	assert.Nil(t, cmd)
	assert.False(t, c.Active())
}

func TestConfirmView(t *testing.T) {
	s := styles.New(styles.Options{Dark: true, NoColor: true})
	var c Confirm
	var runs []string
	openQuestion(&c, &runs)
	for _, w := range []int{80, 40, 20, 12, 1} {
		box := c.View(s, w)
		require.NotEmpty(t, box)
		if w < 14 {
			continue // narrower than Dialog's smallest box: Overlay cuts it
		}
		for _, l := range box {
			assert.LessOrEqual(t, lipgloss.Width(l), w, "width %d", w)
		}
		if w >= 40 {
			plain := ansi.Strip(strings.Join(box, "\n"))
			for _, want := range []string{"reset", "Reset it?", "written to the audit log", "y confirms · n or esc cancels"} {
				assert.Contains(t, plain, want, "width %d", w)
			}
		}
	}
	var keys []string
	for _, b := range c.Help() {
		keys = append(keys, b.Help().Key)
	}
	assert.Equal(t, []string{"y", "n/esc"}, keys)
}
