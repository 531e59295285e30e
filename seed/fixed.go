package seed

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/coldcopy/cachedeck/decode"
)

// Fixed, well-known keys. They are written by every Seed, whatever Keys and Seed are, with the
// same bytes every time: tests and demos can rely on them.
const (
	// KeyCompressedLead is CacheService's framing of a >1 KB enrichment JSON:
	// "COMPRESSED:" + base64(gzip(JSON)). TTL 7 days.
	KeyCompressedLead = "lead:demo-compressed:enrichment"
	// KeyDamagedLZ is RedisManager's "LZ:" framing of a >1 KB lead score JSON that did not survive
	// ioredis's UTF-8 write: it contains EF BF BD where lone surrogates were. TTL 1 h.
	KeyDamagedLZ = "coldcopy:lead_score:ws-demo:lead-damaged"
	// KeyCleanLZ is an "LZ:" value that survived: the JSON is over 1024 characters (so the app
	// framed it) but so repetitive that lz-string's output is short and holds no surrogate at
	// all. It decodes back to KeyCleanLZ's JSON exactly. TTL 1 h.
	KeyCleanLZ = "coldcopy:lead_score:ws-demo:lead-clean"

	// Raw buffers without a marker, as other Node caches write them; no TTL. The payload is the
	// same lead JSON for all of them except the msgpack ones (a msgpack map).
	KeyRawGzip              = "cache:raw:gzip:demo"
	KeyRawZlib              = "cache:raw:zlib:demo"
	KeyRawDeflate           = "cache:raw:deflate:demo" // raw deflate, no zlib header
	KeyRawZstd              = "cache:raw:zstd:demo"
	KeyRawLZ4               = "cache:raw:lz4:demo" // LZ4 frame
	KeyRawSnappyFramed      = "cache:raw:snappy-framed:demo"
	KeyRawSnappy            = "cache:raw:snappy:demo" // raw snappy block
	KeyRawBrotli            = "cache:raw:brotli:demo" // quality 11, Node's default
	KeyRawBase64Gzip        = "cache:raw:base64-gzip:demo"
	KeyRawBase64GzipMsgpack = "cache:raw:base64-gzip-msgpack:demo" // base64 → gzip → msgpack
	KeyRawMsgpack           = "cache:raw:msgpack:demo"

	// KeyBigIntJSON holds JSON with integers beyond 2^53 (and beyond int64/uint64), which a
	// float64 round trip would corrupt.
	KeyBigIntJSON = "hubspot:contact:demo-bigint"
	// KeyLarge is a 2 MiB (exactly LargeSize bytes) uncompressed API cache value.
	KeyLarge  = "api:/api/leads/export:workspaceId=ws-demo&format=json"
	LargeSize = 2 << 20

	// One key of every non-string type (more exist; see Fixed).
	KeyHash   = "workspace:ws-demo:members"        // 250 fields: user id → member JSON
	KeyList   = "campaign:cmp-demo:queue"          // 1000 lead ids
	KeySet    = "deliverability:blocklist:ws-demo" // 300 domains
	KeyZSet   = "leads:workspace:ws-demo:scores"   // 500 lead ids scored 0–100
	KeyStream = "visitors:ws-demo:stream"          // 200 entries

	// KeyLiteralStar is a key whose name is literally "temp:*": deleting by pattern must not
	// confuse it with the pattern, and deleting it must not touch the other temp: keys.
	KeyLiteralStar = "temp:*"
)

// KeyRaw returns the fixed key of a raw codec.
func KeyRaw(c Codec) string { return "cache:raw:" + string(c) + ":demo" }

// awkwardKeys are the keys written to test binary safety, exact bytes.
var awkwardKeys = []string{
	"",
	"user:has space",
	"   ",
	`lead:'single' "double" quotes`,
	"lead:new\nline",
	"lead:crlf\r\n",
	"lead:tab\tkey",
	KeyLiteralStar,
	`temp:\*`,
	`awkward:glob:*?[a-z]\x`,
	"awkward:{hashtag}:braces",
	"user:\xff\xfe\xc3\x28 invalid utf8",
	"user:😀🚀🔥",
	"workspace:Zoë's café 東京",
	"awkward:\x1b[2J\x1b[31mred\x1b[0m",
	"awkward:\x1b]0;owned\x07title",
	"awkward:nul\x00byte\bbackspace\x7f",
	longKey(),
}

// longKey is a method-cache key of exactly 1024 bytes.
func longKey() string {
	b := []byte(`method:LeadService:search:[{"query":"`)
	for len(b) < 1024-3 {
		b = append(b, "very long search "[len(b)%17])
	}
	b = append(b, `"}]`...)
	return string(b)
}

// AwkwardKeys returns the awkward keys Seed writes (a fresh copy): the empty key, spaces, quotes,
// newline, CR, tab, glob characters, a literal "temp:*", a hash tag, invalid UTF-8, emoji,
// terminal escape sequences and control bytes (NUL, BEL, BS, DEL), and a 1 KiB key.
func AwkwardKeys() []string { return append([]string(nil), awkwardKeys...) }

// neverCacheKeys are keys in namespaces the cache strategy forbids (billing/payment, auth
// tokens and sessions, webhook payloads, audit logs, real-time collaboration).
var neverCacheKeys = []string{
	"billing:invoice:in_1QdemoInvoice0001",
	"billing:subscription:ws-demo",
	"payment:intent:pi_3QdemoIntent0001",
	"payment:method:pm_1QdemoMethod0001",
	"auth:token:8f14e45fceea167a5a36dedd4bea2543",
	"auth:token:c9f0f895fb98ab9159f51fd0297e236d",
	"auth:session:45c48cce2e2d7fbdea1afc51c7c6ad26",
	"session:sess_demo_0001",
	"webhook:payload:evt_1QdemoStripe0001",
	"webhook:payload:hubspot-demo-0001",
	"audit:log:2025-11-25:000001",
	"audit:log:2025-11-25:000002",
	"collab:doc:tmpl-demo:presence",
}

// NeverCacheKeys returns the keys Seed writes in never-cache namespaces (a fresh copy).
func NeverCacheKeys() []string { return append([]string(nil), neverCacheKeys...) }

// MinKeys is the number of fixed keys; Options.Keys below it is raised to it.
func MinKeys() int { return len(fixedEntries()) }

// Fixed returns the fixed entries (fresh copies), in the order Seed writes them.
func Fixed() []Entry {
	fe := fixedEntries()
	out := make([]Entry, len(fe))
	for i, e := range fe {
		out[i] = e.clone()
	}
	return out
}

var fixedEntries = sync.OnceValue(buildFixed)

// fixedBuilder builds the fixed entries with its own worker, so they do not depend on Options.
type fixedBuilder struct {
	w   *worker
	out []Entry
	n   uint64
}

func (f *fixedBuilder) reseed() {
	f.n++
	f.w.pcg.Seed(0xf12ed, f.n)
}

func (f *fixedBuilder) str(key, ns string, value, plain []byte, c Codec, ttl time.Duration) *Entry {
	f.out = append(f.out, Entry{Key: key, Namespace: ns, Kind: KindString, Value: value, Plain: plain, Codec: c, TTL: ttl})
	return &f.out[len(f.out)-1]
}

func (f *fixedBuilder) json() []byte { return bytes.Clone(f.w.j.b) }

func buildFixed() []Entry {
	p := &plan{seed: 1, ids: ids{seed: 0xf12ed}, workspaces: 1000, campaigns: 1000}
	f := &fixedBuilder{w: newWorker(p)}
	w := f.w
	w.enc.brQuality = 11
	w.enc.gzLevel = 6

	// COMPRESSED: lead enrichment, over 1 KB.
	for {
		f.reseed()
		w.j.reset()
		w.enrichmentBody([]byte("demo-compressed"))
		if jsLen(w.j.b) > 1500 {
			break
		}
	}
	plain := f.json()
	f.str(KeyCompressedLead, patLeadEnrichment, w.enc.appendCompressed(nil, plain), plain, CodecCompressed, 7*day)

	// LZ: damaged, over 1 KB.
	for {
		f.reseed()
		w.j.reset()
		w.leadScoreBody([]byte("ws-demo"), []byte("lead-damaged"), 30)
		if jsLen(w.j.b) <= frameThreshold {
			continue
		}
		if v, damaged := lzFramed(w.j.b); damaged {
			plain := f.json()
			f.str(KeyDamagedLZ, patLeadScore, v, plain, CodecLZ, hour).Damaged = true
			break
		}
	}

	// LZ: clean. A flat score history compresses to a few dozen code units; look for the first
	// score whose output holds no surrogate at all (and no U+FFFD, to leave no doubt).
	for score := 10; ; score++ {
		if score > 5000 {
			panic("seed: no surrogate-free lz-string output found")
		}
		w.j.reset()
		j := &w.j
		j.obj()
		j.kstr("leadId", "lead-clean")
		j.kstr("workspaceId", "ws-demo")
		j.kint("score", score)
		j.key("history")
		j.arr()
		for jsLen(j.b) <= frameThreshold+16 {
			j.int(score)
		}
		j.endArr()
		j.endObj()
		units := decode.LZStringCompress(string(j.b))
		if hasSurrogate(units) || containsUnit(units, 0xFFFD) {
			continue
		}
		v, _ := lzFramed(j.b)
		plain := f.json()
		f.str(KeyCleanLZ, patLeadScore, v, plain, CodecLZ, hour)
		break
	}

	// Raw codecs: one lead JSON for all, one msgpack map for the msgpack ones.
	f.reseed()
	w.j.reset()
	w.leadBody(7, 7)
	rawJSON := f.json()
	f.reseed()
	mp := w.msgpackLead(7)
	for _, c := range RawCodecs {
		payload := rawJSON
		if c == CodecMsgpack || c == CodecBase64GzipMsgpack {
			payload = mp
		}
		f.str(KeyRaw(c), patRaw, w.enc.raw(c, payload), bytes.Clone(payload), c, 0)
	}

	bigint := []byte(`{"id":9007199254740993,"portalId":18446744073709551615,"dealAmountCents":123456789012345678901234567890,` +
		`"balance":-9223372036854775809,"exact":9007199254740992,"ratio":0.1,"huge":1.7976931348623157e308,` +
		`"properties":{"email":"bigint@example.com","hs_object_id":"9007199254740993"}}`)
	f.str(KeyBigIntJSON, patHubSpot, bigint, bigint, CodecJSON, defaultTTL)

	large := f.large()
	f.str(KeyLarge, patAPI, large, large, CodecJSON, 5*minute)

	f.types()
	f.neverCache()

	for i, k := range awkwardKeys {
		v := []byte(fmt.Sprintf(`{"awkward":%d,"note":"key has unusual bytes"}`, i))
		f.str(k, patAwkward, v, v, CodecJSON, 0)
	}
	return f.out
}

func containsUnit(units []uint16, u uint16) bool {
	for _, x := range units {
		if x == u {
			return true
		}
	}
	return false
}

// large builds an API cache value of exactly LargeSize bytes.
func (f *fixedBuilder) large() []byte {
	w := f.w
	f.reseed()
	tail := []byte(`],"nextCursor":null},"status":200,"headers":{"content-type":"application/json; charset=utf-8","x-export-rows":"`)
	out := make([]byte, 0, LargeSize)
	out = append(out, `{"body":{"data":[`...)
	rows := 0
	for {
		w.j.reset()
		if rows > 0 {
			w.j.comma = true
		}
		first, last, company := w.pick(firstNames), w.pick(lastNames), w.company()
		w.j.obj()
		w.klead("id", rows)
		w.tmp = w.appendEmail(w.tmp[:0], first, last, company)
		w.j.kbytes("email", w.tmp)
		w.j.kstr("fullName", first+" "+last)
		w.j.kstr("company", company)
		w.j.kstr("status", w.pick(leadStatuses))
		w.j.kint("score", w.intn(101))
		w.j.endObj()
		if len(out)+len(w.j.b)+len(tail)+64 > LargeSize {
			break
		}
		out = append(out, w.j.b...)
		rows++
	}
	out = append(out, tail...)
	out = strconv.AppendInt(out, int64(rows), 10)
	out = append(out, `"},"padding":"`...)
	for len(out) < LargeSize-2 {
		out = append(out, ' ')
	}
	return append(out, `"}`...)
}

func (f *fixedBuilder) types() {
	w := f.w
	add := func(e Entry) { f.out = append(f.out, e) }

	f.reseed()
	members := Entry{Key: KeyHash, Namespace: patWorkspaceMembers, Kind: KindHash, TTL: 5 * minute}
	for i := range 250 {
		w.j.reset()
		w.j.obj()
		w.j.kstr("role", w.pick(roles))
		w.j.kstr("name", w.pick(firstNames)+" "+w.pick(lastNames))
		w.kago("joinedAt", 400*day)
		w.j.endObj()
		members.Items = append(members.Items, string(w.p.ids.userID(nil, i)), string(w.j.b))
	}
	add(members)

	f.reseed()
	stats := Entry{Key: "campaign:cmp-demo:stats", Namespace: patCampaignStats, Kind: KindHash, TTL: 5 * minute}
	for _, k := range []string{"sent", "delivered", "opened", "clicked", "replied", "bounced"} {
		stats.Items = append(stats.Items, k, strconv.Itoa(w.intn(10000)))
	}
	// A binary field and value: hash views must be binary-safe too.
	stats.Items = append(stats.Items, "\xffraw\x00field", "\x00\x01\x02\xfe\xff")
	add(stats)

	f.reseed()
	queue := Entry{Key: KeyList, Namespace: patCampaignQueue, Kind: KindList}
	for i := range 1000 {
		queue.Items = append(queue.Items, string(w.p.ids.leadID(nil, i)))
	}
	add(queue)

	f.reseed()
	replies := Entry{Key: "smart-reply:queue:ws-demo", Namespace: patSmartQueue, Kind: KindList}
	for i := range 20 {
		w.j.reset()
		w.j.obj()
		w.j.kstr("messageId", fmt.Sprintf("<CAdemo%04d@mail.gmail.com>", i))
		w.j.kstr("intent", w.pick(intents))
		w.kago("receivedAt", day)
		w.j.endObj()
		replies.Items = append(replies.Items, string(w.j.b))
	}
	add(replies)

	f.reseed()
	block := Entry{Key: KeySet, Namespace: patDelivBlock, Kind: KindSet, TTL: hour}
	for i := range 300 {
		block.Items = append(block.Items, string(appendSlug(nil, w.pick(companyA), 0))+"-"+strconv.Itoa(i)+w.pick(tlds))
	}
	add(block)

	tagsSet := Entry{Key: "lead:lead-demo:tags", Namespace: patLeadTags, Kind: KindSet, TTL: defaultTTL,
		Items: []string{"enterprise", "warm", "q4", "champion"}}
	add(tagsSet)

	f.reseed()
	scores := Entry{Key: KeyZSet, Namespace: patLeadsScores, Kind: KindZSet, TTL: 5 * minute}
	for i := range 500 {
		scores.Items = append(scores.Items, string(w.p.ids.leadID(nil, i)))
		scores.Scores = append(scores.Scores, float64(w.intn(101)))
	}
	add(scores)

	f.reseed()
	ranking := Entry{Key: "intent:ws-demo:ranking", Namespace: patIntentRanking, Kind: KindZSet, TTL: defaultTTL}
	for i := range 50 {
		ranking.Items = append(ranking.Items, string(w.p.ids.leadID(nil, i)))
		ranking.Scores = append(ranking.Scores, float64(w.intn(10000))/100)
	}
	add(ranking)

	f.reseed()
	top := Entry{Key: "analytics:workspace:ws-demo:top-campaigns", Namespace: patTopCampaigns, Kind: KindZSet, TTL: 5 * minute}
	for i := range 10 {
		top.Items = append(top.Items, string(w.p.ids.campaignID(nil, i)))
		top.Scores = append(top.Scores, float64(w.intn(2000))/10000)
	}
	add(top)

	base := epoch.UnixMilli() - 200*60_000
	stream := func(key, ns string, n int, fields func(i int) []string) {
		f.reseed()
		e := Entry{Key: key, Namespace: ns, Kind: KindStream}
		for i := range n {
			e.Stream = append(e.Stream, StreamEntry{ID: strconv.FormatInt(base+int64(i)*60_000, 10) + "-0", Values: fields(i)})
		}
		add(e)
	}
	stream(KeyStream, patVisitorsLive, 200, func(i int) []string {
		return []string{"company", w.company(), "page", w.pick(visitorPages), "durationSec", strconv.Itoa(w.intn(600))}
	})
	stream("intent:ws-demo:events", patIntentEvents, 50, func(i int) []string {
		return []string{"leadId", string(w.p.ids.leadID(nil, w.intn(500))), "signal", w.pick(signalTypes), "weight", strconv.Itoa(w.between(1, 10))}
	})
	stream("deliverability:events:ws-demo", patDelivEvents, 30, func(i int) []string {
		return []string{"type", w.pick([]string{"bounce", "complaint", "delivered", "deferred"}), "domain", string(w.appendDomain(nil, w.company()))}
	})
}

func (f *fixedBuilder) neverCache() {
	js := func(s string) []byte { return []byte(s) }
	vals := map[string]struct {
		ns  string
		v   []byte
		ttl time.Duration
	}{
		"billing:invoice:in_1QdemoInvoice0001":          {patBilling, js(`{"id":"in_1QdemoInvoice0001","customer":"cus_demo","amountDue":29900,"currency":"usd","status":"open","lines":[{"description":"Growth plan × 3 seats","amount":29900}]}`), 0},
		"billing:subscription:ws-demo":                  {patBilling, js(`{"id":"sub_demo","workspaceId":"ws-demo","plan":"growth","status":"active","currentPeriodEnd":"2025-12-25T00:00:00.000Z"}`), 0},
		"payment:intent:pi_3QdemoIntent0001":            {patPayment, js(`{"id":"pi_3QdemoIntent0001","amount":29900,"currency":"usd","status":"requires_capture","paymentMethod":{"brand":"visa","last4":"4242","expMonth":12,"expYear":2030}}`), 0},
		"payment:method:pm_1QdemoMethod0001":            {patPayment, js(`{"id":"pm_1QdemoMethod0001","type":"card","card":{"brand":"mastercard","last4":"4444","country":"US"},"billingDetails":{"email":"billing@example.com"}}`), 0},
		"auth:token:8f14e45fceea167a5a36dedd4bea2543":   {patAuthToken, js(`eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkZW1vLXVzZXIiLCJ3cyI6IndzLWRlbW8iLCJkZW1vIjp0cnVlfQ.not-a-real-signature`), hour},
		"auth:token:c9f0f895fb98ab9159f51fd0297e236d":   {patAuthToken, js(`{"accessToken":"demo-access-token-not-a-secret","refreshToken":"demo-refresh-token-not-a-secret","expiresAt":1764075600}`), hour},
		"auth:session:45c48cce2e2d7fbdea1afc51c7c6ad26": {patAuthSession, js(`{"userId":"demo-user","workspaceId":"ws-demo","ip":"203.0.113.7","userAgent":"Mozilla/5.0","createdAt":"2025-11-25T11:50:00.000Z"}`), 15 * minute},
		"session:sess_demo_0001":                        {patSession, js(`{"cookie":{"originalMaxAge":900000,"httpOnly":true,"secure":true},"userId":"demo-user"}`), 15 * minute},
		"webhook:payload:evt_1QdemoStripe0001":          {patWebhook, js(`{"id":"evt_1QdemoStripe0001","type":"invoice.payment_succeeded","data":{"object":{"id":"in_1QdemoInvoice0001","amountPaid":29900}}}`), 0},
		"webhook:payload:hubspot-demo-0001":             {patWebhook, js(`[{"eventId":1001,"subscriptionType":"contact.propertyChange","objectId":9007199254740993,"propertyName":"email","propertyValue":"new@example.com"}]`), 0},
		"audit:log:2025-11-25:000001":                   {patAudit, js(`{"actor":"demo-user","action":"workspace.member.invite","target":"new@example.com","ip":"203.0.113.7","at":"2025-11-25T10:00:00.000Z"}`), 0},
		"audit:log:2025-11-25:000002":                   {patAudit, js(`{"actor":"demo-admin","action":"billing.plan.change","from":"starter","to":"growth","at":"2025-11-25T10:05:00.000Z"}`), 0},
	}
	for _, k := range neverCacheKeys {
		if k == "collab:doc:tmpl-demo:presence" {
			f.out = append(f.out, Entry{Key: k, Namespace: patCollab, Kind: KindHash, Items: []string{
				"demo-user", `{"cursor":{"line":12,"ch":4},"color":"#e11d48"}`,
				"demo-admin", `{"cursor":{"line":3,"ch":0},"color":"#2563eb"}`,
			}})
			continue
		}
		v := vals[k]
		c := CodecJSON
		if v.v[0] != '{' && v.v[0] != '[' {
			c = CodecText
		}
		f.str(k, v.ns, v.v, v.v, c, v.ttl)
	}
}

// msgLead is the msgpack payload of the msgpack codecs: a struct, so the encoding is stable.
type msgLead struct {
	ID        string   `msgpack:"id"`
	Email     string   `msgpack:"email"`
	Name      string   `msgpack:"name"`
	Company   string   `msgpack:"company"`
	Score     int      `msgpack:"score"`
	Tags      []string `msgpack:"tags"`
	Enriched  bool     `msgpack:"enriched"`
	UpdatedAt int64    `msgpack:"updatedAt"`
}

func (w *worker) msgpackLead(ord int) []byte {
	first, last, company := w.pick(firstNames), w.pick(lastNames), w.company()
	m := msgLead{
		ID:        string(w.p.ids.leadID(nil, ord)),
		Email:     string(w.appendEmail(nil, first, last, company)),
		Name:      first + " " + last,
		Company:   company,
		Score:     w.intn(101),
		Enriched:  w.chance(0.5),
		UpdatedAt: w.ago(30 * day).UnixMilli(),
	}
	for range w.intn(4) {
		m.Tags = append(m.Tags, w.pick(tags))
	}
	b, err := msgpack.Marshal(&m)
	must(err)
	return b
}
