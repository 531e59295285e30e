package redisops

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// MemoryOptions shape a memory breakdown. Zero fields take the defaults.
type MemoryOptions struct {
	// Depth is how many delimiter-separated segments make a namespace
	// (default 1: "lead:"). Keys with fewer delimiters count under their
	// deepest prefix; keys without any under "".
	Depth     int
	Delimiter string // default ":"
	// Exact runs MEMORY USAGE on every key. Otherwise a Sample fraction of
	// the keys is measured (default 0.01) and bytes are estimated.
	Exact  bool
	Sample float64
	// Top is how many of the biggest keys are kept, by bytes and by element
	// count (default 20).
	Top int
	// Samples is MEMORY USAGE's SAMPLES argument: nested values looked at
	// per collection. 0 means the server's default (5); MemorySamplesAll
	// (any negative number) looks at every element (SAMPLES 0), which is
	// exact but costs a full walk of each collection.
	Samples int
	// Governor, when set, paces the walk: WaitNode before each SCAN call.
	Governor *Governor
	// Progress is called from MemoryBreakdown's goroutine at most every
	// 100 ms.
	Progress func(MemoryProgress)

	// MaxNamespaces caps the prefixes kept (default 10 000); keys of
	// further prefixes are counted in one "(other)" bucket.
	MaxNamespaces int
	// SampleTTL, in sampled mode, estimates NoTTL from the measured keys
	// instead of running PTTL on every key: about half the server work, but
	// NoTTL becomes an estimate too. Ignored in exact mode.
	SampleTTL bool
	// Count is the SCAN COUNT hint (default DefaultScanCount).
	Count int64
	// SizeQuantum is for MemoryFromBackup: the jemalloc quantum of the
	// server the sizes are emulated for (see rdb.SizeModel): 8 (default)
	// for Redis's and Valkey's own builds, 16 for Debian's redis-server.
	SizeQuantum int
}

// Memory breakdown defaults.
const (
	DefaultMemoryDepth      = 1
	DefaultMemorySample     = 0.01
	DefaultMemoryTop        = 20
	DefaultMemorySamples    = 5
	DefaultMemoryNamespaces = 10_000
	// MemorySamplesAll as MemoryOptions.Samples sends SAMPLES 0.
	MemorySamplesAll = -1
	// OtherNamespace is the Prefix of the bucket holding the keys of
	// prefixes past MaxNamespaces. It has no trailing delimiter, so no real
	// prefix equals it.
	OtherNamespace = "(other)"
	// memMinPerNamespace: in sampled mode the first few keys met in each
	// namespace are measured whatever their hash, so that small namespaces
	// get an estimate at all.
	memMinPerNamespace = 3
	// memMeasurers is the number of pipelines in flight per node, each
	// overlapping the next SCAN call and the other's round trip.
	memMeasurers     = 2
	memProgressEvery = 100 * time.Millisecond
)

// MemoryProgress is how far a breakdown has got.
type MemoryProgress struct {
	Scanned  int64 // distinct keys counted
	Measured int64 // keys measured with MEMORY USAGE
	Total    int64 // DBSIZE (summed over masters) when the breakdown started
	Elapsed  time.Duration
}

// NamespaceUsage is the memory of one prefix. Keys is exact in both modes;
// in sampled mode Bytes, AvgBytes and Types are estimates from the
// Measured keys, and NoTTL too when MemoryOptions.SampleTTL is set.
type NamespaceUsage struct {
	Prefix   string // e.g. "lead:"; "" for keys without delimiter; OtherNamespace for the overflow
	Keys     int64
	Bytes    int64
	NoTTL    int64            // keys without expiry
	Types    map[string]int64 // keys per type (string, hash, list, set, zset, stream)
	AvgBytes int64
	Share    float64 // of the report's TotalBytes, 0..1
	Measured int64   // keys of this namespace measured with MEMORY USAGE
	Other    bool    // the OtherNamespace bucket
}

// KeyUsage is one key of a top list. Length is the element count of a
// collection (HLEN, LLEN, SCARD, ZCARD, XLEN) and the byte length of a
// string (STRLEN); -1 when unknown.
type KeyUsage struct {
	Key, Type string
	Bytes     int64
	Length    int64
}

// MemoryReport is the result of a breakdown, complete or, when the context
// was cancelled, partial (Cancelled).
type MemoryReport struct {
	Exact        bool
	Sample       float64          // fraction measured by hash (1 when Exact)
	ScannedKeys  int64            // distinct keys counted
	MeasuredKeys int64            // keys measured with MEMORY USAGE
	TotalKeys    int64            // DBSIZE when the breakdown started
	TotalBytes   int64            // sum of Namespaces' Bytes (an estimate unless Exact)
	Namespaces   []NamespaceUsage // by Bytes, largest first
	// TopByBytes and TopByLength cover the measured keys (every key when
	// Exact). TopByLength lists collections only.
	TopByBytes, TopByLength []KeyUsage
	Duration                time.Duration
	Cancelled               bool

	Depth         int
	Delimiter     string
	NoTTLEstimate bool  // NoTTL counts are estimates (SampleTTL)
	Vanished      int64 // keys that disappeared between SCAN and measuring
	Notes         []string
}

func (o MemoryOptions) normalize() (MemoryOptions, error) {
	if o.Depth <= 0 {
		o.Depth = DefaultMemoryDepth
	}
	if o.Delimiter == "" {
		o.Delimiter = DefaultDelimiter
	}
	if !o.Exact {
		if o.Sample == 0 {
			o.Sample = DefaultMemorySample
		}
		if o.Sample < 0 || o.Sample > 1 || math.IsNaN(o.Sample) {
			return o, fmt.Errorf("memory breakdown: sample fraction %g is not between 0 and 1", o.Sample)
		}
		if o.Sample == 1 {
			o.Exact = true
		}
	}
	if o.Exact {
		o.Sample = 1
		o.SampleTTL = false
	}
	if o.Top <= 0 {
		o.Top = DefaultMemoryTop
	}
	if o.MaxNamespaces <= 0 {
		o.MaxNamespaces = DefaultMemoryNamespaces
	}
	if o.Count <= 0 {
		o.Count = DefaultScanCount
	}
	return o, nil
}

// memKey is one scanned key on its way through a node's pipeline.
type memKey struct {
	key, prefix string
	typ         string
	bytes       int64
	ttl         int64 // ms, -1 no TTL; only when ttlKnown
	length      int64 // collections; -1 unknown
	measured    bool
	ttlKnown    bool
	vanished    bool
}

type memBatch struct{ keys []memKey }

// MemoryBreakdown walks every master (concurrently) with SCAN COUNT 1000
// and measures each batch in one pipeline of MEMORY USAGE, TYPE and PTTL
// (PTTL alone for the keys a sample leaves out), plus a second small one
// for the length of the collections. Ungoverned, two pipelines overlap
// the next SCAN call; with a Governor, each batch is done before the next
// pause. It aggregates per namespace and keeps the biggest keys. Memory use is bounded: a few batches in flight,
// the duplicate filter (16 bytes a key), at most MaxNamespaces prefixes
// and the top lists.
//
// Cancelling ctx stops the walk: the report so far comes back with
// Cancelled set and a nil error. A failure (MEMORY USAGE refused, a lost
// connection) returns the report so far with the error.
func (c *Client) MemoryBreakdown(ctx context.Context, o MemoryOptions) (*MemoryReport, error) {
	o, err := o.normalize()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	total := c.memDBSize(ctx)

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}

	sampler := newMemSampler(o)
	out := make(chan *memBatch, 4)
	var complete atomic.Bool
	go func() {
		defer close(out)
		err := c.ForEachNode(wctx, func(ctx context.Context, node *redis.Client) error {
			return memNode(ctx, node, o, sampler, out, fail)
		})
		switch {
		case err == nil && wctx.Err() == nil:
			complete.Store(true)
		case err != nil && wctx.Err() == nil:
			fail(err)
		}
	}()

	agg := newMemAgg(o, total)
	defer agg.seen.release()
	lastProgress := start
	for b := range out {
		if wctx.Err() != nil {
			continue // drain so the producers finish
		}
		agg.add(b)
		if o.Progress != nil && time.Since(lastProgress) >= memProgressEvery {
			lastProgress = time.Now()
			o.Progress(MemoryProgress{Scanned: agg.scanned, Measured: agg.measured, Total: total, Elapsed: time.Since(start)})
		}
	}

	r := agg.report()
	r.TotalKeys = total
	r.Cancelled = !complete.Load() && firstErr == nil
	if complete.Load() {
		c.memTopLengths(ctx, r)
	}
	r.Duration = time.Since(start)
	if firstErr != nil {
		return r, firstErr
	}
	return r, nil
}

// memDBSize sums DBSIZE over the masters; -1 when unknown.
func (c *Client) memDBSize(ctx context.Context) int64 {
	var total atomic.Int64
	err := c.ForEachNode(ctx, func(ctx context.Context, node *redis.Client) error {
		n, err := node.DBSize(ctx).Result()
		total.Add(n)
		return err
	})
	if err != nil {
		return -1
	}
	return total.Load()
}

// memNode walks one node. Ungoverned, SCAN runs in this goroutine and
// memMeasurers others measure, so the server always has our next request
// queued. Governed, each batch is scanned and measured before the
// governor's pause, so that the pause is idle time on the server.
func memNode(ctx context.Context, node *redis.Client, o MemoryOptions, s *memSampler, out chan<- *memBatch, fail func(error)) error {
	send := func(b *memBatch) error {
		select {
		case out <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if o.Governor != nil {
		return memWalk(ctx, node, o, func(b *memBatch) error {
			if err := measureBatch(ctx, node, o, s, b); err != nil {
				return err
			}
			return send(b)
		})
	}
	raw := make(chan *memBatch, memMeasurers)
	var wg sync.WaitGroup
	for range memMeasurers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			failed := false
			for b := range raw {
				if failed {
					continue // drain so the walker never blocks
				}
				if err := measureBatch(ctx, node, o, s, b); err != nil {
					failed = true
					if ctx.Err() == nil {
						fail(err)
					}
					continue
				}
				if send(b) != nil {
					failed = true
				}
			}
		}()
	}
	err := memWalk(ctx, node, o, func(b *memBatch) error {
		select {
		case raw <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(raw)
	wg.Wait()
	return err
}

// memWalk SCANs one node to the end, handing each batch to handle; with a
// governor it waits before each SCAN call.
func memWalk(ctx context.Context, node *redis.Client, o MemoryOptions, handle func(*memBatch) error) error {
	addr := node.Options().Addr
	var cursor uint64
	for {
		if o.Governor != nil {
			if err := o.Governor.WaitNode(ctx, addr); err != nil {
				return err
			}
		}
		keys, next, err := node.Scan(ctx, cursor, "", o.Count).Result()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("memory breakdown: scan %s: %w", addr, explainCommandErr(err, "SCAN"))
		}
		if len(keys) > 0 {
			b := &memBatch{keys: make([]memKey, len(keys))}
			for i, k := range keys {
				b.keys[i] = memKey{key: k, length: -1}
			}
			if err := handle(b); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// measureBatch fills a batch in one pipeline (MEMORY USAGE, TYPE and PTTL
// per measured key; PTTL alone for the others unless SampleTTL), then one
// more for the lengths of the collections among them.
func measureBatch(ctx context.Context, node *redis.Client, o MemoryOptions, s *memSampler, b *memBatch) error {
	var samples []int
	switch {
	case o.Samples < 0:
		samples = []int{0}
	case o.Samples > 0 && o.Samples != DefaultMemorySamples:
		samples = []int{o.Samples}
	}
	n := len(b.keys)
	mem := make([]*redis.IntCmd, n)
	typ := make([]*redis.StatusCmd, n)
	ttl := make([]*redis.DurationCmd, n)
	s.choose(b)
	// The client's work per key is most of what it adds to the server's:
	// go-redis's command helpers allocate a command, an argument slice and
	// a boxed key per command, nine allocations a key. Here the commands,
	// their arguments and the boxed keys of a batch share a few slabs.
	cmds := newMemCmdSlab(n)
	pipe := node.Pipeline()
	for i := range b.keys {
		k := &b.keys[i]
		key := any(k.key) // boxed once for the key's three commands
		if k.measured {
			mem[i] = cmds.memoryUsage(ctx, key, samples)
			typ[i] = cmds.typ(ctx, key)
			_ = pipe.Process(ctx, mem[i])
			_ = pipe.Process(ctx, typ[i])
		}
		if k.measured || !o.SampleTTL {
			ttl[i] = cmds.pttl(ctx, key)
			_ = pipe.Process(ctx, ttl[i])
		}
	}
	_, _ = pipe.Exec(ctx) // every command's error is looked at below
	if err := ctx.Err(); err != nil {
		return err
	}
	lengths := 0
	for i := range b.keys {
		k := &b.keys[i]
		if ttl[i] != nil {
			if err := ttl[i].Err(); memMoved(err) {
				k.vanished = true
				continue
			} else if err != nil {
				return memCmdErr(node, err, "PTTL")
			}
			k.ttl, k.ttlKnown = ttlMillis(ttl[i].Val()), true
			if k.ttl == -2 {
				k.vanished = true
			}
		}
		if mem[i] == nil {
			continue
		}
		if err := mem[i].Err(); err != nil {
			if errors.Is(err, redis.Nil) || memMoved(err) {
				k.vanished = true
				continue
			}
			return memCmdErr(node, err, "MEMORY USAGE")
		}
		if err := typ[i].Err(); memMoved(err) {
			k.vanished = true
			continue
		} else if err != nil {
			return memCmdErr(node, err, "TYPE")
		}
		k.bytes = mem[i].Val()
		k.typ = internType(typ[i].Val())
		if k.typ == "none" {
			k.vanished = true
		}
		if !k.vanished && k.typ != "string" && lengthCommand(k.typ) != "" {
			lengths++
		}
	}
	if lengths == 0 {
		return nil
	}
	pipe = node.Pipeline()
	lens := make([]*redis.IntCmd, n)
	for i := range b.keys {
		k := &b.keys[i]
		if !k.measured || k.vanished || k.typ == "string" {
			continue
		}
		switch k.typ {
		case "hash":
			lens[i] = pipe.HLen(ctx, k.key)
		case "list":
			lens[i] = pipe.LLen(ctx, k.key)
		case "set":
			lens[i] = pipe.SCard(ctx, k.key)
		case "zset":
			lens[i] = pipe.ZCard(ctx, k.key)
		case "stream":
			lens[i] = pipe.XLen(ctx, k.key)
		}
	}
	_, _ = pipe.Exec(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, l := range lens {
		if l == nil {
			continue
		}
		if err := l.Err(); err != nil {
			var rerr redis.Error
			if errors.As(err, &rerr) {
				continue // refused or the key changed type: length unknown
			}
			return memCmdErr(node, err, lengthCommand(b.keys[i].typ))
		}
		b.keys[i].length = l.Val()
	}
	return nil
}

// memCmdSlab hands out the commands of one measured batch from shared
// arrays: one allocation per kind of command and one for all arguments,
// instead of three per command. The commands are go-redis's own, so
// replies, errors and timeouts are handled exactly as by the helpers.
type memCmdSlab struct {
	mems    []redis.IntCmd
	types   []redis.StatusCmd
	ttls    []redis.DurationCmd
	args    []any
	samples any // SAMPLES n, when given
}

func newMemCmdSlab(keys int) *memCmdSlab {
	return &memCmdSlab{
		mems:  make([]redis.IntCmd, 0, keys),
		types: make([]redis.StatusCmd, 0, keys),
		ttls:  make([]redis.DurationCmd, 0, keys),
		args:  make([]any, 0, 9*keys), // MEMORY USAGE k SAMPLES n, TYPE k, PTTL k
	}
}

// argv carves the arguments of one command out of the shared slice.
func (s *memCmdSlab) argv(args ...any) []any {
	start := len(s.args)
	s.args = append(s.args, args...)
	return s.args[start:len(s.args):len(s.args)]
}

// memoryUsage is MEMORY USAGE key [SAMPLES n], as go-redis's MemoryUsage.
func (s *memCmdSlab) memoryUsage(ctx context.Context, key any, samples []int) *redis.IntCmd {
	var args []any
	if len(samples) > 0 {
		if s.samples == nil {
			s.samples = samples[0] // boxed once a batch
		}
		args = s.argv("memory", "usage", key, "SAMPLES", s.samples)
	} else {
		args = s.argv("memory", "usage", key)
	}
	s.mems = append(s.mems, *redis.NewIntCmd(ctx, args...))
	cmd := &s.mems[len(s.mems)-1]
	cmd.SetFirstKeyPos(2)
	return cmd
}

func (s *memCmdSlab) typ(ctx context.Context, key any) *redis.StatusCmd {
	s.types = append(s.types, *redis.NewStatusCmd(ctx, s.argv("type", key)...))
	return &s.types[len(s.types)-1]
}

// pttl is PTTL key, as go-redis's PTTL (a DurationCmd in milliseconds).
func (s *memCmdSlab) pttl(ctx context.Context, key any) *redis.DurationCmd {
	s.ttls = append(s.ttls, *redis.NewDurationCmd(ctx, time.Millisecond, s.argv("pttl", key)...))
	return &s.ttls[len(s.ttls)-1]
}

// memMoved: the key's slot moved to another master between SCAN and the
// pipeline (a resharding); that master's walk counts it.
func memMoved(err error) bool {
	return err != nil && (redis.HasErrorPrefix(err, "MOVED") || redis.HasErrorPrefix(err, "ASK"))
}

// memCmdErr explains a failed command of the breakdown in one line.
func memCmdErr(node *redis.Client, err error, command string) error {
	if why := Refusal(err); why != "" {
		return fmt.Errorf("memory breakdown: %s %s (the breakdown cannot work without it)", command, why)
	}
	return fmt.Errorf("memory breakdown: %s on %s: %w", command, node.Options().Addr, err)
}

func lengthCommand(typ string) string {
	switch typ {
	case "hash":
		return "HLEN"
	case "list":
		return "LLEN"
	case "set":
		return "SCARD"
	case "zset":
		return "ZCARD"
	case "stream":
		return "XLEN"
	case "string":
		return "STRLEN"
	}
	return ""
}

// internType returns a constant for the usual TYPE replies, so a report
// holds no reference to a reply buffer.
func internType(t string) string {
	for _, known := range [...]string{"string", "hash", "list", "set", "zset", "stream", "none"} {
		if t == known {
			return known
		}
	}
	return strings.Clone(t)
}

// memPrefix is key's namespace at depth: the first depth segments with
// their delimiters ("lead:" for "lead:1:enrichment" at depth 1), shallower
// when the key has fewer delimiters, "" when it has none. It shares key's
// memory.
func memPrefix(key, delim string, depth int) string {
	end := 0
	for d := 0; d < depth; d++ {
		i := strings.Index(key[end:], delim)
		if i < 0 {
			break
		}
		end += i + len(delim)
	}
	return key[:end]
}

// memSampler decides which keys are measured: every key when exact;
// otherwise keys whose hash falls under the fraction (the same keys every
// run), plus the first memMinPerNamespace keys met in each namespace.
type memSampler struct {
	o         MemoryOptions
	threshold uint64
	mu        sync.Mutex
	perNS     map[string]int // measured keys per prefix, up to MaxNamespaces prefixes
}

func newMemSampler(o MemoryOptions) *memSampler {
	s := &memSampler{o: o, perNS: map[string]int{}}
	if !o.Exact {
		s.threshold = uint64(o.Sample * math.Exp2(64))
	}
	return s
}

// choose sets prefix and measured for every key of b.
func (s *memSampler) choose(b *memBatch) {
	if s.o.Exact {
		for i := range b.keys {
			k := &b.keys[i]
			k.prefix = memPrefix(k.key, s.o.Delimiter, s.o.Depth)
			k.measured = true
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range b.keys {
		k := &b.keys[i]
		k.prefix = memPrefix(k.key, s.o.Delimiter, s.o.Depth)
		n, known := s.perNS[k.prefix]
		room := known || len(s.perNS) < s.o.MaxNamespaces
		k.measured = memHash(k.key) < s.threshold || (room && n < memMinPerNamespace)
		switch {
		case !k.measured || !room:
		case known:
			s.perNS[k.prefix] = n + 1
		default:
			s.perNS[strings.Clone(k.prefix)] = 1
		}
	}
}

// memHash is FNV-1a with a final mix, so that keys differing in their last
// digits spread over the whole range.
func memHash(key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// memNS accumulates one namespace.
type memNS struct {
	prefix        string
	other         bool
	keys          int64
	noTTL         int64 // among keys whose TTL is known
	ttlKnown      int64
	measured      int64
	measuredBytes int64
	measuredNoTTL int64
	types         map[string]int64 // among measured keys
}

// memAgg aggregates batches in MemoryBreakdown's goroutine.
type memAgg struct {
	o        MemoryOptions
	seen     *seenSet
	ns       map[string]*memNS
	other    *memNS
	byBytes  *memTop
	byLength *memTop
	scanned  int64
	measured int64
	vanished int64
	hashes   []uint64 // fingerprints of the batch being added
}

// newMemAgg returns an aggregate for a walk of about keys keys (-1:
// unknown).
func newMemAgg(o MemoryOptions, keys int64) *memAgg {
	return &memAgg{
		o:        o,
		seen:     newSeenSetFor(keys),
		ns:       map[string]*memNS{},
		byBytes:  &memTop{n: o.Top, less: func(a, b KeyUsage) bool { return a.Bytes < b.Bytes || (a.Bytes == b.Bytes && a.Key > b.Key) }},
		byLength: &memTop{n: o.Top, less: func(a, b KeyUsage) bool { return a.Length < b.Length || (a.Length == b.Length && a.Key > b.Key) }},
	}
}

func (a *memAgg) add(b *memBatch) {
	// Hash the batch's keys first and prefetch their slots: the duplicate
	// filter of a large keyspace is bigger than the CPU's caches.
	a.hashes = a.hashes[:0]
	for i := range b.keys {
		a.hashes = append(a.hashes, a.seen.hash(b.keys[i].key))
	}
	a.seen.prefetch(a.hashes)
	for i := range b.keys {
		k := &b.keys[i]
		if !a.seen.addHash(a.hashes[i]) {
			continue // SCAN returned it before
		}
		a.addKey(k)
	}
}

// addKey counts one key met for the first time.
func (a *memAgg) addKey(k *memKey) {
	if k.vanished {
		a.vanished++
		return
	}
	ns := a.ns[k.prefix]
	if ns == nil {
		if len(a.ns) < a.o.MaxNamespaces {
			p := strings.Clone(k.prefix)
			ns = &memNS{prefix: p, types: map[string]int64{}}
			a.ns[p] = ns
		} else {
			if a.other == nil {
				a.other = &memNS{prefix: OtherNamespace, other: true, types: map[string]int64{}}
			}
			ns = a.other
		}
	}
	ns.keys++
	a.scanned++
	if k.ttlKnown {
		ns.ttlKnown++
		if k.ttl == -1 {
			ns.noTTL++
		}
	}
	if !k.measured {
		return
	}
	a.measured++
	ns.measured++
	ns.measuredBytes += k.bytes
	ns.types[k.typ]++
	if k.ttl == -1 {
		ns.measuredNoTTL++
	}
	if a.byBytes.wants(KeyUsage{Key: k.key, Bytes: k.bytes}) {
		a.byBytes.push(KeyUsage{Key: strings.Clone(k.key), Type: k.typ, Bytes: k.bytes, Length: k.length})
	}
	if k.typ != "string" && k.length >= 0 {
		if u := (KeyUsage{Key: k.key, Length: k.length}); a.byLength.wants(u) {
			a.byLength.push(KeyUsage{Key: strings.Clone(k.key), Type: k.typ, Bytes: k.bytes, Length: k.length})
		}
	}
}

func (a *memAgg) report() *MemoryReport {
	r := &MemoryReport{
		Exact:         a.o.Exact,
		Sample:        a.o.Sample,
		ScannedKeys:   a.scanned,
		MeasuredKeys:  a.measured,
		Depth:         a.o.Depth,
		Delimiter:     a.o.Delimiter,
		NoTTLEstimate: a.o.SampleTTL,
		Vanished:      a.vanished,
		TopByBytes:    a.byBytes.sorted(),
		TopByLength:   a.byLength.sorted(),
	}
	all := make([]*memNS, 0, len(a.ns)+1)
	for _, ns := range a.ns {
		all = append(all, ns)
	}
	if a.other != nil {
		all = append(all, a.other)
	}
	r.Namespaces = make([]NamespaceUsage, 0, len(all))
	for _, ns := range all {
		u := NamespaceUsage{Prefix: ns.prefix, Keys: ns.keys, Measured: ns.measured, Other: ns.other, Types: map[string]int64{}}
		if ns.measured > 0 {
			u.AvgBytes = ns.measuredBytes / ns.measured
		}
		if ns.measured == ns.keys {
			u.Bytes = ns.measuredBytes
			for t, n := range ns.types {
				u.Types[t] = n
			}
		} else if ns.measured > 0 {
			scale := float64(ns.keys) / float64(ns.measured)
			u.Bytes = int64(math.Round(float64(ns.measuredBytes) * scale))
			for t, n := range ns.types {
				u.Types[t] = int64(math.Round(float64(n) * scale))
			}
		}
		switch {
		case ns.ttlKnown == ns.keys:
			u.NoTTL = ns.noTTL
		case ns.measured > 0:
			u.NoTTL = int64(math.Round(float64(ns.measuredNoTTL) * float64(ns.keys) / float64(ns.measured)))
		}
		r.TotalBytes += u.Bytes
		r.Namespaces = append(r.Namespaces, u)
	}
	for i := range r.Namespaces {
		if r.TotalBytes > 0 {
			r.Namespaces[i].Share = float64(r.Namespaces[i].Bytes) / float64(r.TotalBytes)
		}
	}
	slices.SortFunc(r.Namespaces, func(x, y NamespaceUsage) int {
		switch {
		case x.Bytes != y.Bytes:
			return cmpDesc(x.Bytes, y.Bytes)
		case x.Keys != y.Keys:
			return cmpDesc(x.Keys, y.Keys)
		}
		return strings.Compare(x.Prefix, y.Prefix)
	})
	return r
}

func cmpDesc(x, y int64) int {
	if x > y {
		return -1
	}
	if x < y {
		return 1
	}
	return 0
}

// memTopLengths fills the byte length of the string keys of the top lists
// in one pipelined round trip (one per node on a cluster).
func (c *Client) memTopLengths(ctx context.Context, r *MemoryReport) {
	pipe := c.rdb.Pipeline()
	var cmds []*redis.IntCmd
	var targets []*KeyUsage
	for i := range r.TopByBytes {
		if u := &r.TopByBytes[i]; u.Type == "string" {
			cmds = append(cmds, pipe.StrLen(ctx, u.Key))
			targets = append(targets, u)
		}
	}
	if len(cmds) == 0 {
		return
	}
	_, _ = pipe.Exec(ctx)
	for i, cmd := range cmds {
		if cmd.Err() == nil {
			targets[i].Length = cmd.Val()
		} else {
			r.Notes = append(r.Notes, "string lengths unavailable: "+Describe(cmd.Err()))
			return
		}
	}
}

// memTop keeps the n largest KeyUsages by less in a min-heap.
type memTop struct {
	n     int
	less  func(a, b KeyUsage) bool
	items []KeyUsage
}

func (t *memTop) Len() int           { return len(t.items) }
func (t *memTop) Less(i, j int) bool { return t.less(t.items[i], t.items[j]) }
func (t *memTop) Swap(i, j int)      { t.items[i], t.items[j] = t.items[j], t.items[i] }
func (t *memTop) Push(x any)         { t.items = append(t.items, x.(KeyUsage)) }
func (t *memTop) Pop() any {
	last := t.items[len(t.items)-1]
	t.items = t.items[:len(t.items)-1]
	return last
}

// wants reports whether u would enter the top list (cheap, before cloning
// its key).
func (t *memTop) wants(u KeyUsage) bool {
	return len(t.items) < t.n || t.less(t.items[0], u)
}

func (t *memTop) push(u KeyUsage) {
	if len(t.items) < t.n {
		heap.Push(t, u)
		return
	}
	t.items[0] = u
	heap.Fix(t, 0)
}

// sorted returns the kept items, largest first.
func (t *memTop) sorted() []KeyUsage {
	out := slices.Clone(t.items)
	slices.SortFunc(out, func(a, b KeyUsage) int {
		switch {
		case t.less(b, a):
			return -1
		case t.less(a, b):
			return 1
		}
		return 0
	})
	if out == nil {
		out = []KeyUsage{}
	}
	return out
}

// MemoryFacts is what the server says about its memory as a whole. A
// refused command leaves its field empty and says why in Unavailable
// ("info", "stats", "doctor").
type MemoryFacts struct {
	Info        map[string]string // INFO memory
	Stats       map[string]string // MEMORY STATS, nested names joined with "." (db.0.overhead.hashtable.main)
	Doctor      string            // MEMORY DOCTOR
	Unavailable map[string]string
	// Node is the address these facts come from. On a cluster the
	// top-level facts are the first master's (by address) and Nodes holds
	// every master's.
	Node  string
	Nodes map[string]*MemoryFacts
}

// MemoryFacts reads INFO memory, MEMORY STATS and MEMORY DOCTOR from every
// master in one pipelined round trip each. Only a connection failure is an
// error; refusals are recorded in Unavailable.
func (c *Client) MemoryFacts(ctx context.Context) (*MemoryFacts, error) {
	var mu sync.Mutex
	nodes := map[string]*MemoryFacts{}
	err := c.ForEachNode(ctx, func(ctx context.Context, node *redis.Client) error {
		f, err := nodeMemoryFacts(ctx, node)
		if err != nil {
			return err
		}
		mu.Lock()
		nodes[f.Node] = f
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("memory facts: %w", err)
	}
	addrs := make([]string, 0, len(nodes))
	for a := range nodes {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	if len(addrs) == 0 {
		return nil, errors.New("memory facts: no node answered")
	}
	top := *nodes[addrs[0]]
	if c.cluster != nil {
		top.Nodes = nodes
	}
	return &top, nil
}

func nodeMemoryFacts(ctx context.Context, node *redis.Client) (*MemoryFacts, error) {
	f := &MemoryFacts{Node: node.Options().Addr, Info: map[string]string{}, Stats: map[string]string{}, Unavailable: map[string]string{}}
	pipe := node.Pipeline()
	info := pipe.Info(ctx, "memory")
	stats := pipe.Do(ctx, "MEMORY", "STATS")
	doctor := pipe.Do(ctx, "MEMORY", "DOCTOR")
	_, _ = pipe.Exec(ctx)
	check := func(field, command string, err error) (bool, error) {
		if err == nil {
			return true, nil
		}
		var rerr redis.Error
		if !errors.As(err, &rerr) {
			return false, fmt.Errorf("%s on %s: %w", command, f.Node, err)
		}
		if why := Refusal(err); why != "" {
			f.Unavailable[field] = command + " " + why
		} else {
			f.Unavailable[field] = command + " failed: " + firstLine(err.Error())
		}
		return false, nil
	}
	ok, err := check("info", "INFO", info.Err())
	if err != nil {
		return nil, err
	}
	if ok {
		for _, line := range strings.Split(info.Val(), "\n") {
			line = strings.TrimRight(line, "\r")
			if line == "" || line[0] == '#' {
				continue
			}
			if k, v, found := strings.Cut(line, ":"); found {
				f.Info[k] = v
			}
		}
	}
	if ok, err = check("stats", "MEMORY STATS", stats.Err()); err != nil {
		return nil, err
	} else if ok {
		flattenMemoryStats("", stats.Val(), f.Stats)
	}
	if ok, err = check("doctor", "MEMORY DOCTOR", doctor.Err()); err != nil {
		return nil, err
	} else if ok {
		f.Doctor = fmt.Sprint(doctor.Val())
	}
	return f, nil
}

// flattenMemoryStats turns MEMORY STATS's nested name/value arrays into
// dotted names.
func flattenMemoryStats(prefix string, v any, out map[string]string) {
	switch v := v.(type) {
	case []any:
		for i := 0; i+1 < len(v); i += 2 {
			name := fmt.Sprint(v[i])
			if prefix != "" {
				name = prefix + "." + name
			}
			flattenMemoryStats(name, v[i+1], out)
		}
	case map[any]any: // RESP3
		for k, val := range v {
			name := fmt.Sprint(k)
			if prefix != "" {
				name = prefix + "." + name
			}
			flattenMemoryStats(name, val, out)
		}
	case nil:
		out[prefix] = ""
	default:
		out[prefix] = fmt.Sprint(v)
	}
}
