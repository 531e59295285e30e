package decode

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDisplayKey(t *testing.T) {
	cases := map[string]string{
		"lead:1:enrichment": "lead:1:enrichment",
		"with space":        "with space",
		" ":                 `" "`,
		"trailing ":         `"trailing "`,
		"emoji 🚀":           "emoji 🚀",
		"":                  `""`,
		`"quoted"`:          `"\"quoted\""`,
		"new\nline":         `"new\nline"`,
		"esc\x1b[2J":        `"esc\x1b[2J"`,
		"\xff\xfe":          `"\xff\xfe"`,
		"del\x7f":           `"del\x7f"`,
		"bidi\u202e":        QuoteKey("bidi\u202e"),
	}
	for key, want := range cases {
		assert.Equal(t, want, DisplayKey(key), "%q", key)
	}
}
