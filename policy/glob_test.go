package policy

import (
	"context"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

// TestGlobAgreesWithScanMatch: the policy's matcher must select exactly
// what SCAN MATCH selects, since `policy fix` walks with SCAN MATCH what
// the audit classified with the matcher.
func TestGlobAgreesWithScanMatch(t *testing.T) {
	srv := redistest.Standalone(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()
	keys := []string{"", "a", "ab", "abc", "a:b:c", "lead:1:enrichment", "lead:1", "lead:", "lead:enrichment",
		"x*y", `x\y`, "x?y", "xay", "[a]", "a-b", "b", "z", "é", "\xff\x00", "temp:*", "temp:x", "AB", "a\nb"}
	for _, k := range keys {
		require.NoError(t, rdb.Set(ctx, k, "1", 0).Err())
	}
	patterns := []string{"*", "a*", "*b", "a?", "a*c", "a:*:c", "lead:*:enrichment", "lead:*", "x\\*y", "x\\\\y", "x[?*]y",
		"[a-c]", "[^a]", "[c-a]", "\\[a\\]", "a[-]b", "*:*", "**b", "temp:\\*", "[A-Z]*", "a\nb", "?", "[\\]]*", "é", "\xff*"}
	for _, pat := range patterns {
		var want []string
		iter := rdb.Scan(ctx, 0, pat, 1000).Iterator()
		for iter.Next(ctx) {
			want = append(want, iter.Val())
		}
		require.NoError(t, iter.Err())
		var got []string
		for _, k := range keys {
			ok, err := Glob(pat, k)
			require.NoError(t, err, pat)
			if ok {
				got = append(got, k)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		assert.Equal(t, want, got, "pattern %q", pat)
	}
}
