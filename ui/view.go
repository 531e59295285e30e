package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/coldcopy/cachedeck/views"
)

// Rows the frame takes around the panes: header and tab line on top, help
// and flash lines below.
const (
	headerRows = 2
	footerRows = 2
	// Below this the frame only says the terminal is too small.
	minWidth, minHeight = 40, 10
)

// View draws the whole screen; it is exactly width x height cells.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "cachedeck " + m.addr()
	return v
}

// Render is the screen as a string (tests and golden files use it).
func (m *Model) Render() string {
	screen := m.screen()
	if m.common.Styles.Opts.ASCII {
		screen = toASCII(screen)
	}
	return screen
}

func (m *Model) screen() string {
	if m.width < minWidth || m.height < minHeight {
		return m.tooSmall()
	}
	if m.help {
		return m.helpScreen()
	}
	parts := []string{m.headerLine(), m.tabLine(), m.body(), m.helpLine(), m.flashLine()}
	return strings.Join(parts, "\n")
}

func (m *Model) tooSmall() string {
	msg := fmt.Sprintf("terminal %dx%d is too small: cachedeck needs at least %dx%d (80x24 recommended)", m.width, m.height, minWidth, minHeight)
	lines := make([]string, max(m.height, 1))
	lines[0] = fit(msg, m.width)
	for i := 1; i < len(lines); i++ {
		lines[i] = fit("", m.width)
	}
	return strings.Join(lines, "\n")
}

// layout gives every pane its inner size: the body split by weights, minus
// one cell of border on each side.
func (m *Model) layout() {
	if m.width <= 0 || m.height <= 0 {
		return
	}
	bodyH := max(m.height-headerRows-footerRows, 3)
	for _, t := range m.tabs {
		widths := splitWidths(m.width, t.Weights, len(t.Panes))
		for i, p := range t.Panes {
			p.SetSize(max(widths[i]-2, 0), bodyH-2)
		}
	}
}

// splitWidths divides total by weights; the last pane takes the rounding.
func splitWidths(total int, weights []int, n int) []int {
	out := make([]int, n)
	if n == 0 {
		return out
	}
	sum := 0
	for i := 0; i < n; i++ {
		sum += weightAt(weights, i)
	}
	used := 0
	for i := 0; i < n-1; i++ {
		out[i] = total * weightAt(weights, i) / sum
		used += out[i]
	}
	out[n-1] = total - used
	return out
}

func weightAt(w []int, i int) int {
	if i < len(w) && w[i] > 0 {
		return w[i]
	}
	return 1
}

func (m *Model) body() string {
	if m.active >= len(m.tabs) {
		return strings.TrimSuffix(strings.Repeat(fit("", m.width)+"\n", m.height-headerRows-footerRows), "\n")
	}
	t := m.tabs[m.active]
	bodyH := max(m.height-headerRows-footerRows, 3)
	widths := splitWidths(m.width, t.Weights, len(t.Panes))
	boxes := make([]string, len(t.Panes))
	for i, p := range t.Panes {
		title := ""
		if i < len(t.Titles) {
			title = t.Titles[i]
		}
		boxes[i] = m.box(p.View(), widths[i], bodyH, title, i == m.focus)
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, boxes...)
}

// box draws a border with a title around content that is already exactly
// (w-2) x (h-2) cells.
func (m *Model) box(content string, w, h int, title string, focused bool) string {
	st := m.common.Styles
	b := st.Border
	edge := st.Pane
	if focused {
		edge = st.PaneFocused
		b = edge.GetBorderStyle()
	}
	paint := func(s string) string {
		return lipgloss.NewStyle().Foreground(edge.GetBorderTopForeground()).Render(s)
	}
	inner := max(w-2, 0)
	label := ""
	if title != "" && inner > 4 {
		label = " " + ansi.Truncate(title, inner-4, "…") + " "
	}
	titleStyle := st.PaneTitle
	top := paint(b.TopLeft+b.Top) + titleStyle.Render(label) + paint(strings.Repeat(b.Top, max(inner-1-ansi.StringWidth(label), 0))+b.TopRight)
	lines := strings.Split(content, "\n")
	var sb strings.Builder
	sb.WriteString(top)
	for i := 0; i < h-2; i++ {
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		sb.WriteString("\n" + paint(b.Left) + fit(line, inner) + paint(b.Right))
	}
	sb.WriteString("\n" + paint(b.BottomLeft+strings.Repeat(b.Bottom, inner)+b.BottomRight))
	return sb.String()
}

// tabLine shows the tabs that fit around the active one; "<" or ">"
// (‹ › with UTF-8) says more tabs lie that way. Tabs 1-9 carry the number
// that goes to them.
func (m *Model) tabLine() string {
	st := m.common.Styles
	labels := make([]string, len(m.tabs))
	for i, t := range m.tabs {
		label := t.Title
		if i < 9 {
			label = fmt.Sprintf("%d %s", i+1, t.Title)
		}
		if i == m.active {
			labels[i] = st.TabActive.Render(label)
		} else {
			labels[i] = st.Tab.Render(label)
		}
	}
	hint := ""
	if len(m.tabs) > 1 {
		hint = st.Dim.Render("  [ ] switch")
	}
	line := strings.Join(labels, " ")
	if ansi.StringWidth(line+hint) <= m.width {
		return fit(line+hint, m.width)
	}
	if ansi.StringWidth(line) <= m.width {
		return fit(line, m.width)
	}
	return fit(tabWindow(labels, m.active, m.width, st.Glyphs.MoreLeft, st.Glyphs.MoreRight, st.Dim.Render), m.width)
}

// tabWindow is the widest run of labels around active that fits in width
// with the markers for the tabs left out on either side; it grows to the
// right first, so the next tab is the one in view.
func tabWindow(labels []string, active, width int, moreLeft, moreRight string, dim func(...string) string) string {
	widthOf := func(lo, hi int) int { // labels[lo..hi] with markers
		w := hi - lo
		for i := lo; i <= hi; i++ {
			w += ansi.StringWidth(labels[i])
		}
		if lo > 0 {
			w += ansi.StringWidth(moreLeft) + 1
		}
		if hi < len(labels)-1 {
			w += ansi.StringWidth(moreRight) + 1
		}
		return w
	}
	lo, hi := active, active
	for grew := true; grew; {
		grew = false
		if hi+1 < len(labels) && widthOf(lo, hi+1) <= width {
			hi++
			grew = true
		}
		if lo > 0 && widthOf(lo-1, hi) <= width {
			lo--
			grew = true
		}
	}
	var sb strings.Builder
	if lo > 0 {
		sb.WriteString(dim(moreLeft) + " ")
	}
	sb.WriteString(strings.Join(labels[lo:hi+1], " "))
	if hi < len(labels)-1 {
		sb.WriteString(" " + dim(moreRight))
	}
	return sb.String()
}

// helpLine is the short help of the focused pane plus the global keys.
func (m *Model) helpLine() string {
	km := m.common.Keys
	var bindings []key.Binding
	if p := m.focused(); p != nil {
		bindings = append(bindings, p.ShortHelp()...)
	}
	bindings = append(bindings, km.NextFocus, km.Help, km.Quit)
	return fit(m.helpModel().ShortHelpView(bindings), m.width)
}

func (m *Model) helpModel() help.Model {
	st := m.common.Styles
	h := help.New()
	h.SetWidth(m.width)
	h.ShortSeparator = " " + st.Glyphs.Bullet + " "
	h.Ellipsis = st.Glyphs.Ellipsis
	h.Styles = help.Styles{
		ShortKey: st.HelpKey, ShortDesc: st.HelpDesc, ShortSeparator: st.Dim, Ellipsis: st.Dim,
		FullKey: st.HelpKey, FullDesc: st.HelpDesc, FullSeparator: st.Dim,
	}
	return h
}

func (m *Model) flashLine() string {
	st := m.common.Styles
	if m.flash.text == "" {
		return fit("", m.width)
	}
	style := st.FlashInfo
	switch m.flash.level {
	case views.FlashWarn:
		style = st.FlashWarn
	case views.FlashError:
		style = st.FlashErr
	}
	return fit(style.Render(ansi.Truncate(m.flash.text, m.width, "…")), m.width)
}

// helpGroups are the bindings of the ? screen: the focused pane's
// groups, then the global keys. Refresh is not global: each pane lists its
// own r (refresh, poll now, recipes), so it is never listed twice.
func (m *Model) helpGroups() [][]key.Binding {
	km := m.common.Keys
	var groups [][]key.Binding
	if p := m.focused(); p != nil {
		groups = append(groups, p.FullHelp()...)
	}
	return append(groups, []key.Binding{km.NextFocus, km.PrevFocus, km.NextTab, km.PrevTab, km.GoTab, km.Help, km.Quit, km.ForceQuit})
}

// helpTitle names what the help is for: the tab, and the focused pane
// when the tab has more than one.
func (m *Model) helpTitle() string {
	if m.active >= len(m.tabs) {
		return "cachedeck keys"
	}
	t := m.tabs[m.active]
	title := t.Title + " tab keys"
	if len(t.Panes) > 1 && m.focus < len(t.Titles) {
		title = t.Title + " tab, " + t.Titles[m.focus] + " pane keys"
	}
	return title
}

// helpScreen is the full help of the focused tab and pane. Any of ?, esc
// or q closes it.
func (m *Model) helpScreen() string {
	hm := m.helpModel()
	body := hm.FullHelpView(m.helpGroups())
	title := m.common.Styles.Header.Render(m.helpTitle()) + m.common.Styles.Dim.Render("   (? or esc to close)")
	lines := append([]string{title, ""}, strings.Split(body, "\n")...)
	out := make([]string, m.height)
	for i := range out {
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		out[i] = fit(line, m.width)
	}
	return strings.Join(out, "\n")
}

// fit pads or cuts s (which may hold styling) to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "")
	}
	return s + strings.Repeat(" ", w-sw)
}
