package redisops_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

// GlobMatch must pick exactly the keys the server's SCAN MATCH picks: the
// server is the oracle, over tricky patterns and random ones.
func TestGlobMatchAgreesWithScanMatch(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(11, 3))
	keyAlphabet := "ab-]^\\[*?:\xff"
	keys := []string{"coldcopy:lead_score:1:2", "coldcopy:campaign_analytics:x", "a", "ab", "a*b", "a]b", "[", "]", "\\", "a\\b", "\xff\xfe", "lead:1", "-", "^"}
	for len(keys) < 300 {
		n := 1 + rng.IntN(5)
		b := make([]byte, n)
		for i := range b {
			b[i] = keyAlphabet[rng.IntN(len(keyAlphabet))]
		}
		keys = append(keys, string(b))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	pipe := c.Redis().Pipeline()
	for _, k := range keys {
		pipe.Set(ctx, k, "v", 0)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)

	patterns := []string{"coldcopy:lead_score:*", "*", "a*", "*b", "a?", "[a-b]", "[b-a]", "[^a]", "[]", "[", "[^", "[a", "a[\\]]b", "a\\*b", "\\", "a\\", "[\\", "**a**", "*[*]*", "[a-]", "[-a]", "[\xff]*", "[\x01-\xff]*", "[^-]", "a[", "?*?", "[]]", "[]a]", "\\[", "[a-\\]]"}
	patAlphabet := "ab*?[]^-\\\xff"
	for len(patterns) < 250 {
		n := 1 + rng.IntN(6)
		b := make([]byte, n)
		for i := range b {
			b[i] = patAlphabet[rng.IntN(len(patAlphabet))]
		}
		patterns = append(patterns, string(b))
	}
	for _, pat := range patterns {
		var server []string
		_, err := c.Scan(ctx, redisops.ScanOptions{Match: pat}, func(batch []redisops.ScannedKey) error {
			for _, k := range batch {
				server = append(server, k.Key)
			}
			return nil
		})
		require.NoError(t, err)
		slices.Sort(server)
		var ours []string
		for _, k := range keys {
			if redisops.GlobMatch(pat, k) {
				ours = append(ours, k)
			}
		}
		assert.Equal(t, server, ours, "pattern %q", pat)
	}
}
