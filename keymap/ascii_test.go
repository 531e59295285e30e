package keymap

import (
	"reflect"
	"testing"

	"charm.land/bubbles/v2/key"
	"github.com/stretchr/testify/assert"
)

func TestASCIIHelpHasNoGlyph(t *testing.T) {
	k := Default()
	k.ASCII()
	v := reflect.ValueOf(k)
	for i := range v.NumField() {
		b := v.Field(i).Interface().(key.Binding)
		for _, s := range []string{b.Help().Key, b.Help().Desc} {
			for _, r := range s {
				assert.Less(t, r, rune(0x80), "%s: %q", v.Type().Field(i).Name, s)
			}
		}
	}
	assert.Equal(t, "up/k", k.Up.Help().Key)
	assert.Equal(t, "delete key...", k.DeleteKey.Help().Desc)
	assert.Equal(t, []string{"up", "k"}, k.Up.Keys(), "the keys themselves are unchanged")
}
