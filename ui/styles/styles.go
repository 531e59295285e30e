// Package styles is the console's one set of styles, built once from the
// terminal's background and capabilities. Views take colours from here and
// nowhere else.
package styles

import (
	"image/color"
	"os"
	"strings"

	"charm.land/lipgloss/v2"
)

// Options says what the terminal can show.
type Options struct {
	Dark    bool // dark background (the default when the terminal does not say)
	NoColor bool // NO_COLOR is set: attributes (bold, reverse) only
	ASCII   bool // no UTF-8: ASCII borders and glyphs
}

// Detect reads NO_COLOR and the locale. The background is learned later
// from tea.BackgroundColorMsg; dark is assumed until then.
func Detect() Options {
	_, noColor := os.LookupEnv("NO_COLOR")
	return Options{Dark: true, NoColor: noColor, ASCII: !utf8Locale()}
}

func utf8Locale() bool {
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if val := os.Getenv(v); val != "" {
			val = strings.ToLower(val)
			return strings.Contains(val, "utf-8") || strings.Contains(val, "utf8")
		}
	}
	// No locale at all (a bare SSH session): box drawing is still safer
	// than not on every terminal cachedeck targets.
	return true
}

// Glyphs are the few non-ASCII characters the console draws.
type Glyphs struct {
	Expanded, Collapsed, Ellipsis, Arrow, Bullet, Spark string
	MoreLeft, MoreRight                                 string // more tabs that way
	SparkLevels                                         []string
}

// Styles is every style of the console.
type Styles struct {
	Opts   Options
	Glyphs Glyphs
	Border lipgloss.Border

	App        lipgloss.Style
	Header     lipgloss.Style
	HeaderProd lipgloss.Style // production profile: red
	Badge      lipgloss.Style // READ-ONLY, CLUSTER
	BadgeProd  lipgloss.Style // PRODUCTION
	BadgeWarn  lipgloss.Style // DISCONNECTED
	Tab        lipgloss.Style
	TabActive  lipgloss.Style

	Pane        lipgloss.Style // unfocused pane border
	PaneFocused lipgloss.Style
	PaneTitle   lipgloss.Style

	Footer    lipgloss.Style
	HelpKey   lipgloss.Style
	HelpDesc  lipgloss.Style
	FlashInfo lipgloss.Style
	FlashWarn lipgloss.Style
	FlashErr  lipgloss.Style

	Selected    lipgloss.Style // the cursor row
	Dim         lipgloss.Style
	Namespace   lipgloss.Style
	Count       lipgloss.Style
	TTL         lipgloss.Style
	TTLExpiring lipgloss.Style // under a minute left
	Partial     lipgloss.Style // counts still growing
	Type        map[string]lipgloss.Style

	Label       lipgloss.Style // metadata labels
	Warning     lipgloss.Style // damaged values, truncation: stands out
	Error       lipgloss.Style
	SearchMatch lipgloss.Style
	JSONKey     lipgloss.Style
	JSONString  lipgloss.Style
	JSONNumber  lipgloss.Style
	JSONBool    lipgloss.Style
	JSONNull    lipgloss.Style
	JSONPunct   lipgloss.Style
}

// New builds the styles. Colours are the 16 ANSI ones so that a plain
// TERM=xterm or screen over SSH shows them as intended; Bubble Tea
// downsamples further when the terminal needs it.
func New(o Options) *Styles {
	s := &Styles{Opts: o}
	s.Glyphs = Glyphs{Expanded: "▾", Collapsed: "▸", Ellipsis: "…", Arrow: "→", Bullet: "•", MoreLeft: "‹", MoreRight: "›", SparkLevels: []string{"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"}}
	s.Border = lipgloss.RoundedBorder()
	if o.ASCII {
		s.Glyphs = Glyphs{Expanded: "v", Collapsed: ">", Ellipsis: "...", Arrow: "->", Bullet: "*", MoreLeft: "<", MoreRight: ">", SparkLevels: []string{"_", ".", "-", "=", "+", "*", "#", "@"}}
		s.Border = lipgloss.ASCIIBorder()
	}

	c := func(ansi string) color.Color {
		if o.NoColor {
			return nil
		}
		return lipgloss.Color(ansi)
	}
	fg := func(ansi string) lipgloss.Style {
		st := lipgloss.NewStyle()
		if col := c(ansi); col != nil {
			st = st.Foreground(col)
		}
		return st
	}
	// ANSI 16: 1 red, 2 green, 3 yellow, 4 blue, 5 magenta, 6 cyan, 8 grey, 9+ bright.
	accent, muted := "6", "8"
	if !o.Dark {
		accent = "4"
	}

	s.App = lipgloss.NewStyle()
	s.Header = lipgloss.NewStyle().Bold(true)
	s.HeaderProd = fg("9").Bold(true)
	if o.NoColor {
		s.HeaderProd = lipgloss.NewStyle().Bold(true).Reverse(true)
	}
	s.Badge = lipgloss.NewStyle().Reverse(true).Bold(true).Padding(0, 1)
	s.BadgeWarn = fg("1").Reverse(true).Bold(true).Padding(0, 1)
	s.BadgeProd = fg("9").Reverse(true).Bold(true).Padding(0, 1)
	s.Tab = fg(muted).Padding(0, 1)
	s.TabActive = lipgloss.NewStyle().Bold(true).Underline(true).Padding(0, 1)

	s.Pane = lipgloss.NewStyle().Border(s.Border)
	s.PaneFocused = lipgloss.NewStyle().Border(s.Border)
	if !o.NoColor {
		s.Pane = s.Pane.BorderForeground(c(muted))
		s.PaneFocused = s.PaneFocused.BorderForeground(c(accent))
	} else {
		// Without colour the focused pane has a heavier line, never a
		// block character (which reads as a rendering fault).
		s.PaneFocused = lipgloss.NewStyle().Border(lipgloss.ThickBorder())
		if o.ASCII {
			s.PaneFocused = lipgloss.NewStyle().Border(FocusedASCIIBorder)
		}
	}
	s.PaneTitle = lipgloss.NewStyle().Bold(true)

	s.Footer = fg(muted)
	s.HelpKey = fg(accent).Bold(true)
	s.HelpDesc = fg(muted)
	s.FlashInfo = fg("2")
	s.FlashWarn = fg("3").Bold(true)
	s.FlashErr = fg("1").Bold(true)

	s.Selected = lipgloss.NewStyle().Reverse(true)
	s.Dim = fg(muted)
	s.Namespace = fg(accent).Bold(true)
	s.Count = fg(muted)
	s.TTL = fg("2")
	s.TTLExpiring = fg("3").Bold(true)
	s.Partial = fg("3")
	s.Type = map[string]lipgloss.Style{
		"string": fg("2"), "hash": fg("5"), "list": fg("4"), "set": fg("3"),
		"zset": fg("6"), "stream": fg("1"), "": fg(muted),
	}

	s.Label = fg(muted)
	s.Warning = fg("3").Bold(true).Reverse(o.NoColor)
	s.Error = fg("1").Bold(true)
	s.SearchMatch = lipgloss.NewStyle().Reverse(true).Bold(true)
	s.JSONKey = fg(accent)
	s.JSONString = fg("2")
	s.JSONNumber = fg("5")
	s.JSONBool = fg("3")
	s.JSONNull = fg(muted)
	s.JSONPunct = lipgloss.NewStyle()
	return s
}

// FocusedASCIIBorder marks the focused pane when neither colour nor
// UTF-8 is available: double lines of "=" and "#" sides.
var FocusedASCIIBorder = lipgloss.Border{
	Top: "=", Bottom: "=", Left: "#", Right: "#",
	TopLeft: "#", TopRight: "#", BottomLeft: "#", BottomRight: "#",
	MiddleLeft: "#", MiddleRight: "#", Middle: "=", MiddleTop: "=", MiddleBottom: "=",
}

// TypeStyle is the style of a Redis type name (unknown types are dim).
func (s *Styles) TypeStyle(t string) lipgloss.Style {
	if st, ok := s.Type[t]; ok {
		return st
	}
	return s.Dim
}
