package widgets

import (
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/coldcopy/cachedeck/ui/styles"
)

// Input is a one-line editor for the panes' prompts. (bubbles'
// textinput would do, but it imports github.com/atotto/clipboard, a module
// go.mod does not have yet.) Keys: text, paste, left/right, home/end,
// ctrl+a/e, backspace, delete, ctrl+u, ctrl+k, ctrl+w.
type Input struct {
	Prompt      string
	Placeholder string
	value       []rune
	pos         int
}

func (in *Input) Value() string { return string(in.value) }

func (in *Input) SetValue(s string) {
	in.value = sanitize(s)
	in.pos = len(in.value)
}

func sanitize(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			out = append(out, ' ')
		case unicode.IsPrint(r):
			out = append(out, r)
		}
	}
	return out
}

func (in *Input) Insert(s string) {
	rs := sanitize(s)
	if len(rs) == 0 {
		return
	}
	v := make([]rune, 0, len(in.value)+len(rs))
	v = append(v, in.value[:in.pos]...)
	v = append(v, rs...)
	v = append(v, in.value[in.pos:]...)
	in.value = v
	in.pos += len(rs)
}

func (in *Input) Update(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		in.Insert(msg.Content)
	case tea.KeyPressMsg:
		switch msg.Keystroke() {
		case "left", "ctrl+b":
			in.pos = max(0, in.pos-1)
		case "right", "ctrl+f":
			in.pos = min(len(in.value), in.pos+1)
		case "home", "ctrl+a":
			in.pos = 0
		case "end", "ctrl+e":
			in.pos = len(in.value)
		case "backspace", "ctrl+h":
			if in.pos > 0 {
				in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
				in.pos--
			}
		case "delete", "ctrl+d":
			if in.pos < len(in.value) {
				in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
			}
		case "ctrl+u":
			in.value = append([]rune(nil), in.value[in.pos:]...)
			in.pos = 0
		case "ctrl+k":
			in.value = in.value[:in.pos]
		case "ctrl+w", "alt+backspace":
			i := in.pos
			for i > 0 && in.value[i-1] == ' ' {
				i--
			}
			for i > 0 && in.value[i-1] != ' ' {
				i--
			}
			in.value = append(in.value[:i], in.value[in.pos:]...)
			in.pos = i
		default:
			if msg.Text != "" && msg.Mod&^tea.ModShift == 0 {
				in.Insert(msg.Text)
			}
		}
	}
}

// View draws prompt, text and a reverse-video cursor in w cells, scrolling
// the text so the cursor stays visible.
func (in *Input) View(s *styles.Styles, w int) string {
	prompt := s.Label.Render(in.Prompt)
	room := w - lipgloss.Width(in.Prompt) - 1 // one cell for the cursor at the end
	if room <= 0 {
		return ansi.Truncate(prompt, w, "")
	}
	cursor := lipgloss.NewStyle().Reverse(true)
	if len(in.value) == 0 {
		ph := ansi.Truncate(in.Placeholder, room, s.Glyphs.Ellipsis)
		return prompt + cursor.Render(" ") + s.Dim.Render(ph)
	}
	// Scroll: show a window of runes that holds the cursor.
	start := 0
	for lipgloss.Width(string(in.value[start:in.pos])) > room {
		start++
	}
	var b strings.Builder
	b.WriteString(prompt)
	b.WriteString(string(in.value[start:in.pos]))
	used := lipgloss.Width(string(in.value[start:in.pos]))
	if in.pos < len(in.value) {
		ch := string(in.value[in.pos])
		b.WriteString(cursor.Render(ch))
		used += lipgloss.Width(ch)
		rest := string(in.value[in.pos+1:])
		b.WriteString(ansi.Truncate(rest, max(0, room+1-used), ""))
	} else {
		b.WriteString(cursor.Render(" "))
	}
	return b.String()
}
