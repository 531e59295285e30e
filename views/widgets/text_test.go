package widgets

import (
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
)

func TestElideMiddleKeepsTheDistinguishingEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w    int
		want string
	}{
		{"hubspot:contact:4823948234", 40, "hubspot:contact:4823948234"},
		{"hubspot:contact:4823948234", 17, "hubspo…4823948234"},
		{"hubspot:contact:4823948234", 16, "hubspo…823948234"},
		{"127.0.0.1:38491", 10, "127…:38491"},
		{"日本語のキー:12345", 12, "日本…:12345"},
		{"abcdef", 1, "a"},
		{"abcdef", 0, ""},
	} {
		got := ElideMiddle(tc.in, tc.w, "…")
		assert.Equal(t, tc.want, got, "%q in %d", tc.in, tc.w)
		assert.LessOrEqual(t, ansi.StringWidth(got), max(tc.w, 0))
	}
	assert.Equal(t, "hu...8234", ElideMiddle("hubspot:contact:4823948234", 9, "..."), "the ASCII ellipsis")
}
