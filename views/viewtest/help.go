package viewtest

import (
	"testing"

	"charm.land/bubbles/v2/key"
)

// HelpKeys maps every enabled key the help groups list to its meaning,
// failing t when one key is listed with two meanings.
func HelpKeys(t testing.TB, groups ...[]key.Binding) map[string]string {
	t.Helper()
	meaning := map[string]string{}
	for _, g := range groups {
		for _, b := range g {
			if !b.Enabled() {
				continue
			}
			for _, k := range b.Keys() {
				desc := b.Help().Desc
				if prev, ok := meaning[k]; ok && prev != desc {
					t.Errorf("%q is both %q and %q", k, prev, desc)
				}
				meaning[k] = desc
			}
		}
	}
	return meaning
}
