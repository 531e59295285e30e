package redisops_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/redisops"
)

func TestNamespaceTreeCounts(t *testing.T) {
	tree := redisops.NewNamespaceTree("", 0, 0)
	for _, k := range []string{"lead:1", "lead:2", "lead:1:enrichment", "user:a", "plain", "", "coldcopy:lead_score:ws1:l1"} {
		tree.Add(k)
	}
	assert.Equal(t, 7, tree.Root.Keys)
	assert.Equal(t, 2, tree.Root.Direct, "keys without a delimiter sit at the root")

	lead := tree.Find("lead:")
	require.NotNil(t, lead)
	assert.Equal(t, 3, lead.Keys)
	assert.Equal(t, 2, lead.Direct)
	assert.Equal(t, "lead", lead.Segment)
	assert.Equal(t, 1, tree.Find("lead:1:").Keys)
	assert.Equal(t, 1, tree.Find("coldcopy:lead_score:ws1:").Direct)
	assert.Nil(t, tree.Find("nope:"))

	sorted := tree.Root.Sorted()
	require.Len(t, sorted, 3)
	assert.Equal(t, "lead:", sorted[0].Prefix, "most keys first")
}

func TestNamespaceTreeIsBounded(t *testing.T) {
	tree := redisops.NewNamespaceTree(":", 2, 50)
	for i := 0; i < 10_000; i++ {
		tree.Add(fmt.Sprintf("lead:%d:enrichment:x:y", i))
	}
	assert.LessOrEqual(t, tree.Nodes(), 50)
	assert.Equal(t, 10_000, tree.Root.Keys)
	assert.Equal(t, 10_000, tree.Find("lead:").Keys, "keys past the cap still count in their ancestor")
	for _, c := range tree.Find("lead:").Children {
		assert.Empty(t, c.Children, "depth is capped at 2")
	}
}

func TestNamespaceTreeOtherDelimiter(t *testing.T) {
	tree := redisops.NewNamespaceTree("::", 0, 0)
	tree.Add("a::b::c")
	tree.Add("a:b")
	assert.Equal(t, 1, tree.Find("a::b::").Direct)
	assert.Equal(t, 1, tree.Root.Direct)
}
