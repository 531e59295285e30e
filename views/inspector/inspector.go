// Package inspector is the console's inspector pane: one key's metadata
// (type, a live TTL, encoding, memory, length, and why any of it is
// unavailable), its value decoded (breadcrumb of the layers peeled, pretty
// JSON with colours, raw and hex views, search, wrap) and, for collections,
// a paged table of members, each decoded.
//
// All I/O runs in commands. Every answer carries the sequence number of its
// request, and a new request cancels the one before, so a late answer for a
// key the operator has moved away from is dropped, not shown. Values can be
// 16 MiB once decoded: they are indexed once (off the UI loop when they
// arrive), laid out once per width, and View draws only the visible rows.
package inspector

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/keymap"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
)

// Mode is how the value area shows a value.
type Mode int

// View modes, in the order v cycles through them.
const (
	ModePretty Mode = iota // decoded: pretty JSON with colours, text, or decode's hex dump
	ModeRaw                // the fetched bytes, control bytes escaped
	ModeHex                // a hex dump of the fetched bytes
)

func (m Mode) String() string {
	switch m {
	case ModeRaw:
		return "raw"
	case ModeHex:
		return "hex"
	}
	return "pretty"
}

// Defaults of a new Model.
const (
	DefaultTimeout  = 10 * time.Second      // one inspection, both round trips
	DefaultDebounce = 50 * time.Millisecond // quiet time before loading a key the cursor rests on
	maxCopy         = 1 << 20               // bytes put on the clipboard at most
)

// value is what the value area shows: a string key's value or one member
// of a collection, with its documents built on demand, one per mode.
type value struct {
	res    *decode.Result
	raw    []byte
	hasRaw bool // stream entries keep no raw bytes
	docs   [3]*doc
}

// Model is the inspector pane. It implements views.Pane.
type Model struct {
	c    *views.Common
	keys *keymap.KeyMap
	st   *styles.Styles
	// stOpts are the options st was built with when the painter was made.
	stOpts styles.Options
	paint  *painter

	width, height int
	focused       bool
	shown         bool

	opts     redisops.InspectOptions
	timeout  time.Duration
	debounce time.Duration
	// tick schedules the TTL countdown (tea.Tick; tests replace it).
	tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd

	// The key and the request for it.
	opened   bool // a key was opened (the empty key is a valid key)
	key      string
	seq      uint64
	cancel   context.CancelFunc
	loading  bool // an open or refresh is in flight (or waiting out the debounce)
	moreBusy bool // a next page is in flight
	err      error
	gone     bool
	report   *redisops.KeyReport

	// The TTL counts down from an absolute expiry.
	expiresAt time.Time
	noTTL     bool
	ticking   bool
	tickGen   uint64

	// Collections: one row per report.Items entry.
	rows   []tableRow
	seen   map[string]struct{}
	maxW1  int
	cursor int
	ttop   int // first table row shown
	member int // the member shown in the value area; -1 for the table

	// The value area.
	val  *value
	mode Mode
	wrap bool
	top  int // first row shown
	xoff int // cells scrolled to the right (wrap off)
	lay  *layout
	rc   rowCtx

	// Search.
	searching bool
	input     []rune
	query     string
	matches   []int32 // value search: match offsets in matchDoc
	matchDoc  *doc
	qlen      int
	hits      []int // table search: matching rows
	matchIdx  int

	ed    edits
	watch watchState
}

// New returns an empty inspector; it shows a key once it receives a
// views.OpenKeyMsg.
func New(c *views.Common) *Model {
	keys := c.Keys
	if keys == nil {
		k := keymap.Default()
		keys = &k
	}
	m := &Model{
		c:        c,
		keys:     keys,
		shown:    true,
		timeout:  DefaultTimeout,
		debounce: DefaultDebounce,
		tick:     tea.Tick,
		watch:    watchState{tick: tea.Tick},
		member:   -1,
		wrap:     true,
	}
	m.syncStyles()
	return m
}

// syncStyles picks up new styles: the frame rebuilds them once it learns
// the terminal's background, in place (same pointer, new options).
func (m *Model) syncStyles() {
	st := m.c.Styles
	if st == nil {
		if m.st != nil {
			return
		}
		st = styles.New(styles.Options{Dark: true})
	}
	if st != m.st || st.Opts != m.stOpts {
		m.st, m.stOpts, m.paint = st, st.Opts, newPainter(st)
	}
}

// SetDebounce sets how long a key selected without focus waits before it
// loads (DefaultDebounce; 0 loads at once).
func (m *Model) SetDebounce(d time.Duration) { m.debounce = d }

func (m *Model) now() time.Time {
	if m.c.Now != nil {
		return m.c.Now()
	}
	return time.Now()
}

// Key is the key shown (or being loaded).
func (m *Model) Key() string { return m.key }

// Report is the last inspection of the key (nil while the first is loading,
// for a missing key, or after an error). Loaded pages are appended to it.
func (m *Model) Report() *redisops.KeyReport { return m.report }

// Loading reports whether a request is in flight.
func (m *Model) Loading() bool { return m.loading || m.moreBusy }

// Mode is the value area's view mode.
func (m *Model) Mode() Mode { return m.mode }

// Wrap reports whether long lines wrap (else they are cut).
func (m *Model) Wrap() bool { return m.wrap }

// Err is the error of the last load, nil when it worked (a missing key is
// not an error: see Gone).
func (m *Model) Err() error { return m.err }

// Gone reports that the key does not exist (expired or deleted).
func (m *Model) Gone() bool { return m.gone }

// Member is the index in Report().Items of the member shown in the value
// area, or -1 while the table is shown.
func (m *Model) Member() int { return m.member }

// Cursor is the table's selected row.
func (m *Model) Cursor() int { return m.cursor }

// SearchStatus is the current match (1-based; 0 when none) and the count.
func (m *Model) SearchStatus() (current, total int) {
	n := len(m.matches)
	if m.inTable() {
		n = len(m.hits)
	}
	if n == 0 {
		return 0, 0
	}
	return m.matchIdx + 1, n
}

// Init implements views.Pane.
func (m *Model) Init() tea.Cmd { return nil }

// SetSize implements views.Pane.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(width, 0), max(height, 0)
}

// SetFocused implements views.Pane.
func (m *Model) SetFocused(focused bool) { m.focused = focused }

// SetShown implements views.Shower: the TTL countdown ticks only while the
// pane is shown. It starts shown, so that it works without a frame too.
func (m *Model) SetShown(shown bool) tea.Cmd {
	m.shown = shown
	return tea.Batch(m.ensureTick(), m.ensureWatch())
}

// Capturing implements views.Pane: true while the search box, an edit
// dialog or the TTL input is open.
func (m *Model) Capturing() bool { return m.searching || m.Editing() }

// Update implements views.Pane.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case views.OpenKeyMsg:
		return m.open(msg.Key, msg.Focus)
	case debounceMsg:
		if msg.seq == m.seq && m.loading {
			return m.request(loadOpen, "", 0)
		}
	case loadedMsg:
		return m.loaded(msg)
	case ttlTickMsg:
		return m.onTick(msg)
	case watchTickMsg:
		return m.onWatchTick(msg)
	case watchMsg:
		return m.onWatch(msg)
	case editDoneMsg:
		return m.editDone(msg)
	case views.ConnRestoredMsg:
		// The server may have restarted or been emptied meanwhile.
		return m.refreshShown()
	case views.KeysChangedMsg:
		if msg.All || slices.Contains(msg.Keys, m.key) {
			return m.refreshShown()
		}
	case tea.PasteMsg:
		if m.ed.inputTTL {
			m.insertTTL(msg.Content)
		} else if m.searching {
			m.insert(msg.Content)
		}
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseWheelMsg:
		if m.focused { // the frame gives mouse events to every pane
			m.wheel(msg.Mouse().Button)
		}
	}
	return nil
}

// open shows key. A key chosen with focus (enter) loads at once; one the
// keys pane's cursor merely passes over waits out the debounce, so holding
// j down does not fire one inspection per key.
func (m *Model) open(k string, now bool) tea.Cmd {
	if m.opened && k == m.key && m.err == nil && !m.gone && (m.loading || m.report != nil) {
		return nil
	}
	m.opened, m.key = true, k
	m.clearKey()
	m.mode = ModePretty
	if now || m.debounce <= 0 {
		return m.request(loadOpen, "", 0)
	}
	m.seq++ // drops any answer in flight
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	m.loading, m.moreBusy = true, false
	seq := m.seq
	return tea.Tick(m.debounce, func(time.Time) tea.Msg { return debounceMsg{seq: seq} })
}

// clearKey forgets everything about the previous key.
func (m *Model) clearKey() {
	m.report, m.err, m.gone = nil, nil, false
	m.expiresAt, m.noTTL = time.Time{}, false
	m.rows, m.seen, m.maxW1 = nil, nil, 0
	m.cursor, m.ttop, m.member = 0, 0, -1
	m.val, m.lay = nil, nil
	m.top, m.xoff = 0, 0
	m.searching = false
	m.clearSearch()
}

func (m *Model) loaded(msg loadedMsg) tea.Cmd {
	if msg.seq != m.seq || msg.key != m.key {
		return nil // an answer to a request since superseded
	}
	m.cancel = nil
	if msg.kind == loadMore {
		m.moreBusy = false
		if msg.err != nil {
			return views.Flash(views.FlashError, "load more of "+decode.DisplayKey(m.key)+": "+errText(msg.err))
		}
		m.appendPage(msg)
		return nil
	}
	m.loading = false
	refresh := msg.kind == loadRefresh && m.report != nil && msg.report != nil && m.report.Type == msg.report.Type
	if msg.err != nil {
		if msg.kind == loadRefresh && m.report != nil && !errors.Is(msg.err, redisops.ErrNoSuchKey) {
			// Keep what is shown; a failed refresh is news, not a new state.
			return views.Flash(views.FlashError, "refresh "+decode.DisplayKey(m.key)+": "+errText(msg.err))
		}
		m.clearKey()
		if errors.Is(msg.err, redisops.ErrNoSuchKey) {
			m.gone = true
		} else {
			m.err = msg.err
		}
		return nil
	}
	// A refresh keeps the member shown if it is still in the first page.
	memberID, hadMember := "", false
	if refresh && m.member >= 0 && m.member < len(m.rows) {
		memberID, hadMember = m.rows[m.member].identity(), true
	}
	r := msg.report
	m.err, m.gone = nil, false
	m.report = r
	m.setTTL(msg.start)
	m.rows, m.seen, m.maxW1 = nil, nil, 0
	m.addRows(msg.rows, nil, false)
	m.lay = nil
	m.member = -1
	if hadMember {
		for i := range m.rows {
			if m.rows[i].identity() == memberID {
				m.member = i
				break
			}
		}
	}
	if !refresh {
		m.cursor, m.ttop, m.top, m.xoff = 0, 0, 0, 0
		m.query, m.matches, m.hits, m.matchIdx = "", nil, nil, 0
	}
	m.val = nil
	switch {
	case r.Value != nil:
		m.val = &value{res: r.Value, raw: r.Raw, hasRaw: true}
		m.val.docs[ModePretty] = msg.pretty
		if msg.lay != nil && m.mode == ModePretty {
			m.lay = msg.lay // layout() keeps it only if width and wrap still match
		}
	case m.member >= 0:
		m.val = m.memberValue(m.member)
		m.cursor = m.member
	}
	m.cursor = min(m.cursor, max(len(m.rows)-1, 0))
	if refresh && m.query != "" {
		m.research(false)
	}
	return tea.Batch(m.ensureTick(), m.ensureWatch())
}

// appendPage adds the next page of members, dropping those SCAN returned
// before (it may repeat members across pages).
func (m *Model) appendPage(msg loadedMsg) {
	r := m.report
	nr := msg.report
	if r == nil || nr == nil {
		return
	}
	m.addRows(msg.rows, nr.Items, true)
	r.Cursor = nr.Cursor
	if nr.Length >= 0 {
		r.Length = nr.Length // it may have changed since the first page
	}
	if m.query != "" && m.inTable() {
		m.research(false)
	}
}

// addRows appends rows, and when more is set their items too (the first
// page's items are the report's already): rows[i] always describes
// report.Items[i]. SCAN may return a member again on a later page; hash,
// set and zset rows are de-duplicated by field or member.
func (m *Model) addRows(rows []tableRow, items []redisops.Item, more bool) {
	dedup := false
	switch m.report.Type {
	case "hash", "set", "zset":
		dedup = true
		if m.seen == nil {
			m.seen = make(map[string]struct{}, len(rows))
		}
	}
	for i := range rows {
		if dedup {
			if _, dup := m.seen[rows[i].id]; dup && more {
				continue
			}
			m.seen[rows[i].id] = struct{}{}
		}
		if more {
			m.report.Items = append(m.report.Items, items[i])
		}
		m.rows = append(m.rows, rows[i])
		m.maxW1 = max(m.maxW1, rows[i].w1)
	}
}

func (m *Model) setTTL(start time.Time) {
	r := m.report
	m.expiresAt, m.noTTL = time.Time{}, false
	if _, refused := r.Unavailable["ttl"]; refused {
		return
	}
	if r.TTL < 0 {
		m.noTTL = true
		return
	}
	m.expiresAt = start.Add(time.Duration(r.TTL) * time.Millisecond)
}

// ensureTick starts the one-second TTL countdown unless it runs already
// or there is nothing to count.
func (m *Model) ensureTick() tea.Cmd {
	if m.ticking || !m.shown || m.expiresAt.IsZero() || m.tick == nil {
		return nil
	}
	m.ticking = true
	m.tickGen++
	gen := m.tickGen
	return m.tick(time.Second, func(time.Time) tea.Msg { return ttlTickMsg{gen: gen} })
}

func (m *Model) onTick(msg ttlTickMsg) tea.Cmd {
	if msg.gen != m.tickGen {
		return nil
	}
	m.ticking = false
	if !m.shown || m.expiresAt.IsZero() {
		return nil // stopped; the next key with a TTL, or SetShown(true), restarts it
	}
	if !m.now().Before(m.expiresAt) {
		// The countdown ran out: ask the server, which says whether the
		// key is gone (or was given a new TTL meanwhile).
		return m.refreshShown()
	}
	return m.ensureTick()
}

// refreshShown reloads the key shown, keeping the view while it loads; a
// key that no longer exists then says so. An edit's own reload is enough.
func (m *Model) refreshShown() tea.Cmd {
	if !m.opened || m.c.Client == nil || m.loading {
		return nil
	}
	if m.report == nil && !m.gone && m.err == nil {
		return nil
	}
	return m.request(loadRefresh, "", 0)
}

// isCollection: the value is shown as a table of members.
func isCollection(typ string) bool {
	switch typ {
	case "hash", "list", "set", "zset", "stream":
		return true
	}
	return false
}

func (m *Model) inTable() bool {
	return m.report != nil && isCollection(m.report.Type) && m.member < 0
}

// memberValue is the value of member i, for the value area.
func (m *Model) memberValue(i int) *value {
	it := &m.report.Items[i]
	if m.report.Type == "stream" {
		return &value{res: streamResult(it)}
	}
	return &value{res: &it.Value, raw: it.Raw, hasRaw: true}
}

// streamResult shows a stream entry's fields, each decoded, as one text.
func streamResult(it *redisops.Item) *decode.Result {
	res := &decode.Result{Format: decode.FormatText, Layers: []string{}}
	var b strings.Builder
	for _, f := range it.Entry {
		name := decode.DisplayKey(f.Name)
		t := strings.TrimSuffix(f.Value.Text, "\n")
		if len(f.Value.Layers) == 0 && !strings.Contains(t, "\n") {
			b.WriteString(name + ": " + t + "\n")
		} else {
			b.WriteString(name + ": [" + strings.Join(append(append([]string{}, f.Value.Layers...), formatName(f.Value.Format)), " -> ") + "]\n")
			for _, line := range strings.Split(t, "\n") {
				b.WriteString("  " + line + "\n")
			}
		}
		for _, w := range f.Value.Warnings {
			res.Warnings = append(res.Warnings, name+": "+w)
		}
		res.Damaged = res.Damaged || f.Value.Damaged
		res.Truncated = res.Truncated || f.Value.Truncated
	}
	if len(it.Entry) == 0 {
		b.WriteString("(no fields)")
	}
	res.Text = b.String()
	return res
}

// doc is the current value's document in the current mode.
func (m *Model) doc() *doc {
	v := m.val
	if v == nil {
		return nil
	}
	switch m.mode {
	case ModeRaw:
		if v.docs[ModeRaw] == nil {
			if v.hasRaw {
				v.docs[ModeRaw] = rawDoc(v.raw)
			} else {
				v.docs[ModeRaw] = newDoc("(raw bytes are not fetched for stream entries: see the pretty view)", kindText, nil)
			}
		}
	case ModeHex:
		bpl := hexBytesPerLine(m.width)
		if d := v.docs[ModeHex]; d == nil || (v.hasRaw && d.bpl != bpl) {
			if v.hasRaw {
				v.docs[ModeHex] = hexDoc(v.raw, bpl)
			} else {
				v.docs[ModeHex] = newDoc("(raw bytes are not fetched for stream entries: see the pretty view)", kindText, nil)
			}
		}
	default:
		if v.docs[ModePretty] == nil {
			v.docs[ModePretty] = prettyDoc(v.res.Text, isJSONFormat(v.res.Format))
		}
	}
	return v.docs[m.mode]
}

// layout is the current document cut into rows for the current width.
func (m *Model) layout() *layout {
	d := m.doc()
	if d == nil {
		return nil
	}
	if m.lay == nil || m.lay.d != d || m.lay.width != m.width || m.lay.wrap != m.wrap {
		m.lay = newLayout(d, m.width, m.wrap)
	}
	return m.lay
}

// bodyHeight is the number of rows under the header, above the status line.
func (m *Model) bodyHeight() int {
	return max(m.height-len(m.header())-1, 0)
}

// ShortHelp implements views.Pane.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	if m.Editing() {
		return m.editHelp()
	}
	if m.inTable() {
		h := []key.Binding{k.Open, k.Search}
		if m.report.Cursor != "" {
			h = append(h, k.MorePage)
		}
		return append(h, k.CopyKey, k.Refresh)
	}
	h := []key.Binding{k.ViewMode, k.Wrap, k.Search}
	if m.query != "" {
		h = append(h, k.NextMatch)
	}
	if m.member >= 0 {
		h = append(h, k.Back)
	}
	return append(h, k.CopyValue, k.Refresh)
}

// FullHelp implements views.Pane. The key edits are listed here (the ?
// screen), not in the footer, which they would crowd out; in a read-only
// session they are absent.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, m.hscrollLeft(), m.hscrollRight()},
		{k.ViewMode, k.Wrap, k.Search, k.NextMatch, k.PrevMatch},
		append([]key.Binding{k.Open, k.Back, k.MorePage, k.CopyKey, k.CopyValue, k.Refresh}, m.editBindings()...),
	}
}

// The keymap's Left/Right say "collapse"/"expand"; here they scroll.
func (m *Model) hscrollLeft() key.Binding {
	return key.NewBinding(key.WithKeys(m.keys.Left.Keys()...), key.WithHelp(m.keys.Left.Help().Key, "scroll left (wrap off)"))
}

func (m *Model) hscrollRight() key.Binding {
	return key.NewBinding(key.WithKeys(m.keys.Right.Keys()...), key.WithHelp(m.keys.Right.Help().Key, "scroll right (wrap off)"))
}
