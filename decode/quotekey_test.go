package decode

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQuoteKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want string
	}{
		{"empty", "", `""`},
		{"plain", "user:42", `"user:42"`},
		{"spaces", "a key with spaces", `"a key with spaces"`},
		{"quotes", `method:Lead:get:["x"]`, `"method:Lead:get:[\"x\"]"`},
		{"backslash", `a\b`, `"a\\b"`},
		{"newline", "line1\nline2", `"line1\nline2"`},
		{"cr tab bell backspace", "\r\t\a\b", `"\r\t\a\b"`},
		{"escape sequence", "\x1b[2Jboom", `"\x1b[2Jboom"`},
		{"nul and del", "\x00\x7f", `"\x00\x7f"`},
		{"invalid utf8", "caf\xe9", `"caf\xe9"`},
		{"valid utf8 is bytes too", "café", `"caf\xc3\xa9"`},
		{"c1 csi", "\u009b", `"\xc2\x9b"`},
		{"glob chars", "leads:*:page:[1]?", `"leads:*:page:[1]?"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := QuoteKey(tt.key)
			assert.Equal(t, tt.want, got)
			for i := 0; i < len(got); i++ {
				assert.True(t, got[i] >= 0x20 && got[i] < 0x7f, "only printable ASCII comes out")
			}
		})
	}
}
