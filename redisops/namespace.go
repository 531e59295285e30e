package redisops

import (
	"sort"
	"strings"
)

// NamespaceTree counts keys per prefix as a scan streams in. Only prefixes
// are nodes (the last segment of a key is the key itself), and the number
// of nodes is capped, so a keyspace of unique ids costs one node per
// distinct prefix, not one per key.
type NamespaceTree struct {
	Delimiter string
	MaxDepth  int // prefix levels kept; deeper keys count at the deepest kept level
	MaxNodes  int // once reached, new prefixes count in their deepest existing ancestor
	Root      *Namespace
	nodes     int
}

// Namespace is one prefix, e.g. "lead:" or "lead:123:".
type Namespace struct {
	Prefix   string // full prefix including the trailing delimiter; "" for the root
	Segment  string // the last segment, without delimiter
	Keys     int    // every key under this prefix, at any depth
	Direct   int    // keys whose last delimiter is this prefix's (leaves here)
	Children map[string]*Namespace
}

// Default limits: deep enough for every ColdCopy key shape, small enough
// that a keyspace of millions of unique ids stays a few MiB.
const (
	DefaultDelimiter      = ":"
	DefaultNamespaceDepth = 8
	DefaultNamespaceNodes = 100_000
)

// NewNamespaceTree returns an empty tree; zero limits take the defaults.
func NewNamespaceTree(delimiter string, maxDepth, maxNodes int) *NamespaceTree {
	if delimiter == "" {
		delimiter = DefaultDelimiter
	}
	if maxDepth <= 0 {
		maxDepth = DefaultNamespaceDepth
	}
	if maxNodes <= 0 {
		maxNodes = DefaultNamespaceNodes
	}
	return &NamespaceTree{Delimiter: delimiter, MaxDepth: maxDepth, MaxNodes: maxNodes, Root: &Namespace{}}
}

// Add counts one key and returns the namespace it was counted in as a
// direct key (the deepest prefix kept for it; the root for keys without a
// delimiter).
func (t *NamespaceTree) Add(key string) *Namespace {
	n := t.Root
	n.Keys++
	rest := key
	for depth := 0; depth < t.MaxDepth; depth++ {
		i := strings.Index(rest, t.Delimiter)
		if i < 0 {
			break
		}
		seg := rest[:i]
		child := n.Children[seg]
		if child == nil {
			if t.nodes >= t.MaxNodes {
				break
			}
			if n.Children == nil {
				n.Children = make(map[string]*Namespace)
			}
			// Clone: the key string may share memory with a large batch.
			prefix := strings.Clone(n.Prefix + seg + t.Delimiter)
			child = &Namespace{Prefix: prefix, Segment: prefix[len(n.Prefix) : len(prefix)-len(t.Delimiter)]}
			n.Children[child.Segment] = child
			t.nodes++
		}
		n = child
		n.Keys++
		rest = rest[i+len(t.Delimiter):]
	}
	n.Direct++
	return n
}

// Nodes is the number of prefixes held.
func (t *NamespaceTree) Nodes() int { return t.nodes }

// Sorted returns the children of n, most keys first, then by prefix.
func (n *Namespace) Sorted() []*Namespace {
	out := make([]*Namespace, 0, len(n.Children))
	for _, c := range n.Children {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Keys != out[j].Keys {
			return out[i].Keys > out[j].Keys
		}
		return out[i].Prefix < out[j].Prefix
	})
	return out
}

// Find returns the node for prefix (with its trailing delimiter), or nil.
func (t *NamespaceTree) Find(prefix string) *Namespace {
	n := t.Root
	rest := prefix
	for rest != "" {
		i := strings.Index(rest, t.Delimiter)
		if i < 0 {
			return nil
		}
		n = n.Children[rest[:i]]
		if n == nil {
			return nil
		}
		rest = rest[i+len(t.Delimiter):]
	}
	return n
}
