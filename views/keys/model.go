// Package keys is the keys pane: the namespace tree and the key list of the
// server, built from a background SCAN that never blocks the keyboard, with
// server-side (MATCH, TYPE) and local (substring, or fuzzy) filters, and type and TTL
// fetched lazily for the rows on screen.
package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
)

// DefaultMaxKeys is how many keys the pane loads before it pauses the scan
// and offers to load more: about 50 MB for ColdCopy-sized keys.
const DefaultMaxKeys = 500_000

const (
	debounceDelay = 150 * time.Millisecond // cursor rest before the inspector follows
	minBuildEvery = 100 * time.Millisecond // row lists rebuilt at most this often while streaming
	maxBuildEvery = time.Second
	metaTimeout   = 5 * time.Second
	// DBSIZE is O(1) on the server: asking it twice a minute keeps the
	// total honest while keys expire.
	dbsizeEvery = 30 * time.Second
	// Up to this many keys a filter or a sort runs in Update itself (a few
	// milliseconds); beyond, in a command off the Update path.
	syncWorkMax = 20_000
)

// typeCycle is what T steps through.
var typeCycle = []string{"", "string", "hash", "list", "set", "zset", "stream"}

type scanState uint8

const (
	scanIdle    scanState = iota // no client: keys only arrive as injected batches
	scanRunning                  // batches streaming in
	scanPaused                   // at the cap, waiting for L
	scanDone                     // every node walked (or stopped early without error)
	scanFailed                   // SCAN refused or the connection failed
)

type inputMode uint8

const (
	inputNone inputMode = iota
	inputMatch
	inputFilter
)

// Model is the keys pane. It implements views.Pane.
type Model struct {
	c       *views.Common
	width   int
	height  int
	focused bool

	// MaxKeys caps the keys loaded before the scan pauses; each L raises the
	// cap by MaxKeys again. Set it before Init.
	MaxKeys int

	// The scan.
	job     *scanJob
	scanID  uint64
	state   scanState
	scanErr error
	result  redisops.ScanResult
	dbsize  int64 // -1 unknown
	// The counts shown go stale as keys expire: countedAt is when the scan
	// completed, dbsizeAt when DBSIZE last answered (refreshed every
	// dbsizeEvery while the scan is done, and after the console's own
	// mutations).
	countedAt  time.Time
	dbsizeAt   time.Time
	dbsizeBusy bool
	dbsizeSeq  uint64 // the refresh tick pending, 0 for none
	allow      int    // current cap
	match      string
	typ        string // "" for all types

	// Loaded keys.
	tree    *redisops.NamespaceTree
	st      store
	nsList  []*nsInfo
	nsIdx   map[*redisops.Namespace]int32
	order   []int32 // flat display order: sorted prefix, then arrival order
	sortedN int     // keys covered by the last sort applied
	sortSeq uint64  // pending background sort

	// Rows on screen.
	flat       bool
	expanded   map[string]bool // by prefix, so expansions survive a rescan
	segs       []segment
	nrows      int
	cursor     int
	offset     int
	sel        rowID
	selChanged bool
	dirty      bool
	lastBuild  time.Time
	buildEvery time.Duration
	buildSeq   uint64 // pending coalesced rebuild

	filter filterState
	input  lineInput
	mode   inputMode

	// Lazy type/TTL.
	metaSeq    uint64 // the fetch in flight, 0 for none
	metaFailed bool
	metaErr    error
	tickSeq    uint64 // the TTL tick in flight, 0 for none

	// Inspector following the cursor.
	selSeq    uint64 // pending debounce
	announced string
	annValid  bool
}

// New returns the pane; Init starts the scan.
func New(c *views.Common) *Model {
	m := &Model{
		c:          c,
		MaxKeys:    DefaultMaxKeys,
		expanded:   map[string]bool{},
		dbsize:     -1,
		buildEvery: minBuildEvery,
	}
	m.reset()
	return m
}

// reset forgets the loaded keys and numbers a new scan.
func (m *Model) reset() {
	if m.job != nil {
		m.job.cancel()
		m.job = nil
	}
	// A key selection cannot survive (indices restart); its namespace can.
	if m.sel.isKey {
		m.sel = rowID{prefix: m.sel.prefix, valid: m.sel.prefix != ""}
	}
	m.scanID = nextSeq()
	m.state = scanIdle
	m.scanErr = nil
	m.result = redisops.ScanResult{}
	m.tree = redisops.NewNamespaceTree("", 0, 0)
	m.st = store{}
	m.nsList = nil
	m.nsIdx = map[*redisops.Namespace]int32{}
	m.order = nil
	m.sortedN, m.sortSeq = 0, 0
	m.buildSeq = 0
	m.metaSeq, m.metaFailed, m.metaErr = 0, false, nil
	m.filter.restart()
	m.dirty = true
	m.rebuild()
}

// startScan cancels the current scan and starts a new one with the current
// filters.
func (m *Model) startScan() tea.Cmd {
	m.reset()
	if m.c.Client == nil {
		return nil
	}
	if m.MaxKeys <= 0 {
		m.MaxKeys = DefaultMaxKeys
	}
	m.allow = m.MaxKeys
	m.job = startScanJob(m.c.Client, m.scanID, redisops.ScanOptions{Match: m.match, Type: m.typ}, m.allow)
	m.state = scanRunning
	m.dbsizeBusy = true
	return tea.Batch(m.job.wait(), dbsizeCmd(m.c.Client, m.scanID, m.c.Clock()))
}

// Stop cancels the background scan (the frame calls it on quit; tests on
// cleanup).
func (m *Model) Stop() {
	if m.job != nil {
		m.job.cancel()
		m.job = nil
	}
}

func (m *Model) Init() tea.Cmd { return m.startScan() }

func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(0, width), max(0, height)
	m.ensureVisible()
}

func (m *Model) SetFocused(focused bool) { m.focused = focused }

func (m *Model) Capturing() bool { return m.mode != inputNone }

// Accessors for the frame and tests.

// Selected is the key under the cursor (exact bytes), if the cursor is on a
// key rather than a namespace.
func (m *Model) Selected() (string, bool) {
	if !m.sel.valid || !m.sel.isKey {
		return "", false
	}
	return strings.Clone(m.st.key(m.sel.key)), true
}

// Loaded is the number of keys loaded.
func (m *Model) Loaded() int { return m.st.len() }

// Scanning reports whether keys are still streaming in.
func (m *Model) Scanning() bool { return m.state == scanRunning }

// Paused reports whether the scan stopped at the cap (L loads more).
func (m *Model) Paused() bool { return m.state == scanPaused }

// Complete reports whether the scan walked every node.
func (m *Model) Complete() bool { return m.state == scanDone && m.result.Complete }

// Err is why the scan failed, or nil.
func (m *Model) Err() error { return m.scanErr }

// Tree is the namespace tree of the loaded keys.
func (m *Model) Tree() *redisops.NamespaceTree { return m.tree }

// ScanBatch builds a batch for the current scan, so tests and benchmarks
// can load keys without Redis: m.Update(m.ScanBatch(keys...)).
func (m *Model) ScanBatch(keys ...string) ScanBatchMsg {
	b := make([]redisops.ScannedKey, len(keys))
	for i, k := range keys {
		b[i].Key = k
	}
	return ScanBatchMsg{Scan: m.scanID, Keys: b}
}

// ScanDone builds the message that completes the current (injected) scan.
func (m *Model) ScanDone() ScanDoneMsg {
	return ScanDoneMsg{Scan: m.scanID, Result: redisops.ScanResult{Keys: m.st.len(), Complete: true}}
}

// Messages the pane sends itself.
type (
	rebuildMsg struct{ seq uint64 }
	ttlTickMsg struct{ seq uint64 }
	// dbsizeTickMsg starts the next DBSIZE refresh.
	dbsizeTickMsg struct{ seq uint64 }
	selectMsg     struct{ seq uint64 }
	metaMsg       struct {
		seq, scan uint64
		idx       []int32
		res       []redisops.ScannedKey
		err       error
	}
	sortMsg struct {
		seq, scan uint64
		n         int
		order     []int32
	}
)

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	switch msg := msg.(type) {
	case ScanBatchMsg:
		if msg.Scan != m.scanID {
			return nil
		}
		if m.state == scanIdle || m.state == scanPaused {
			m.state = scanRunning
		}
		m.addKeys(msg.Keys)
		cmds = append(cmds, m.rearm(), m.coalescedRebuild())
	case scanPausedMsg:
		if msg.scan != m.scanID {
			return nil
		}
		m.state = scanPaused
		m.rebuild()
		cmds = append(cmds, m.rearm(), m.startSort())
	case ScanDoneMsg:
		if msg.Scan != m.scanID {
			return nil
		}
		m.result = msg.Result
		m.state = scanDone
		if msg.Err != nil && !errors.Is(msg.Err, context.Canceled) {
			m.state = scanFailed
			m.scanErr = msg.Err
			cmds = append(cmds, views.Flash(views.FlashError, "keys: "+clean(msg.Err.Error())))
		}
		if m.job != nil {
			m.job.cancel()
			m.job = nil
		}
		m.countedAt = m.now()
		m.rebuild()
		cmds = append(cmds, m.startSort(), m.scheduleDBSize())
	case dbsizeMsg:
		if msg.scan == m.scanID {
			m.dbsizeBusy = false
			if msg.err == nil {
				m.dbsize, m.dbsizeAt = msg.n, msg.at
			}
			cmds = append(cmds, m.scheduleDBSize())
		}
	case dbsizeTickMsg:
		if msg.seq == m.dbsizeSeq {
			m.dbsizeSeq = 0
			cmds = append(cmds, m.refreshDBSize())
		}
	case views.KeysChangedMsg:
		// The console changed keys: what the rows say about them (type,
		// TTL, still there) is asked again, and the total.
		m.forgetMeta(msg.All, msg.Keys)
		cmds = append(cmds, m.refreshDBSize())
	case rebuildMsg:
		if msg.seq == m.buildSeq {
			m.buildSeq = 0
			if m.dirty {
				m.rebuild()
			}
		}
	case sortMsg:
		if msg.seq == m.sortSeq {
			m.sortSeq = 0
			if msg.scan == m.scanID {
				m.applySort(msg.n, msg.order)
			}
		}
	case filterMsg:
		m.applyFilter(msg)
	case metaMsg:
		if msg.seq != m.metaSeq {
			return nil
		}
		m.metaSeq = 0
		if msg.scan == m.scanID {
			if msg.err != nil {
				// Refused or failing: stop asking until a refresh, and say so.
				m.metaFailed, m.metaErr = true, msg.err
				cmds = append(cmds, views.Flash(views.FlashWarn, "keys: type/TTL unavailable: "+clean(msg.err.Error())))
			} else {
				m.applyMeta(msg.idx, msg.res)
			}
		}
	case ttlTickMsg:
		if msg.seq == m.tickSeq {
			m.tickSeq = 0
		}
	case selectMsg:
		if msg.seq == m.selSeq {
			m.selSeq = 0
			if k, ok := m.Selected(); ok {
				m.announced, m.annValid = k, true
				cmds = append(cmds, openKey(k, false))
			}
		}
	case tea.KeyPressMsg:
		if m.mode != inputNone {
			cmds = append(cmds, m.updateInput(msg))
		} else {
			cmds = append(cmds, m.handleKey(msg))
		}
	case tea.PasteMsg:
		if m.mode != inputNone {
			cmds = append(cmds, m.updateInput(msg))
		}
	case views.ConnRestoredMsg:
		// Retry what a lost connection broke.
		m.metaFailed, m.metaErr = false, nil
		if m.state == scanFailed {
			cmds = append(cmds, m.startScan())
		} else {
			// The server may have restarted or been emptied: the rows'
			// type and TTL are asked again (gone keys say so), and the total.
			m.forgetMeta(true, nil)
			cmds = append(cmds, m.refreshDBSize())
		}
	}
	cmds = append(cmds, m.afterUpdate()...)
	return tea.Batch(cmds...)
}

// afterUpdate starts what the new state calls for: metadata of rows that
// came into view, the TTL tick, the inspector's debounce.
func (m *Model) afterUpdate() []tea.Cmd {
	cmds := []tea.Cmd{m.ensureMeta(), m.ensureTick()}
	if m.selChanged {
		m.selChanged = false
		m.selSeq = 0
		if k, ok := m.Selected(); ok && (!m.annValid || k != m.announced) {
			seq := nextSeq()
			m.selSeq = seq
			cmds = append(cmds, tea.Tick(debounceDelay, func(time.Time) tea.Msg { return selectMsg{seq: seq} }))
		}
	}
	return cmds
}

func openKey(k string, focus bool) tea.Cmd {
	return func() tea.Msg { return views.OpenKeyMsg{Key: k, Focus: focus} }
}

func (m *Model) rearm() tea.Cmd {
	if m.job != nil && m.job.id == m.scanID {
		return m.job.wait()
	}
	return nil
}

func (m *Model) addKeys(batch []redisops.ScannedKey) {
	if len(batch) == 0 {
		return
	}
	for _, k := range batch {
		node := m.tree.Add(k.Key)
		ni, ok := m.nsIdx[node]
		if !ok {
			ni = int32(len(m.nsList))
			m.nsIdx[node] = ni
			m.nsList = append(m.nsList, &nsInfo{node: node})
		}
		i := m.st.add(k.Key, ni)
		if k.Type != "" { // known from a TYPE filter
			m.st.setType(i, k.Type)
		}
		m.order = append(m.order, i)
		info := m.nsList[ni]
		info.keys = append(info.keys, i)
	}
	m.dirty = true
}

// coalescedRebuild rebuilds the row lists at most every buildEvery while
// keys stream in, and makes sure a last rebuild follows the last batch.
func (m *Model) coalescedRebuild() tea.Cmd {
	if !m.dirty {
		return nil
	}
	since := time.Since(m.lastBuild)
	if since >= m.buildEvery {
		m.rebuild()
		return nil
	}
	if m.buildSeq != 0 {
		return nil
	}
	seq := nextSeq()
	m.buildSeq = seq
	return tea.Tick(m.buildEvery-since, func(time.Time) tea.Msg { return rebuildMsg{seq: seq} })
}

// rebuild recomputes the rows and puts the cursor back on the item it was
// on. Its cost sets the coalescing interval: ten times the last rebuild,
// so that rebuilding never takes more than a tenth of the time.
func (m *Model) rebuild() {
	start := time.Now()
	m.buildRows()
	m.restoreSelection()
	m.dirty = false
	m.lastBuild = time.Now()
	m.buildEvery = min(max(10*m.lastBuild.Sub(start), minBuildEvery), maxBuildEvery)
}

// loadMore raises the cap and lets the paused scan go on.
func (m *Model) loadMore() tea.Cmd {
	if m.state == scanDone && m.result.Complete {
		return views.Flash(views.FlashInfo, "all "+views.Commas(int64(m.st.len()))+" keys are loaded")
	}
	if m.job == nil || (m.state != scanPaused && m.state != scanRunning) {
		return nil
	}
	m.allow += m.MaxKeys
	m.job.raise(m.allow)
	m.state = scanRunning
	return views.Flash(views.FlashInfo, fmt.Sprintf("loading up to %s keys", views.Commas(int64(m.allow))))
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Up):
		m.moveTo(m.cursor - 1)
	case key.Matches(msg, k.Down):
		m.moveTo(m.cursor + 1)
	case key.Matches(msg, k.PageUp):
		m.moveTo(m.cursor - max(1, m.listHeight()))
	case key.Matches(msg, k.PageDown):
		m.moveTo(m.cursor + max(1, m.listHeight()))
	case key.Matches(msg, k.Home):
		m.moveTo(0)
	case key.Matches(msg, k.End):
		m.moveTo(m.nrows - 1)
	case key.Matches(msg, k.Open):
		return m.open()
	case key.Matches(msg, k.Right):
		m.expand()
	case key.Matches(msg, k.Left):
		m.collapseOrParent()
	case key.Matches(msg, k.Back):
		return m.back()
	case key.Matches(msg, k.ToggleTree):
		m.flat = !m.flat
		m.rebuild()
	case key.Matches(msg, k.Filter):
		return m.openInput(inputFilter)
	case key.Matches(msg, k.ServerFilter):
		return m.openInput(inputMatch)
	case key.Matches(msg, k.TypeFilter):
		m.typ = nextType(m.typ)
		return m.startScan()
	case key.Matches(msg, k.LoadMore):
		return m.loadMore()
	case key.Matches(msg, k.Refresh):
		return m.startScan()
	}
	return nil
}

func nextType(t string) string {
	for i, c := range typeCycle {
		if c == t {
			return typeCycle[(i+1)%len(typeCycle)]
		}
	}
	return ""
}

// open: enter on a key shows it in the inspector and moves focus there; on
// a namespace it expands or collapses it.
func (m *Model) open() tea.Cmd {
	if m.nrows == 0 {
		return nil
	}
	if k, ok := m.Selected(); ok {
		m.selSeq = 0
		m.announced, m.annValid = k, true
		return openKey(k, true)
	}
	if n := m.nsAt(m.cursor); n != nil {
		m.setExpanded(n.Prefix, !m.expanded[n.Prefix])
	}
	return nil
}

func (m *Model) expand() {
	n := m.nsAt(m.cursor)
	if n == nil {
		return
	}
	if !m.expanded[n.Prefix] {
		m.setExpanded(n.Prefix, true)
	} else {
		m.moveTo(m.cursor + 1)
	}
}

// collapseOrParent: left collapses an open namespace, otherwise goes to the
// parent namespace (as file trees do).
func (m *Model) collapseOrParent() {
	if n := m.nsAt(m.cursor); n != nil && m.expanded[n.Prefix] {
		m.setExpanded(n.Prefix, false)
		return
	}
	if r, ok := m.parentRow(m.cursor); ok {
		m.moveTo(r)
	}
}

// back (esc): clear the local filter, else close the namespace the cursor
// is in, else clear the server filters.
func (m *Model) back() tea.Cmd {
	if m.filter.query != "" {
		return m.setFilter("")
	}
	if r, ok := m.parentRow(m.cursor); ok {
		m.moveTo(r)
		if n := m.nsAt(r); n != nil {
			m.setExpanded(n.Prefix, false)
		}
		return nil
	}
	if m.match != "" || m.typ != "" {
		m.match, m.typ = "", ""
		return m.startScan()
	}
	return nil
}

func (m *Model) setExpanded(prefix string, on bool) {
	if on {
		m.expanded[prefix] = true
	} else {
		delete(m.expanded, prefix)
	}
	if !m.flat && m.filter.query == "" {
		m.rebuild()
	}
}

func (m *Model) listHeight() int { return max(0, m.height-1) }

func (m *Model) moveTo(r int) {
	if m.nrows == 0 {
		return
	}
	r = min(max(r, 0), m.nrows-1)
	m.cursor = r
	m.ensureVisible()
	id := m.idAt(r)
	if !id.same(m.sel) {
		m.sel = id
		m.selChanged = true
	}
}

func (m *Model) ensureVisible() {
	h := m.listHeight()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if h > 0 && m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	m.offset = max(0, min(m.offset, m.nrows-h))
}
