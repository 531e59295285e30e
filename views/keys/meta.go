package keys

import (
	"context"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/redisops"
)

func (m *Model) nowMs() int64 { return m.now().UnixMilli() }

func (m *Model) now() time.Time { return m.c.Clock()() }

// visibleKeys calls fn for every key row on screen.
func (m *Model) visibleKeys(fn func(i int32)) {
	end := min(m.offset+m.listHeight(), m.nrows)
	for r := m.offset; r < end; {
		s, j := m.segAt(r)
		if s == nil {
			return
		}
		n := min(s.len()-j, end-r)
		if s.keys != nil {
			for _, i := range s.keys[j : j+n] {
				fn(i)
			}
		}
		r += n
	}
}

// ensureMeta fetches type and TTL of the key rows on screen that lack them
// (or whose TTL ran out: the key is probably gone), one pipelined round
// trip at a time: a fetch never overlaps another.
func (m *Model) ensureMeta() tea.Cmd {
	if m.c.Client == nil || m.metaSeq != 0 || m.metaFailed {
		return nil
	}
	now := m.nowMs()
	var idx []int32
	m.visibleKeys(func(i int32) {
		if m.st.meta.at(i)&metaKnown == 0 || (m.st.exp.at(i) != 0 && m.st.exp.at(i) < now) {
			idx = append(idx, i)
		}
	})
	if len(idx) == 0 {
		return nil
	}
	keys := make([]string, len(idx))
	for k, i := range idx {
		keys[k] = m.st.key(i)
	}
	seq, scan, client := nextSeq(), m.scanID, m.c.Client
	m.metaSeq = seq
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), metaTimeout)
		defer cancel()
		res, err := client.KeyMeta(ctx, keys)
		return metaMsg{seq: seq, scan: scan, idx: idx, res: res, err: err}
	}
}

func (m *Model) applyMeta(idx []int32, res []redisops.ScannedKey) {
	now := m.nowMs()
	for k, i := range idx {
		r := res[k]
		m.st.setType(i, r.Type)
		*m.st.meta.ref(i) |= metaKnown
		exp := m.st.exp.ref(i)
		switch {
		case r.TTL >= 0:
			*exp = now + r.TTL
		case r.TTL == -2:
			m.st.setType(i, "none")
			*exp = 0
		default:
			*exp = 0
		}
	}
}

// ensureTick keeps a 1 s tick going while a countdown is on screen.
func (m *Model) ensureTick() tea.Cmd {
	if m.tickSeq != 0 || !m.ttlVisible() {
		return nil
	}
	seq := nextSeq()
	m.tickSeq = seq
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return ttlTickMsg{seq: seq} })
}

func (m *Model) ttlVisible() bool {
	found := false
	m.visibleKeys(func(i int32) {
		if m.st.meta.at(i)&metaKnown != 0 && m.st.exp.at(i) != 0 {
			found = true
		}
	})
	return found
}

// startSort orders the loaded keys once no more are arriving (the scan is
// done or paused): in Update for a few keys, in a command otherwise. While
// the scan streams, keys stay in arrival order so rows do not jump.
func (m *Model) startSort() tea.Cmd {
	n := m.st.len()
	if n == m.sortedN {
		return nil
	}
	keys := m.st.snapshot()
	if n <= syncWorkMax {
		m.sortSeq = 0
		m.applySort(n, sortKeys(keys))
		return nil
	}
	seq, scan := nextSeq(), m.scanID
	m.sortSeq = seq
	return func() tea.Msg { return sortMsg{seq: seq, scan: scan, n: n, order: sortKeys(keys)} }
}

func sortKeys(keys keySnap) []int32 {
	order := make([]int32, keys.n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(keys.key(int(a)), keys.key(int(b))) })
	return order
}

// applySort puts the first n keys in sorted order (keys loaded since stay
// after them in arrival order) in the flat list and in every namespace.
func (m *Model) applySort(n int, order []int32) {
	m.order = append(order, m.order[n:]...)
	for _, info := range m.nsList {
		info.keys = info.keys[:0]
	}
	for _, i := range m.order {
		info := m.nsList[m.st.ns.at(i)]
		info.keys = append(info.keys, i)
	}
	m.sortedN = n
	m.rebuild()
}

// forgetMeta marks the type and TTL of keys (of every key when all) as
// unknown, so that the rows on screen ask the server again; a fetch in
// flight may predate the change, so its answer is dropped.
func (m *Model) forgetMeta(all bool, keys []string) {
	m.metaSeq = 0
	if !all && len(keys) == 0 {
		return
	}
	want := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		want[k] = struct{}{}
	}
	for i := range int32(m.st.len()) {
		if !all {
			if _, ok := want[m.st.key(i)]; !ok {
				continue
			}
		}
		*m.st.meta.ref(i) &^= metaKnown
	}
}

// scheduleDBSize arms the next DBSIZE refresh once the scan is done: the
// total loaded is then compared with the server's count as keys expire.
func (m *Model) scheduleDBSize() tea.Cmd {
	if m.c.Client == nil || m.state != scanDone || m.dbsizeSeq != 0 || m.dbsizeBusy {
		return nil
	}
	seq := nextSeq()
	m.dbsizeSeq = seq
	return tea.Tick(dbsizeEvery, func(time.Time) tea.Msg { return dbsizeTickMsg{seq: seq} })
}

// refreshDBSize asks DBSIZE now unless it is being asked already.
func (m *Model) refreshDBSize() tea.Cmd {
	if m.c.Client == nil || m.dbsizeBusy {
		return nil
	}
	m.dbsizeSeq = 0 // the answer arms the next tick
	m.dbsizeBusy = true
	return dbsizeCmd(m.c.Client, m.scanID, m.c.Clock())
}
