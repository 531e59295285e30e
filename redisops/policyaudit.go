package redisops

import (
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

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/policy"
)

// AuditOptions shape a policy audit. Zero fields take the defaults.
type AuditOptions struct {
	Policy *policy.Policy // required
	// Exact audits every key. Otherwise Sample (a fraction) of the keys,
	// chosen by a hash of the key, is audited and counts are estimates.
	// With neither, the audit is exact when DBSIZE is under AuditExactBelow
	// and samples DefaultAuditSample of the keys above it.
	Exact  bool
	Sample float64
	// Governor, when set, paces the walk: WaitNode before each SCAN call,
	// each batch finished before the next pause.
	Governor *Governor
	// SampleKeys is how many offending keys are kept per finding (default 5).
	SampleKeys int
	// PrefixBytes bounds the GETRANGE prefix read of a string over the
	// policy's compress_above (default 4 KiB).
	PrefixBytes int
	// Count is the SCAN COUNT hint (default DefaultScanCount).
	Count int64
	// Progress is called from Audit's goroutine at most every 100 ms.
	Progress func(AuditProgress)
	// Collect, when set, is called from Audit's goroutine with every
	// offending key audited and its finding kind (`policy fix` collects
	// the damaged LZ: keys with it).
	Collect func(kind, key string)
}

// Audit defaults.
const (
	AuditExactBelow       = 1_000_000
	DefaultAuditSample    = 0.1
	DefaultAuditSampleKey = 5
	DefaultAuditPrefix    = 4 << 10
	// auditLZHead is how much of a small string is read to see whether it
	// carries the LZ: framing (damaged LZ: values are often under 1 KB).
	auditLZHead = 3
	// auditMaxUnknown caps the unknown namespaces kept; further ones count
	// in one OtherNamespace bucket.
	auditMaxUnknown = 1000
	// auditors is the number of batches audited at once per node when
	// ungoverned: each batch takes two or three round trips, so more of
	// them overlap than in a memory breakdown.
	auditors = 4
)

// Finding kinds, from the most to the least serious.
const (
	FindNeverCache   = "never-cache"
	FindDamagedLZ    = "damaged-lz"
	FindNoTTL        = "no-ttl"
	FindTTLAbove     = "ttl-above-policy"
	FindOversize     = "oversize"
	FindUncompressed = "uncompressed"
	FindUnknown      = "unknown-namespace"
)

// Severities of audit and doctor findings (words, unlike Violation's
// levels: they go to JSON as they are).
const (
	FindingCritical = "critical"
	FindingWarning  = "warning"
	FindingInfo     = "info"
)

// AuditProgress is how far an audit has got.
type AuditProgress struct {
	Scanned, Audited, Total int64
	Elapsed                 time.Duration
}

// NamespaceAudit is what the audit saw in one policy rule's keys, or in one
// unknown prefix. In sampled mode every count but Keys is an estimate.
type NamespaceAudit struct {
	Name       string // the rule's name; the prefix of an unknown namespace
	Rule       int    // index in Policy.Rules(); -1 for an unknown namespace
	NeverCache bool
	Unknown    bool
	Prefix     string        // unknown namespaces: the first segment ("cache:"; "" without delimiter)
	TTL        time.Duration // the policy's TTL (0: none required)

	Keys     int64
	Audited  int64 // keys looked at (all of them when exact)
	Bytes    int64 // MEMORY USAGE
	NoTTL    int64 // keys without expiry where the policy wants one
	TTLAbove int64 // keys whose remaining TTL is above the policy (plus tolerance)
	// MinTTL and MaxTTL span the remaining TTLs seen (keys with expiry).
	MinTTL, MaxTTL time.Duration

	Uncompressed, UncompressedBytes int64
	Oversize, OversizeBytes         int64
	DamagedLZ, DamagedBytes         int64
}

// Finding is one way the cache breaks its policy, in one namespace.
type Finding struct {
	Kind      string
	Severity  string
	Namespace string // NamespaceAudit.Name
	Keys      int64
	Bytes     int64 // MEMORY USAGE of those keys; 0 when not measured
	Estimated bool  // scaled up from a sample
	Detail    string
	Sample    []string // offending keys (raw bytes: escape before display)
	// Fix is the guarded action that repairs it ("" when none: a never-cache
	// key is for the app's owners to stop writing, not for cachedeck to
	// delete behind their back).
	Fix string
}

// Fix names, as `cachedeck policy fix` takes them.
const (
	FixDamagedLZ = "damaged-lz"
	FixTTL       = "ttl"
)

// AuditReport is the result of an audit, complete or, when cancelled,
// partial (Cancelled).
type AuditReport struct {
	Policy      string // the policy's Source
	Exact       bool
	Sample      float64
	ScannedKeys int64 // distinct keys counted
	AuditedKeys int64
	TotalKeys   int64 // DBSIZE at the start; -1 unknown
	TotalBytes  int64
	Namespaces  []NamespaceAudit // policy rules in policy order, then unknown prefixes by keys
	Findings    []Finding        // by severity, then keys
	Vanished    int64
	Duration    time.Duration
	Cancelled   bool
	Notes       []string
}

// auditKey is one scanned key on its way through a node's pipelines.
type auditKey struct {
	key      string
	rule     int    // -1 unknown
	prefix   string // unknown keys: first segment
	audited  bool
	vanished bool
	typ      string
	ttl      int64 // ms; -1 none
	bytes    int64
	strlen   int64 // strings; -1 unknown
	dataCut  bool  // only a prefix of the value was classified
	storage  decode.Storage
	checked  bool // storage is known
}

// Audit walks every master once with SCAN and audits each batch in two
// pipelined round trips (see auditBatch): TYPE, PTTL, MEMORY USAGE,
// STRLEN and the first 3 bytes of every key, then a bounded GETRANGE
// prefix of the strings over compress_above and of the small LZ: values;
// rarely a third, bounded read of an LZ: value whose prefix did not settle
// whether it is damaged. It classifies every key by the policy and counts
// what breaks it.
//
// Cancelling ctx returns the report so far with Cancelled set and a nil
// error. A failure (a refused command, a lost connection) returns the
// report so far with the error.
func (c *Client) Audit(ctx context.Context, o AuditOptions) (*AuditReport, error) {
	if o.Policy == nil {
		return nil, errors.New("policy audit: no policy")
	}
	if !o.Exact && (o.Sample < 0 || o.Sample > 1 || math.IsNaN(o.Sample)) {
		return nil, fmt.Errorf("policy audit: sample fraction %g is not between 0 and 1", o.Sample)
	}
	if o.SampleKeys <= 0 {
		o.SampleKeys = DefaultAuditSampleKey
	}
	if o.PrefixBytes <= 0 {
		o.PrefixBytes = DefaultAuditPrefix
	}
	if o.Count <= 0 {
		o.Count = DefaultScanCount
	}
	start := time.Now()
	total := c.memDBSize(ctx)
	var notes []string
	switch {
	case o.Exact || o.Sample == 1:
		o.Exact, o.Sample = true, 1
	case o.Sample == 0 && total >= AuditExactBelow:
		o.Sample = DefaultAuditSample
		notes = append(notes, fmt.Sprintf("%s keys: %.0f%% sampled (counts are estimates); --exact audits every key", commas(total), 100*o.Sample))
	case o.Sample == 0:
		o.Exact, o.Sample = true, 1
	}
	var threshold uint64
	if !o.Exact {
		threshold = uint64(o.Sample * math.Exp2(64))
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) { errOnce.Do(func() { firstErr = err; cancel() }) }

	out := make(chan []auditKey, 4)
	var complete atomic.Bool
	walk := MemoryOptions{Governor: o.Governor, Count: o.Count}
	go func() {
		defer close(out)
		err := c.ForEachNode(wctx, func(ctx context.Context, node *redis.Client) error {
			return auditNode(ctx, node, o, walk, threshold, out, fail)
		})
		switch {
		case err == nil && wctx.Err() == nil:
			complete.Store(true)
		case err != nil && wctx.Err() == nil:
			fail(err)
		}
	}()

	agg := newAuditAgg(o)
	defer agg.seen.release()
	last := start
	for b := range out {
		if wctx.Err() != nil {
			continue // drain so the producers finish
		}
		agg.add(b)
		if o.Progress != nil && time.Since(last) >= memProgressEvery {
			last = time.Now()
			o.Progress(AuditProgress{Scanned: agg.scanned, Audited: agg.audited, Total: total, Elapsed: time.Since(start)})
		}
	}
	r := agg.report()
	r.TotalKeys = total
	r.Notes = append(notes, r.Notes...)
	r.Cancelled = !complete.Load() && firstErr == nil
	r.Duration = time.Since(start)
	return r, firstErr
}

// auditNode walks one node like memNode: governed, each batch is audited
// before the next pause; ungoverned, auditors overlap the walk.
func auditNode(ctx context.Context, node *redis.Client, o AuditOptions, walk MemoryOptions, threshold uint64, out chan<- []auditKey, fail func(error)) error {
	process := func(b *memBatch) error {
		keys := make([]auditKey, len(b.keys))
		for i, k := range b.keys {
			keys[i] = auditKey{key: k.key, rule: o.Policy.Match(k.key), strlen: -1, audited: o.Exact || memHash(k.key) < threshold}
			if keys[i].rule < 0 {
				keys[i].prefix = memPrefix(k.key, DefaultDelimiter, 1)
			}
		}
		if err := auditBatch(ctx, node, o, keys); err != nil {
			return err
		}
		select {
		case out <- keys:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if o.Governor != nil {
		return memWalk(ctx, node, walk, process)
	}
	raw := make(chan *memBatch, auditors)
	var wg sync.WaitGroup
	for range auditors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			failed := false
			for b := range raw {
				if failed {
					continue // drain so the walker never blocks
				}
				if err := process(b); err != nil {
					failed = true
					if ctx.Err() == nil {
						fail(err)
					}
				}
			}
		}()
	}
	err := memWalk(ctx, node, walk, func(b *memBatch) error {
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

// auditBatch fills a batch in two pipelines, rarely three (see Audit).
// The first sends TYPE, PTTL, MEMORY USAGE, STRLEN and a 3-byte GETRANGE
// for every key (the last two answer WRONGTYPE for collections, which
// costs less than a round trip); the second reads a bounded prefix of the
// strings over compress_above and the small LZ: values whole.
func auditBatch(ctx context.Context, node *redis.Client, o AuditOptions, keys []auditKey) error {
	n := len(keys)
	typ := make([]*redis.StatusCmd, n)
	ttl := make([]*redis.DurationCmd, n)
	mem := make([]*redis.IntCmd, n)
	strlen := make([]*redis.IntCmd, n)
	head := make([]*redis.StringCmd, n)
	pipe := node.Pipeline()
	for i := range keys {
		if keys[i].audited {
			typ[i] = pipe.Type(ctx, keys[i].key)
			ttl[i] = pipe.PTTL(ctx, keys[i].key)
			mem[i] = pipe.MemoryUsage(ctx, keys[i].key)
			strlen[i] = pipe.StrLen(ctx, keys[i].key)
			head[i] = pipe.GetRange(ctx, keys[i].key, 0, auditLZHead-1)
		}
	}
	if pipe.Len() == 0 {
		return nil
	}
	_, _ = pipe.Exec(ctx) // every command's error is looked at below
	if err := ctx.Err(); err != nil {
		return err
	}
	big := int64(o.Policy.CompressAbove)
	var reads []int // strings whose bytes are needed
	for i := range keys {
		k := &keys[i]
		if !k.audited {
			continue
		}
		if err := typ[i].Err(); err != nil {
			if memMoved(err) {
				k.vanished = true
				continue
			}
			return auditCmdErr(node, err, "TYPE")
		}
		k.typ = internType(typ[i].Val())
		if err := ttl[i].Err(); err != nil {
			if memMoved(err) {
				k.vanished = true
				continue
			}
			return auditCmdErr(node, err, "PTTL")
		}
		k.ttl = ttlMillis(ttl[i].Val())
		if err := mem[i].Err(); err != nil {
			if errors.Is(err, redis.Nil) || memMoved(err) {
				k.vanished = true
				continue
			}
			return auditCmdErr(node, err, "MEMORY USAGE")
		}
		k.bytes = mem[i].Val()
		if k.typ == "none" || k.ttl == -2 {
			k.vanished = true
			continue
		}
		if k.typ != "string" {
			continue
		}
		// A string: STRLEN and the head must have answered too, unless the
		// key changed type in between (then it is counted as it was).
		lerr, herr := strlen[i].Err(), head[i].Err()
		if redis.HasErrorPrefix(lerr, "WRONGTYPE") || redis.HasErrorPrefix(herr, "WRONGTYPE") || memMoved(lerr) || memMoved(herr) {
			k.vanished = true
			continue
		}
		if lerr != nil {
			return auditCmdErr(node, lerr, "STRLEN")
		}
		if herr != nil {
			return auditCmdErr(node, herr, "GETRANGE")
		}
		k.strlen = strlen[i].Val()
		if k.strlen > big || head[i].Val() == "LZ:" {
			reads = append(reads, i)
		}
	}
	if len(reads) == 0 {
		return nil
	}
	if err := auditRead(ctx, node, keys, reads, int64(o.PrefixBytes), false); err != nil {
		return err
	}
	// An LZ: value whose prefix did not show damage may be damaged further
	// on: read it up to max_value (rare: damage starts in the first bytes).
	var lz []int
	for _, i := range reads {
		k := &keys[i]
		if !k.vanished && k.storage.Layer == decode.LayerColdcopyLZ && !k.storage.Damaged && k.dataCut {
			lz = append(lz, i)
		}
	}
	if len(lz) == 0 {
		return nil
	}
	return auditRead(ctx, node, keys, lz, max(int64(o.PrefixBytes), int64(o.Policy.MaxValue)), true)
}

// auditRead reads up to limit bytes of each string keys[i] for i in idx
// and classifies them. damageOnly keeps what is known and updates only
// whether the value is damaged.
func auditRead(ctx context.Context, node *redis.Client, keys []auditKey, idx []int, limit int64, damageOnly bool) error {
	cmds := make([]*redis.StringCmd, len(idx))
	pipe := node.Pipeline()
	for j, i := range idx {
		cmds[j] = pipe.GetRange(ctx, keys[i].key, 0, limit-1)
	}
	_, _ = pipe.Exec(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	for j, i := range idx {
		k := &keys[i]
		if err := cmds[j].Err(); err != nil {
			if redis.HasErrorPrefix(err, "WRONGTYPE") || memMoved(err) {
				k.vanished = true
				continue
			}
			return auditCmdErr(node, err, "GETRANGE")
		}
		data := []byte(cmds[j].Val())
		cut := int64(len(data)) < k.strlen
		st := decode.Classify(data, cut)
		if damageOnly {
			k.storage.Damaged = st.Damaged
			continue
		}
		k.storage, k.checked, k.dataCut = st, true, cut
	}
	return nil
}

func auditCmdErr(node *redis.Client, err error, command string) error {
	if why := Refusal(err); why != "" {
		return fmt.Errorf("policy audit: %s %s (the audit cannot work without it)", command, why)
	}
	return fmt.Errorf("policy audit: %s on %s: %w", command, node.Options().Addr, err)
}

// auditNS accumulates one namespace.
type auditNS struct {
	NamespaceAudit
	samples map[string][]string // by finding kind
	ttlSeen bool
}

type auditAgg struct {
	o        AuditOptions
	rules    []policy.Rule
	seen     *seenSet
	ns       []*auditNS // by rule
	unknown  map[string]*auditNS
	other    *auditNS
	scanned  int64
	audited  int64
	vanished int64
}

func newAuditAgg(o AuditOptions) *auditAgg {
	a := &auditAgg{o: o, rules: o.Policy.Rules(), seen: newSeenSet(), unknown: map[string]*auditNS{}}
	for i, r := range a.rules {
		a.ns = append(a.ns, &auditNS{NamespaceAudit: NamespaceAudit{Name: r.Name, Rule: i, NeverCache: r.NeverCache, TTL: r.TTL}, samples: map[string][]string{}})
	}
	return a
}

func (a *auditAgg) namespace(k *auditKey) *auditNS {
	if k.rule >= 0 {
		return a.ns[k.rule]
	}
	if ns := a.unknown[k.prefix]; ns != nil {
		return ns
	}
	if len(a.unknown) >= auditMaxUnknown {
		if a.other == nil {
			a.other = &auditNS{NamespaceAudit: NamespaceAudit{Name: OtherNamespace, Rule: -1, Unknown: true, Prefix: OtherNamespace}, samples: map[string][]string{}}
		}
		return a.other
	}
	p := strings.Clone(k.prefix)
	ns := &auditNS{NamespaceAudit: NamespaceAudit{Name: p, Rule: -1, Unknown: true, Prefix: p}, samples: map[string][]string{}}
	a.unknown[p] = ns
	return ns
}

func (a *auditAgg) sample(ns *auditNS, kind, key string) {
	if a.o.Collect != nil {
		a.o.Collect(kind, key)
	}
	if s := ns.samples[kind]; len(s) < a.o.SampleKeys {
		ns.samples[kind] = append(s, strings.Clone(key))
	}
}

func (a *auditAgg) add(batch []auditKey) {
	for i := range batch {
		k := &batch[i]
		if !a.seen.add(k.key) {
			continue // SCAN returned it before
		}
		if k.vanished {
			a.vanished++
			continue
		}
		ns := a.namespace(k)
		ns.Keys++
		a.scanned++
		if !k.audited {
			continue
		}
		a.audited++
		ns.Audited++
		ns.Bytes += k.bytes
		switch {
		case ns.NeverCache:
			a.sample(ns, FindNeverCache, k.key)
		case ns.Unknown:
			a.sample(ns, FindUnknown, k.key)
		}
		if k.ttl >= 0 {
			d := time.Duration(k.ttl) * time.Millisecond
			if !ns.ttlSeen || d < ns.MinTTL {
				ns.MinTTL = d
			}
			if !ns.ttlSeen || d > ns.MaxTTL {
				ns.MaxTTL = d
			}
			ns.ttlSeen = true
		}
		if ns.Rule >= 0 && ns.TTL > 0 {
			switch limit := a.o.Policy.TTLLimit(ns.Rule); {
			case k.ttl == -1:
				ns.NoTTL++
				a.sample(ns, FindNoTTL, k.key)
			case time.Duration(k.ttl)*time.Millisecond > limit:
				ns.TTLAbove++
				a.sample(ns, FindTTLAbove, k.key)
			}
		}
		size := k.bytes
		if k.typ == "string" && k.strlen >= 0 {
			size = k.strlen
		}
		if size > int64(a.o.Policy.MaxValue) {
			ns.Oversize++
			ns.OversizeBytes += k.bytes
			a.sample(ns, FindOversize, k.key)
		}
		if k.checked && k.strlen > int64(a.o.Policy.CompressAbove) && !k.storage.Compressed {
			ns.Uncompressed++
			ns.UncompressedBytes += k.bytes
			a.sample(ns, FindUncompressed, k.key)
		}
		if k.checked && k.storage.Damaged {
			ns.DamagedLZ++
			ns.DamagedBytes += k.bytes
			a.sample(ns, FindDamagedLZ, k.key)
		}
	}
}

func (a *auditAgg) report() *AuditReport {
	r := &AuditReport{Policy: a.o.Policy.Source, Exact: a.o.Exact, Sample: a.o.Sample, ScannedKeys: a.scanned, AuditedKeys: a.audited, Vanished: a.vanished}
	all := slices.Clone(a.ns)
	var unknown []*auditNS
	for _, ns := range a.unknown {
		unknown = append(unknown, ns)
	}
	slices.SortFunc(unknown, func(x, y *auditNS) int {
		if c := cmpDesc(x.Keys, y.Keys); c != 0 {
			return c
		}
		return strings.Compare(x.Prefix, y.Prefix)
	})
	all = append(all, unknown...)
	if a.other != nil {
		all = append(all, a.other)
	}
	for _, ns := range all {
		a.scale(ns)
		r.TotalBytes += ns.Bytes
		r.Namespaces = append(r.Namespaces, ns.NamespaceAudit)
		r.Findings = append(r.Findings, a.findings(ns)...)
	}
	slices.SortStableFunc(r.Findings, func(x, y Finding) int {
		if c := severityRank(x.Severity) - severityRank(y.Severity); c != 0 {
			return c
		}
		return cmpDesc(x.Keys, y.Keys)
	})
	return r
}

// scale turns a namespace's sampled counts into estimates for all its keys.
func (a *auditAgg) scale(ns *auditNS) {
	if ns.Audited == ns.Keys || ns.Audited == 0 {
		return
	}
	f := float64(ns.Keys) / float64(ns.Audited)
	for _, v := range []*int64{&ns.Bytes, &ns.NoTTL, &ns.TTLAbove, &ns.Uncompressed, &ns.UncompressedBytes, &ns.Oversize, &ns.OversizeBytes, &ns.DamagedLZ, &ns.DamagedBytes} {
		*v = int64(math.Round(float64(*v) * f))
	}
}

func severityRank(s string) int {
	switch s {
	case FindingCritical:
		return 0
	case FindingWarning:
		return 1
	}
	return 2
}

func (a *auditAgg) findings(ns *auditNS) []Finding {
	est := ns.Audited != ns.Keys
	p := a.o.Policy
	var out []Finding
	add := func(kind, sev string, keys, bytes int64, detail, fix string) {
		if keys > 0 {
			out = append(out, Finding{Kind: kind, Severity: sev, Namespace: ns.Name, Keys: keys, Bytes: bytes, Estimated: est, Detail: detail, Sample: ns.samples[kind], Fix: fix})
		}
	}
	if ns.NeverCache {
		add(FindNeverCache, FindingCritical, ns.Keys, ns.Bytes,
			fmt.Sprintf("%q must never be cached (policy never_cache): the app writing these keys must stop; delete them with 'cachedeck invalidate' once it has", ns.Name), "")
	}
	add(FindDamagedLZ, FindingWarning, ns.DamagedLZ, ns.DamagedBytes,
		"damaged LZ: values: the app cannot read them either (ioredis stored lz-string output as UTF-8); dead weight that lowers the hit rate", FixDamagedLZ)
	add(FindNoTTL, FindingWarning, ns.NoTTL, 0,
		fmt.Sprintf("no expiry; the policy's TTL is %s", policy.FormatTTL(ns.TTL)), FixTTL)
	if ns.TTLAbove > 0 {
		add(FindTTLAbove, FindingWarning, ns.TTLAbove, 0,
			fmt.Sprintf("remaining TTL above the policy's %s (+%.0f%% tolerance); TTLs seen span %s–%s", policy.FormatTTL(ns.TTL), 100*p.TTLTolerance, policy.FormatTTL(ns.MinTTL.Truncate(time.Second)), policy.FormatTTL(ns.MaxTTL.Truncate(time.Second))), FixTTL)
	}
	add(FindOversize, FindingWarning, ns.Oversize, ns.OversizeBytes,
		fmt.Sprintf("values over max_value %s: split or trim them", p.MaxValue), "")
	add(FindUncompressed, FindingInfo, ns.Uncompressed, ns.UncompressedBytes,
		fmt.Sprintf("strings over compress_above %s stored uncompressed", p.CompressAbove), "")
	if ns.Unknown {
		add(FindUnknown, FindingInfo, ns.Keys, ns.Bytes,
			"keys no policy rule matches: add a [[namespace]] for them, or find who writes them", "")
	}
	return out
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
