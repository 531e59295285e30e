package keys

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"

	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// With an ASCII terminal (no UTF-8 locale) the pane draws ASCII glyphs and
// still fills its box exactly, whatever the width.
func TestASCIIGlyphsAndNarrowWidths(t *testing.T) {
	h := newHarness(t, nil, 40, 6)
	h.m.c.Styles = styles.New(styles.Options{Dark: true, ASCII: true})
	h.inject([]string{"lead:" + strings.Repeat("x", 80), "lead:2", "user:东京东京东京东京东京东京东京东京东京东京东京东京", "k"})
	h.Dispatch(h.m.ScanDone())
	h.settle()
	h.cursorTo("lead:")
	h.Key("right")
	for w := range 45 {
		h.m.SetSize(w, 6)
		viewtest.RequireSafeView(t, h.m, w, 6)
	}
	h.m.SetSize(40, 6)
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 40, 6))
	assert.Contains(t, v, "v lead:")
	assert.Contains(t, v, "> user:")
	assert.Contains(t, v, "xxx...")
	h.Key("t")
	v = ansi.Strip(viewtest.RequireSafeView(t, h.m, 40, 6))
	assert.Contains(t, v, "user:东京")
	assert.Contains(t, v, "...")
}
