package redisops_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func TestRecipes(t *testing.T) {
	cases := map[string]struct {
		args map[string]string
		want []string
	}{
		"workspace": {map[string]string{"ws": "W"}, []string{"workspace:W", "workspace:W:*", "*:workspace:W:*"}},
		"lead":      {map[string]string{"ws": "W", "lead": "L"}, []string{"leads:workspace:W:*", "lead:L", "lead:L:*", "analytics:lead:L:*"}},
		"campaign": {map[string]string{"ws": "W", "campaign": "C"}, []string{"campaigns:workspace:W", "campaigns:workspace:W:*", "analytics:workspace:W:*",
			"campaign:C", "campaign:C:*", "analytics:campaign:C:*"}},
		"analytics":   {map[string]string{"ws": "W"}, []string{"analytics:workspace:W:*", "analytics:campaign:*"}},
		"integration": {map[string]string{"ws": "W", "integration": "hubspot"}, []string{"hubspot:*", "workspace:W:hubspot:*"}},
	}
	for name, tc := range cases {
		got, err := redisops.Recipe(name, tc.args)
		require.NoError(t, err, name)
		assert.Equal(t, tc.want, got, name)
	}
	got, err := redisops.Recipe("lead", map[string]string{"ws": "w*", "lead": `a?[b]\`})
	require.NoError(t, err)
	assert.Equal(t, []string{`leads:workspace:w\*:*`, `lead:a\?\[b\]\\`, `lead:a\?\[b\]\\:*`, `analytics:lead:a\?\[b\]\\:*`}, got)

	_, err = redisops.Recipe("lead", map[string]string{"ws": "W"})
	assert.ErrorContains(t, err, "needs lead")
	_, err = redisops.Recipe("nope", nil)
	assert.ErrorContains(t, err, "unknown recipe")
	_, err = redisops.Recipe("workspace", map[string]string{"ws": "W", "x": "y"})
	assert.ErrorContains(t, err, `not "x"`)
}

func TestRecipeEscapingDoesNotWiden(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	for _, k := range []string{"lead:*", "lead:*:enrichment", "lead:42", "lead:42:enrichment"} {
		require.NoError(t, c.Redis().Set(ctx, k, "v", 0).Err())
	}
	ps, err := redisops.Recipe("lead", map[string]string{"ws": "W", "lead": "*"})
	require.NoError(t, err)
	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: ps})
	require.NoError(t, err)
	assert.EqualValues(t, 2, res.Deleted)
	assert.EqualValues(t, 2, c.Redis().Exists(ctx, "lead:42", "lead:42:enrichment").Val())
}

// Lead 4 is not lead 475: the app's own lead:4* would take both.
func TestRecipeTakesOnlyItsOwnIds(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	mine := []string{"lead:4", "lead:4:enrichment", "analytics:lead:4:engagement", "leads:workspace:1:page:1",
		"workspace:1", "workspace:1:members", "campaign:9", "campaign:9:performance", "campaigns:workspace:1"}
	others := []string{"lead:475", "lead:439:enrichment", "analytics:lead:42:engagement", "leads:workspace:12:page:1",
		"workspace:12", "workspace:12:members", "campaign:97", "campaign:97:performance", "campaigns:workspace:12"}
	for _, k := range append(slices.Clone(mine), others...) {
		require.NoError(t, c.Redis().Set(ctx, k, "v", 0).Err())
	}
	var ps []string
	for name, args := range map[string]map[string]string{
		"lead":      {"ws": "1", "lead": "4"},
		"workspace": {"ws": "1"},
		"campaign":  {"ws": "1", "campaign": "9"},
	} {
		p, err := redisops.Recipe(name, args)
		require.NoError(t, err, name)
		ps = append(ps, p...)
	}
	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: ps})
	require.NoError(t, err)
	assert.EqualValues(t, len(mine), res.Deleted)
	assert.EqualValues(t, len(mine), res.Matched)
	assert.EqualValues(t, len(others), c.Redis().Exists(ctx, others...).Val(), "no other id's keys")

	// An exact id is one EXISTS, not a walk of the whole keyspace.
	require.NoError(t, c.Redis().Set(ctx, "lead:4", "v", 0).Err())
	before := scanCalls(t, c.Redis())
	prev, err := c.Preview(ctx, []string{"lead:4", "lead:5"}, 5)
	require.NoError(t, err)
	assert.EqualValues(t, 1, prev.Matched)
	res, err = c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"lead:4", "lead:5"}})
	require.NoError(t, err)
	assert.EqualValues(t, 1, res.Deleted)
	assert.EqualValues(t, 1, res.Matched)
	assert.Equal(t, before, scanCalls(t, c.Redis()), "no SCAN for exact keys")
}
