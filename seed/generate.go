package seed

import (
	"bytes"
	"iter"
	"math/rand/v2"
	"slices"
	"time"
	"unicode/utf8"
)

// Kind is the Redis type of an entry.
type Kind uint8

const (
	KindString Kind = iota
	KindHash
	KindList
	KindSet
	KindZSet
	KindStream
)

func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindHash:
		return "hash"
	case KindList:
		return "list"
	case KindSet:
		return "set"
	case KindZSet:
		return "zset"
	case KindStream:
		return "stream"
	}
	return "unknown"
}

// StreamEntry is one XADD: an explicit ID (so the stream is reproducible) and field/value pairs.
type StreamEntry struct {
	ID     string
	Values []string
}

// Entry is one key of the dataset and everything needed to write it.
type Entry struct {
	Key       string
	Namespace string // the key-schema pattern, e.g. "lead:<id>:enrichment"; see Namespaces
	Kind      Kind

	// KindString only.
	Value   []byte // the exact bytes stored
	Plain   []byte // the payload before framing/compression (JSON, text or msgpack); == Value when unframed
	Codec   Codec
	Damaged bool // CodecLZ only: a lone surrogate was replaced by EF BF BD, the app cannot read it

	// Hash: field, value, field, value…; List: elements, head first (RPUSH order); Set and ZSet:
	// members.
	Items  []string
	Scores []float64 // ZSet: score of Items[i]
	Stream []StreamEntry

	TTL time.Duration // 0: no expiry
}

// commands is the number of Redis commands Seed sends for the entry.
func (e *Entry) commands() int {
	if e.Kind == KindString {
		return 1
	}
	n := 2 // DEL (so Force cannot trip over an old key of another type) + the write
	if e.Kind == KindStream {
		n = 1 + len(e.Stream)
	}
	if e.TTL > 0 {
		n++
	}
	return n
}

func (e Entry) clone() Entry {
	e.Value = bytes.Clone(e.Value)
	if e.Plain != nil {
		e.Plain = bytes.Clone(e.Plain)
	}
	e.Items = slices.Clone(e.Items)
	e.Scores = slices.Clone(e.Scores)
	if e.Stream != nil {
		s := make([]StreamEntry, len(e.Stream))
		for i, se := range e.Stream {
			s[i] = StreamEntry{ID: se.ID, Values: slices.Clone(se.Values)}
		}
		e.Stream = s
	}
	return e
}

const (
	DefaultKeys = 100_000
	DefaultSeed = 1
)

// normalize applies the defaults. Keys below MinKeys is raised to MinKeys: the fixed keys are
// always written.
func (o Options) normalize() Options {
	if o.Keys <= 0 {
		o.Keys = DefaultKeys
	}
	if o.Keys < MinKeys() {
		o.Keys = MinKeys()
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	return o
}

// Generate yields the dataset Seed writes, in the same order, without touching Redis. The same
// Keys and Seed always give the same entries, byte for byte. The first MinKeys() entries are the
// fixed keys (the same for every seed); the rest are the generated bulk.
//
// Entries are fresh copies: the caller may keep or modify them.
func Generate(opts Options) iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		p := newPlan(opts.normalize())
		w := newWorker(p)
		for i := range p.n {
			if !yield(w.entry(i)) {
				return
			}
		}
	}
}

// plan fixes which namespace and ordinal every index gets. The bulk follows a shuffled cycle of
// namespace slots (weights per 1000 keys), so the namespace and per-namespace ordinal of index i
// are computed in O(1) without generating the keys before it: workers can build any range in
// parallel and the result does not depend on how the work was split.
type plan struct {
	n, nFixed, nBulk int
	seed             int64
	ids              ids
	cycle            []uint8 // namespace index per slot
	rank             []int32 // ordinal of the slot within its namespace inside one cycle
	perCycle         []int   // slots per cycle, by namespace index
	count            []int   // bulk keys, by namespace index
	// universes the cross-references draw from
	workspaces, campaigns int
}

func newPlan(o Options) *plan {
	p := &plan{n: o.Keys, nFixed: len(fixedEntries()), seed: o.Seed, ids: ids{seed: uint64(o.Seed)}}
	p.nBulk = p.n - p.nFixed
	p.perCycle = make([]int, len(namespaces))
	for i, ns := range namespaces {
		for range ns.weight {
			p.cycle = append(p.cycle, uint8(i))
		}
		p.perCycle[i] = ns.weight
	}
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed))
	r.Shuffle(len(p.cycle), func(i, j int) { p.cycle[i], p.cycle[j] = p.cycle[j], p.cycle[i] })
	p.rank = make([]int32, len(p.cycle))
	seen := make([]int32, len(namespaces))
	p.count = make([]int, len(namespaces))
	full, part := p.nBulk/len(p.cycle), p.nBulk%len(p.cycle)
	for s, ns := range p.cycle {
		p.rank[s] = seen[ns]
		seen[ns]++
		if s < part {
			p.count[ns]++
		}
	}
	for i := range namespaces {
		p.count[i] += full * p.perCycle[i]
	}
	p.workspaces = max(1, p.count[nsIndex(patWorkspace)])
	p.campaigns = max(1, p.count[nsIndex(patCampaign)])
	return p
}

// locate maps a bulk index to its namespace and ordinal within that namespace.
func (p *plan) locate(j int) (ns, ord int) {
	c, s := j/len(p.cycle), j%len(p.cycle)
	ns = int(p.cycle[s])
	return ns, c*p.perCycle[ns] + int(p.rank[s])
}

// worker builds entries; one per goroutine.
type worker struct {
	p   *plan
	pcg rand.PCG
	r   *rand.Rand
	j   jw     // the value being built
	key []byte // the key being built
	tmp []byte // scratch for ids
	id1 []byte // ids handed to body builders (which use tmp themselves)
	id2 []byte
	out []byte // scratch for framed values
	enc encoders

	// forSeed: Seed's worker. Values live in arena until the batch is written (then the arena is
	// reused), Plain is left nil for framed values and fixed entries are not copied. Allocation
	// was a tenth of the seeding time.
	forSeed bool
	arena   []byte
}

// arenaChunk holds a batch of typical values.
const arenaChunk = 1 << 20

// own returns a copy of b that stays valid until the worker's arena is reset (Seed) or for good
// (Generate).
func (w *worker) own(b []byte) []byte {
	if !w.forSeed {
		return bytes.Clone(b)
	}
	if len(w.arena)+len(b) > cap(w.arena) {
		// The old chunk stays referenced by the values already handed out.
		w.arena = make([]byte, 0, max(arenaChunk, len(b)))
	}
	start := len(w.arena)
	w.arena = append(w.arena, b...)
	return w.arena[start:len(w.arena):len(w.arena)]
}

// resetArena is called once the values handed out so far are no longer needed.
func (w *worker) resetArena() { w.arena = w.arena[:0] }

func newWorker(p *plan) *worker {
	w := &worker{p: p}
	w.r = rand.New(&w.pcg)
	return w
}

func (w *worker) entry(i int) Entry {
	if i < w.p.nFixed {
		if w.forSeed {
			return fixedEntries()[i] // only read
		}
		return fixedEntries()[i].clone()
	}
	return w.bulk(i - w.p.nFixed)
}

func (w *worker) bulk(j int) Entry {
	nsi, ord := w.p.locate(j)
	ns := &namespaces[nsi]
	w.pcg.Seed(uint64(w.p.seed), uint64(j))
	w.key = w.key[:0]
	w.j.reset()
	e := Entry{Namespace: ns.Pattern}
	ns.build(w, ord, &e)
	e.Key = string(w.key)
	if e.Kind == KindString && e.Value == nil {
		w.frame(ns, &e)
	}
	e.TTL = w.ttl(ns)
	return e
}

// frame stores the JSON in w.j the way the namespace's writer does.
func (w *worker) frame(ns *nsSpec, e *Entry) {
	json := w.j.b
	big := len(json) > frameThreshold && jsLen(json) > frameThreshold // jsLen <= len
	switch {
	case big && ns.Writer == WriterCacheService && w.r.Float64() < ns.compress:
		if !w.forSeed {
			e.Plain = bytes.Clone(json)
		}
		w.out = w.enc.appendCompressed(w.out[:0], json)
		e.Value = w.own(w.out)
		e.Codec = CodecCompressed
	case big && ns.Writer == WriterRedisManager:
		if !w.forSeed {
			e.Plain = bytes.Clone(json)
		}
		e.Value, e.Damaged = lzFramed(json)
		e.Codec = CodecLZ
	default:
		e.Value = w.own(json)
		e.Plain = e.Value
		if e.Codec == "" {
			e.Codec = CodecJSON
		}
	}
}

// jsLen is the length of the UTF-8 text as a JavaScript string (UTF-16 code units), which is what
// the app compares with 1024.
func jsLen(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}

// TTLJitter is the relative spread applied to the strategy-table TTLs of bulk keys: a key's TTL
// is within ±TTLJitter of its namespace's TTL, rounded to whole seconds.
const TTLJitter = 0.10

func (w *worker) ttl(ns *nsSpec) time.Duration {
	if ns.TTL == 0 || (ns.noTTL > 0 && w.r.Float64() < ns.noTTL) {
		return 0
	}
	f := 1 + TTLJitter*(2*w.r.Float64()-1)
	return max(time.Second, time.Duration(float64(ns.TTL)*f).Truncate(time.Second))
}

// Random helpers. Every draw comes from the per-key PCG, so a key's content depends only on
// (seed, index).

func (w *worker) intn(n int) int         { return w.r.IntN(n) }
func (w *worker) between(lo, hi int) int { return lo + w.r.IntN(hi-lo+1) }
func (w *worker) chance(p float64) bool  { return w.r.Float64() < p }
func (w *worker) pick(list []string) string {
	return list[w.r.IntN(len(list))]
}

// ago is a moment up to d before the dataset's epoch, with millisecond precision.
func (w *worker) ago(d time.Duration) time.Time {
	return epoch.Add(-time.Duration(w.r.Int64N(int64(d/time.Millisecond))) * time.Millisecond)
}

func (w *worker) kago(k string, d time.Duration) {
	w.j.key(k)
	w.j.sep()
	w.j.b = append(w.j.b, '"')
	w.j.b = appendISO(w.j.b, w.ago(d))
	w.j.b = append(w.j.b, '"')
}

// kraw writes "k":"v" for v known to need no escaping (ids, dates).
func (w *worker) kraw(k string, v []byte) {
	w.j.key(k)
	w.j.sep()
	w.j.b = append(w.j.b, '"')
	w.j.b = append(w.j.b, v...)
	w.j.b = append(w.j.b, '"')
}

func (w *worker) rawStr(v []byte) {
	w.j.sep()
	w.j.b = append(w.j.b, '"')
	w.j.b = append(w.j.b, v...)
	w.j.b = append(w.j.b, '"')
}

func (w *worker) company() string { return w.pick(companyA) + " " + w.pick(companyB) }

// appendSlug appends the lower-case ASCII letters and digits of s, turning spaces into sep.
func appendSlug(dst []byte, s string, sep byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			dst = append(dst, c)
		case c == ' ' && sep != 0:
			dst = append(dst, sep)
		}
	}
	return dst
}

func (w *worker) appendDomain(dst []byte, company string) []byte {
	dst = appendSlug(dst, company, 0)
	return append(dst, tlds[int(uint(len(company)))%len(tlds)]...)
}

func (w *worker) appendEmail(dst []byte, first, last, company string) []byte {
	dst = appendSlug(dst, first, 0)
	dst = append(dst, '.')
	dst = appendSlug(dst, last, 0)
	dst = append(dst, '@')
	return w.appendDomain(dst, company)
}
