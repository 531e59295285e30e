package redisops

import (
	"fmt"
	"slices"
	"strings"
)

// recipe is one of the app's invalidation recipes (facts doc). The app
// writes its id patterns as prefixes (lead:L*), which also match every id
// that starts with L (lead 4 takes lead:475 with it); here each becomes
// the key itself and its children (lead:L, lead:L:*), which are all the
// keys its key schema gives that entity.
type recipe struct {
	args     []string
	patterns []string // {ws}, {lead}, {campaign}, {integration} are replaced by escaped values
}

var recipes = map[string]recipe{
	"workspace": {[]string{"ws"}, []string{"workspace:{ws}", "workspace:{ws}:*", "*:workspace:{ws}:*"}},
	"lead":      {[]string{"ws", "lead"}, []string{"leads:workspace:{ws}:*", "lead:{lead}", "lead:{lead}:*", "analytics:lead:{lead}:*"}},
	"campaign": {[]string{"ws", "campaign"}, []string{"campaigns:workspace:{ws}", "campaigns:workspace:{ws}:*", "analytics:workspace:{ws}:*",
		"campaign:{campaign}", "campaign:{campaign}:*", "analytics:campaign:{campaign}:*"}},
	"analytics":   {[]string{"ws"}, []string{"analytics:workspace:{ws}:*", "analytics:campaign:*"}},
	"integration": {[]string{"ws", "integration"}, []string{"{integration}:*", "workspace:{ws}:{integration}:*"}},
}

// RecipeNames lists the recipes, sorted.
func RecipeNames() []string {
	out := make([]string, 0, len(recipes))
	for n := range recipes {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// RecipeArgs lists the arguments a recipe needs.
func RecipeArgs(name string) []string { return slices.Clone(recipes[name].args) }

// Recipe returns the patterns of the app's invalidation recipe name with
// args filled in (ws, lead, campaign, integration). Values are glob-escaped:
// a '*' in an id matches only itself.
func Recipe(name string, args map[string]string) ([]string, error) {
	r, ok := recipes[name]
	if !ok {
		return nil, fmt.Errorf("unknown recipe %q (one of %s)", name, strings.Join(RecipeNames(), ", "))
	}
	for k := range args {
		if !slices.Contains(r.args, k) {
			return nil, fmt.Errorf("recipe %s takes %s, not %q", name, strings.Join(r.args, " and "), k)
		}
	}
	var pairs []string
	for _, a := range r.args {
		v, ok := args[a]
		if !ok || v == "" {
			return nil, fmt.Errorf("recipe %s needs %s", name, a)
		}
		pairs = append(pairs, "{"+a+"}", GlobEscape(v))
	}
	rep := strings.NewReplacer(pairs...)
	out := make([]string, len(r.patterns))
	for i, p := range r.patterns {
		out[i] = rep.Replace(p)
	}
	return out, nil
}

// GlobEscape escapes the characters Redis glob patterns treat specially
// (* ? [ ] \) so that s matches only itself.
func GlobEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
