package keys

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"github.com/coldcopy/cachedeck/redisops"
)

// segment is a run of rows: namespaces (nss) or keys (keys) at one depth.
// The rows on screen are a handful of segments that point into the
// namespace and key lists, never a copy of them, so a million loaded keys
// cost nothing to list and a row is found by binary search.
type segment struct {
	start int
	depth int
	nss   []*redisops.Namespace
	keys  []int32
	// owner is the namespace whose direct keys these are (tree mode): rows
	// show the key without owner.Prefix. nil in flat and filtered lists.
	owner *redisops.Namespace
}

func (s *segment) len() int {
	if s.nss != nil {
		return len(s.nss)
	}
	return len(s.keys)
}

// rowID says what a row shows, to keep the cursor on it when rows move.
type rowID struct {
	valid  bool
	isKey  bool
	key    int32  // index in the store
	prefix string // namespace row: its prefix; key row: its owner's prefix
}

func (a rowID) same(b rowID) bool {
	if a.valid != b.valid || a.isKey != b.isKey {
		return false
	}
	if a.isKey {
		return a.key == b.key
	}
	return a.prefix == b.prefix
}

func (m *Model) addSeg(s segment) {
	n := s.len()
	if n == 0 {
		return
	}
	s.start = m.nrows
	m.segs = append(m.segs, s)
	m.nrows += n
}

func (m *Model) buildRows() {
	m.segs = m.segs[:0]
	m.nrows = 0
	switch {
	case m.filter.showing():
		m.addSeg(segment{keys: m.filter.refresh(m)})
	case m.flat:
		m.addSeg(segment{keys: m.order})
	default:
		m.walkTree(m.tree.Root, 0)
	}
}

// walkTree lists node's children (descending into the expanded ones), then
// node's own keys.
func (m *Model) walkTree(node *redisops.Namespace, depth int) {
	kids := m.sortedKids(node)
	run := 0
	if len(m.expanded) > 0 {
		for i, k := range kids {
			if m.expanded[k.Prefix] {
				m.addSeg(segment{nss: kids[run : i+1], depth: depth})
				m.walkTree(k, depth+1)
				run = i + 1
			}
		}
	}
	m.addSeg(segment{nss: kids[run:], depth: depth})
	if i, ok := m.nsIdx[node]; ok {
		m.addSeg(segment{keys: m.nsList[i].keys, depth: depth, owner: node})
	}
}

// bigFanout: a namespace with more children than this is not re-sorted
// while the scan streams (sorting 50k children takes ~15 ms, too long to
// redo every rebuild); its rows keep their place, new children are added
// at the end, and it is sorted once the scan stops.
const bigFanout = 2048

// sortedKids is node's children, most keys first, then by prefix: the
// order of NamespaceTree.Sorted, cached until a key is added below node.
func (m *Model) sortedKids(node *redisops.Namespace) []*redisops.Namespace {
	if len(node.Children) == 0 {
		return nil
	}
	info := m.info(node)
	if info.kidsAt == node.Keys && len(info.kids) == len(node.Children) && !(info.unsorted && m.state != scanRunning) {
		return info.kids
	}
	info.kidsAt = node.Keys
	if m.state == scanRunning && len(node.Children) > bigFanout && len(info.kids) > 0 {
		if len(info.kids) != len(node.Children) {
			if info.listed == nil {
				info.listed = make(map[*redisops.Namespace]struct{}, len(info.kids))
				for _, c := range info.kids {
					info.listed[c] = struct{}{}
				}
			}
			for _, c := range node.Children {
				if _, ok := info.listed[c]; !ok {
					info.listed[c] = struct{}{}
					info.kids = append(info.kids, c)
				}
			}
		}
		info.unsorted = true
		return info.kids
	}
	info.kids = info.kids[:0]
	for _, c := range node.Children {
		info.kids = append(info.kids, c)
	}
	slices.SortFunc(info.kids, func(a, b *redisops.Namespace) int {
		if a.Keys != b.Keys {
			return cmp.Compare(b.Keys, a.Keys)
		}
		return strings.Compare(a.Prefix, b.Prefix)
	})
	info.unsorted, info.listed = false, nil
	return info.kids
}

// info returns node's nsInfo, creating it for a namespace that has no
// direct keys (only such nodes are walked, so this stays small).
func (m *Model) info(node *redisops.Namespace) *nsInfo {
	if i, ok := m.nsIdx[node]; ok {
		return m.nsList[i]
	}
	i := int32(len(m.nsList))
	m.nsIdx[node] = i
	info := &nsInfo{node: node}
	m.nsList = append(m.nsList, info)
	return info
}

func (m *Model) segAt(r int) (*segment, int) {
	i := sort.Search(len(m.segs), func(i int) bool { return m.segs[i].start > r }) - 1
	if i < 0 || r < 0 || r >= m.nrows {
		return nil, 0
	}
	s := &m.segs[i]
	return s, r - s.start
}

func (m *Model) idAt(r int) rowID {
	s, j := m.segAt(r)
	if s == nil {
		return rowID{}
	}
	if s.nss != nil {
		return rowID{valid: true, prefix: s.nss[j].Prefix}
	}
	id := rowID{valid: true, isKey: true, key: s.keys[j]}
	if s.owner != nil {
		id.prefix = s.owner.Prefix
	}
	return id
}

// nsAt is the namespace of row r, or nil for a key row.
func (m *Model) nsAt(r int) *redisops.Namespace {
	if s, j := m.segAt(r); s != nil && s.nss != nil {
		return s.nss[j]
	}
	return nil
}

// findRow finds the row showing id, trying hint first (the usual case: the
// item did not move).
func (m *Model) findRow(id rowID, hint int) (int, bool) {
	if !id.valid {
		return 0, false
	}
	if m.idAt(hint).same(id) {
		return hint, true
	}
	for si := range m.segs {
		s := &m.segs[si]
		if id.isKey {
			if s.keys != nil {
				if j := slices.Index(s.keys, id.key); j >= 0 {
					return s.start + j, true
				}
			}
			continue
		}
		for j, n := range s.nss {
			if n.Prefix == id.prefix {
				return s.start + j, true
			}
		}
	}
	return 0, false
}

// parentRow is the row of the namespace that holds row r (tree mode).
func (m *Model) parentRow(r int) (int, bool) {
	s, j := m.segAt(r)
	if s == nil {
		return 0, false
	}
	var parent string
	if s.nss != nil {
		n := s.nss[j]
		parent = n.Prefix[:len(n.Prefix)-len(n.Segment)-len(m.tree.Delimiter)]
	} else if s.owner != nil {
		parent = s.owner.Prefix
	}
	if parent == "" {
		return 0, false
	}
	return m.findRow(rowID{valid: true, prefix: parent}, -1)
}

// restoreSelection puts the cursor back on the selected item after the rows
// changed, keeping it at the same place on screen.
func (m *Model) restoreSelection() {
	if m.nrows == 0 {
		m.cursor, m.offset = 0, 0
		return
	}
	if r, ok := m.findRow(m.sel, m.cursor); ok {
		m.offset += r - m.cursor
		m.cursor = r
		m.ensureVisible()
		return
	}
	m.cursor = min(max(m.cursor, 0), m.nrows-1)
	m.ensureVisible()
	id := m.idAt(m.cursor)
	if !id.same(m.sel) {
		m.sel = id
		m.selChanged = true
	}
}
