package keymap

import (
	"reflect"
	"strings"

	"charm.land/bubbles/v2/key"
)

// asciiHelp spells out the help texts' glyphs for terminals without UTF-8.
var asciiHelp = strings.NewReplacer("↑", "up", "↓", "down", "←", "left", "→", "right", "…", "...", "–", "-")

// ASCII rewrites every binding's help text in plain ASCII ("↑/k" becomes
// "up/k", "delete key…" "delete key..."). The keys themselves are unchanged.
func (k *KeyMap) ASCII() {
	v := reflect.ValueOf(k).Elem()
	for i := range v.NumField() {
		b, ok := v.Field(i).Addr().Interface().(*key.Binding)
		if !ok {
			continue
		}
		h := b.Help()
		b.SetHelp(asciiHelp.Replace(h.Key), asciiHelp.Replace(h.Desc))
	}
}
