package seed

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"time"
)

// Writers of the dataset's keys.
const (
	WriterCacheService = "CacheService" // JSON, "COMPRESSED:" framing over 1024 chars when asked
	WriterRedisManager = "RedisManager" // coldcopy:* keys, "LZ:" framing over 1024 chars
	WriterOtherCache   = "other-cache"  // raw buffers and base64 text without a marker
	WriterNeverCache   = "never-cache"  // data the cache strategy says must never be cached
	WriterFixture      = "fixture"      // awkward keys, written to exercise binary safety
)

// Namespace describes one key pattern of the dataset.
type Namespace struct {
	Pattern string        // as in the app's key schema, e.g. "lead:<id>:enrichment"
	Writer  string        // one of the Writer constants
	TTL     time.Duration // strategy-table TTL before jitter; 0: written without expiry
}

type nsSpec struct {
	Namespace
	weight   int     // bulk keys per 1000
	compress float64 // CacheService: share of >1024-char values written with compression
	noTTL    float64 // share of bulk keys written without expiry
	build    func(w *worker, ord int, e *Entry)
}

// Key patterns of the app's key schema (coldcopy-app-facts.md).
const (
	patUser               = "user:<uuid>"
	patWorkspace          = "workspace:<id>"
	patWorkspaceMembers   = "workspace:<id>:members"
	patLead               = "lead:<id>"
	patLeadEnrichment     = "lead:<id>:enrichment"
	patLeadsPage          = "leads:workspace:<ws>:page:<n>"
	patCampaign           = "campaign:<id>"
	patCampaignPerf       = "campaign:<id>:performance"
	patCampaignsWorkspace = "campaigns:workspace:<ws>"
	patAnalyticsWorkspace = "analytics:workspace:<ws>:<period>"
	patAnalyticsCampaign  = "analytics:campaign:<id>:<period>"
	patAnalyticsLead      = "analytics:lead:<id>:engagement"
	patAI                 = "ai:<model>:<first 32 chars of base64(prompt)>"
	patSmartReply         = "smart-reply:<messageId>"
	patLinkedIn           = "linkedin:profile:<id>"
	patTwitter            = "twitter:profile:<id>"
	patHubSpot            = "hubspot:contact:<id>"
	patDelivDomain        = "deliverability:domain:<domain>"
	patDelivSpam          = "deliverability:spam:<hash>"
	patDelivMetrics       = "deliverability:metrics:<ws>"
	patIntent             = "intent:<ws>:<lead>"
	patVisitors           = "visitors:<ws>:<date>"
	patMethod             = "method:<Class>:<method>:<JSON of args>"
	patAPI                = "api:<path>:<query>[:<header>:<value>]"
	patLeadScore          = "coldcopy:lead_score:<ws>:<lead>"
	patCampaignAnalytics  = "coldcopy:campaign_analytics:<ws>:<id>"
	patWorkspaceDashboard = "coldcopy:workspace_dashboard:<ws>"
	patRaw                = "cache:raw:<codec>:<n>"
	patTemp               = "temp:<kind>:<id>"

	// Fixed keys only.
	patAwkward       = "awkward"
	patCampaignQueue = "campaign:<id>:queue"
	patCampaignStats = "campaign:<id>:stats"
	patLeadTags      = "lead:<id>:tags"
	patLeadsScores   = "leads:workspace:<ws>:scores"
	patIntentRanking = "intent:<ws>:ranking"
	patIntentEvents  = "intent:<ws>:events"
	patVisitorsLive  = "visitors:<ws>:stream"
	patDelivBlock    = "deliverability:blocklist:<ws>"
	patDelivEvents   = "deliverability:events:<ws>"
	patSmartQueue    = "smart-reply:queue:<ws>"
	patTopCampaigns  = "analytics:workspace:<ws>:top-campaigns"
	patBilling       = "billing:<kind>:<id>"
	patPayment       = "payment:<kind>:<id>"
	patAuthToken     = "auth:token:<id>"
	patAuthSession   = "auth:session:<id>"
	patSession       = "session:<id>"
	patWebhook       = "webhook:payload:<id>"
	patAudit         = "audit:log:<id>"
	patCollab        = "collab:doc:<id>:presence"
)

const (
	minute = time.Minute
	hour   = time.Hour
	day    = 24 * time.Hour
	// defaultTTL is CacheService's SETEX default, used where the strategy table says nothing.
	defaultTTL = time.Hour
	// leaked: CacheService keys written without expiry by an older release (plain SET).
	leaked = 0.05
)

// namespaces is the dataset's table. Weights sum to 1000.
var namespaces = []nsSpec{
	{Namespace{patUser, WriterCacheService, 5 * minute}, 98, 0.5, leaked, buildUser},
	{Namespace{patWorkspace, WriterCacheService, 5 * minute}, 15, 0.5, leaked, buildWorkspace},
	{Namespace{patWorkspaceMembers, WriterCacheService, 5 * minute}, 15, 0, leaked, buildMembers},
	{Namespace{patLead, WriterCacheService, defaultTTL}, 208, 0.5, leaked, buildLead},
	{Namespace{patLeadEnrichment, WriterCacheService, 7 * day}, 100, 0.6, leaked, buildEnrichment},
	{Namespace{patLeadsPage, WriterCacheService, 5 * minute}, 30, 0.6, leaked, buildLeadsPage},
	{Namespace{patCampaign, WriterCacheService, 5 * minute}, 40, 0.3, leaked, buildCampaign},
	{Namespace{patCampaignPerf, WriterCacheService, 5 * minute}, 30, 0.5, leaked, buildCampaignPerf},
	{Namespace{patCampaignsWorkspace, WriterCacheService, 5 * minute}, 10, 0.4, leaked, buildCampaignsWorkspace},
	{Namespace{patAnalyticsWorkspace, WriterCacheService, 5 * minute}, 30, 0.4, leaked, buildAnalyticsWorkspace},
	{Namespace{patAnalyticsCampaign, WriterCacheService, 5 * minute}, 30, 0.4, leaked, buildAnalyticsCampaign},
	{Namespace{patAnalyticsLead, WriterCacheService, 5 * minute}, 40, 0.4, leaked, buildAnalyticsLead},
	{Namespace{patAI, WriterCacheService, 24 * hour}, 60, 0.5, leaked, buildAI},
	{Namespace{patSmartReply, WriterCacheService, 24 * hour}, 30, 0.5, leaked, buildSmartReply},
	{Namespace{patLinkedIn, WriterCacheService, defaultTTL}, 30, 0.6, leaked, buildLinkedIn},
	{Namespace{patTwitter, WriterCacheService, defaultTTL}, 15, 0.5, leaked, buildTwitter},
	{Namespace{patHubSpot, WriterCacheService, defaultTTL}, 25, 0.5, leaked, buildHubSpot},
	{Namespace{patDelivDomain, WriterCacheService, hour}, 20, 0.5, leaked, buildDelivDomain},
	{Namespace{patDelivSpam, WriterCacheService, hour}, 20, 0.5, leaked, buildDelivSpam},
	{Namespace{patDelivMetrics, WriterCacheService, hour}, 5, 0.5, leaked, buildDelivMetrics},
	{Namespace{patIntent, WriterCacheService, defaultTTL}, 30, 0.5, leaked, buildIntent},
	{Namespace{patVisitors, WriterCacheService, defaultTTL}, 15, 0.4, leaked, buildVisitors},
	{Namespace{patMethod, WriterCacheService, defaultTTL}, 40, 0.3, leaked, buildMethod},
	{Namespace{patAPI, WriterCacheService, 5 * minute}, 40, 0.3, leaked, buildAPI},
	{Namespace{patLeadScore, WriterRedisManager, hour}, 3, 0, 0, buildLeadScore},
	{Namespace{patCampaignAnalytics, WriterRedisManager, 5 * minute}, 1, 0, 0, buildCampaignAnalytics},
	{Namespace{patWorkspaceDashboard, WriterRedisManager, 10 * minute}, 1, 0, 0, buildWorkspaceDashboard},
	{Namespace{patRaw, WriterOtherCache, hour}, 4, 0, 0.5, buildRaw},
	{Namespace{patTemp, WriterCacheService, 10 * minute}, 15, 0, 0.2, buildTemp},

	// Fixed keys only (weight 0).
	{Namespace: Namespace{patAwkward, WriterFixture, 0}},
	{Namespace: Namespace{patCampaignQueue, WriterCacheService, 0}},
	{Namespace: Namespace{patCampaignStats, WriterCacheService, 5 * minute}},
	{Namespace: Namespace{patLeadTags, WriterCacheService, defaultTTL}},
	{Namespace: Namespace{patLeadsScores, WriterCacheService, 5 * minute}},
	{Namespace: Namespace{patIntentRanking, WriterCacheService, defaultTTL}},
	{Namespace: Namespace{patIntentEvents, WriterCacheService, 0}},
	{Namespace: Namespace{patVisitorsLive, WriterCacheService, 0}},
	{Namespace: Namespace{patDelivBlock, WriterCacheService, hour}},
	{Namespace: Namespace{patDelivEvents, WriterCacheService, 0}},
	{Namespace: Namespace{patSmartQueue, WriterCacheService, 0}},
	{Namespace: Namespace{patTopCampaigns, WriterCacheService, 5 * minute}},
	{Namespace: Namespace{patBilling, WriterNeverCache, 0}},
	{Namespace: Namespace{patPayment, WriterNeverCache, 0}},
	{Namespace: Namespace{patAuthToken, WriterNeverCache, hour}},
	{Namespace: Namespace{patAuthSession, WriterNeverCache, 15 * minute}},
	{Namespace: Namespace{patSession, WriterNeverCache, 15 * minute}},
	{Namespace: Namespace{patWebhook, WriterNeverCache, 0}},
	{Namespace: Namespace{patAudit, WriterNeverCache, 0}},
	{Namespace: Namespace{patCollab, WriterNeverCache, 0}},
}

// Namespaces lists every namespace of the dataset with its writer and strategy-table TTL.
func Namespaces() []Namespace {
	out := make([]Namespace, len(namespaces))
	for i, ns := range namespaces {
		out[i] = ns.Namespace
	}
	return out
}

// BulkNamespaces lists the namespaces the generated bulk draws from; every one of them appears in
// a dataset of at least 5000 keys.
func BulkNamespaces() []Namespace {
	var out []Namespace
	for _, ns := range namespaces {
		if ns.weight > 0 {
			out = append(out, ns.Namespace)
		}
	}
	return out
}

func nsIndex(pattern string) int {
	for i, ns := range namespaces {
		if ns.Pattern == pattern {
			return i
		}
	}
	panic("seed: unknown namespace " + pattern)
}

// ---- key helpers ----

func (w *worker) keyWorkspace(ord int) { w.key = w.p.ids.workspaceID(w.key, ord) }

// randomWorkspace is a workspace ordinal drawn from the dataset's workspaces.
func (w *worker) randomWorkspace() int { return w.intn(w.p.workspaces) }

func (w *worker) kws(k string, ord int) {
	w.tmp = w.p.ids.workspaceID(w.tmp[:0], ord)
	w.kraw(k, w.tmp)
}

func (w *worker) klead(k string, ord int) {
	w.tmp = w.p.ids.leadID(w.tmp[:0], ord)
	w.kraw(k, w.tmp)
}

func (w *worker) kcampaign(k string, ord int) {
	w.tmp = w.p.ids.campaignID(w.tmp[:0], ord)
	w.kraw(k, w.tmp)
}

func (w *worker) kuser(k string, ord int) {
	w.tmp = w.p.ids.userID(w.tmp[:0], ord)
	w.kraw(k, w.tmp)
}

// periodName gives distinct period names for ordinals 0, 1, 2, …
func appendPeriod(dst []byte, i int) []byte {
	named := [...]string{"daily", "weekly", "monthly", "7d", "30d", "90d", "ytd"}
	if i < len(named) {
		return append(dst, named[i]...)
	}
	dst = append(dst, "daily:"...)
	return appendDate(dst, epoch.AddDate(0, 0, -(i-len(named))))
}

// ---- value builders ----

func (w *worker) person(first, last string) {
	w.j.kstr("firstName", first)
	w.j.kstr("lastName", last)
}

func buildUser(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "user:"...)
	w.key = w.p.ids.userID(w.key, ord)
	first, last, company := w.pick(firstNames), w.pick(lastNames), w.company()
	j := &w.j
	j.obj()
	w.kuser("id", ord)
	w.tmp = w.appendEmail(w.tmp[:0], first, last, company)
	j.kbytes("email", w.tmp)
	j.kstr("fullName", first+" "+last)
	w.j.key("avatarUrl")
	w.tmp = append(w.tmp[:0], "https://avatars.coldcopy.cc/"...)
	w.tmp = w.p.ids.userID(w.tmp, ord)
	w.tmp = append(w.tmp, ".png"...)
	w.rawStr(w.tmp)
	j.kstr("role", w.pick(roles))
	w.kws("workspaceId", w.randomWorkspace())
	j.kstr("timezone", w.pick([]string{"America/New_York", "Europe/Berlin", "Europe/London", "Asia/Tokyo", "America/Los_Angeles"}))
	j.kstr("locale", w.pick([]string{"en-US", "en-GB", "de-DE", "fr-FR", "es-ES"}))
	j.kbool("onboardingCompleted", w.chance(0.8))
	j.key("preferences")
	j.obj()
	j.kbool("emailNotifications", w.chance(0.7))
	j.kbool("weeklyDigest", w.chance(0.5))
	j.kstr("theme", w.pick([]string{"light", "dark", "system"}))
	j.endObj()
	w.kago("lastLoginAt", 14*day)
	w.kago("createdAt", 700*day)
	w.kago("updatedAt", 30*day)
	j.endObj()
}

func buildWorkspace(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "workspace:"...)
	w.keyWorkspace(ord)
	name := w.company()
	j := &w.j
	j.obj()
	w.kws("id", ord)
	j.kstr("name", name)
	w.tmp = appendSlug(w.tmp[:0], name, '-')
	j.kbytes("slug", w.tmp)
	j.kstr("plan", w.pick(plans))
	w.kuser("ownerId", w.intn(1<<20))
	seats := w.between(1, 50)
	j.kint("seats", seats)
	j.kint("usedSeats", w.between(1, seats))
	w.tmp = w.appendDomain(w.tmp[:0], name)
	j.kbytes("domain", w.tmp)
	j.key("settings")
	j.obj()
	j.kint("dailySendLimit", 50*w.between(1, 20))
	j.kbool("trackOpens", w.chance(0.8))
	j.kbool("trackClicks", w.chance(0.6))
	j.kstr("timezone", w.pick([]string{"America/New_York", "Europe/Berlin", "UTC"}))
	j.kstr("signature", "Best,\n"+w.pick(firstNames)+"\n"+name)
	j.endObj()
	w.kago("createdAt", 900*day)
	w.kago("updatedAt", 10*day)
	j.endObj()
}

func buildMembers(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "workspace:"...)
	w.keyWorkspace(ord)
	w.key = append(w.key, ":members"...)
	n := w.between(2, 12)
	if ord%2 == 0 {
		e.Kind = KindSet
		for range n {
			e.Items = append(e.Items, string(w.p.ids.userID(nil, w.intn(1<<20))))
		}
		e.Items = dedupe(e.Items)
		return
	}
	e.Kind = KindHash
	seen := map[int]bool{}
	for range n {
		u := w.intn(1 << 20)
		if seen[u] {
			continue
		}
		seen[u] = true
		w.j.reset()
		w.j.obj()
		w.j.kstr("role", w.pick(roles))
		w.kago("joinedAt", 400*day)
		w.j.endObj()
		e.Items = append(e.Items, string(w.p.ids.userID(nil, u)), string(w.j.b))
	}
}

func dedupe(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func (w *worker) leadBody(ord int, wsOrd int) {
	first, last, company := w.pick(firstNames), w.pick(lastNames), w.company()
	j := &w.j
	j.obj()
	w.klead("id", ord)
	w.kws("workspaceId", wsOrd)
	w.tmp = w.appendEmail(w.tmp[:0], first, last, company)
	j.kbytes("email", w.tmp)
	w.person(first, last)
	j.kstr("fullName", first+" "+last)
	j.kstr("company", company)
	w.tmp = w.appendDomain(w.tmp[:0], company)
	j.kbytes("companyDomain", w.tmp)
	j.kstr("title", w.pick(titles))
	if w.chance(0.4) {
		j.kstr("phone", "+1"+strconv.Itoa(2000000000+w.intn(7999999999)))
	} else {
		j.knull("phone")
	}
	w.tmp = append(w.tmp[:0], "https://www.linkedin.com/in/"...)
	w.tmp = appendSlug(w.tmp, first, 0)
	w.tmp = append(w.tmp, '-')
	w.tmp = appendSlug(w.tmp, last, 0)
	j.kbytes("linkedinUrl", w.tmp)
	j.kstr("status", w.pick(leadStatuses))
	j.kint("score", w.intn(101))
	j.key("tags")
	j.arr()
	for range w.intn(4) {
		j.str(w.pick(tags))
	}
	j.endArr()
	j.key("customFields")
	j.obj()
	j.kstr("source", w.pick([]string{"csv_import", "hubspot", "linkedin", "manual", "api"}))
	j.kstr("industry", w.pick(industries))
	j.endObj()
	if w.chance(0.6) {
		w.kago("lastContactedAt", 60*day)
	} else {
		j.knull("lastContactedAt")
	}
	w.kago("createdAt", 365*day)
	w.kago("updatedAt", 20*day)
	j.endObj()
}

func buildLead(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "lead:"...)
	w.key = w.p.ids.leadID(w.key, ord)
	w.leadBody(ord, w.randomWorkspace())
}

func buildEnrichment(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "lead:"...)
	w.key = w.p.ids.leadID(w.key, ord)
	w.key = append(w.key, ":enrichment"...)
	w.id1 = w.p.ids.leadID(w.id1[:0], ord)
	w.enrichmentBody(w.id1)
}

func (w *worker) enrichmentBody(leadID []byte) {
	first, last, company := w.pick(firstNames), w.pick(lastNames), w.company()
	j := &w.j
	j.obj()
	w.kraw("leadId", leadID)
	j.kstr("provider", w.pick([]string{"apollo", "clearbit", "hunter", "peopledatalabs"}))
	j.kfixed("confidence", float64(50+w.intn(50))/100, 2)
	j.key("person")
	j.obj()
	j.kstr("fullName", first+" "+last)
	j.kstr("title", w.pick(titles))
	j.kstr("seniority", w.pick([]string{"c_suite", "vp", "director", "manager", "senior", "entry"}))
	j.kstr("department", w.pick([]string{"sales", "marketing", "engineering", "operations", "executive"}))
	j.kstr("location", w.pick(cities))
	w.tmp = append(w.tmp[:0], '@')
	w.tmp = appendSlug(w.tmp, first, 0)
	w.tmp = appendSlug(w.tmp, last, 0)
	j.kbytes("twitterHandle", w.tmp)
	j.endObj()
	j.key("company")
	j.obj()
	j.kstr("name", company)
	w.tmp = w.appendDomain(w.tmp[:0], company)
	j.kbytes("domain", w.tmp)
	j.kstr("industry", w.pick(industries))
	j.kint("employees", w.between(5, 20000))
	j.kstr("revenueRange", w.pick([]string{"$1M-$10M", "$10M-$50M", "$50M-$100M", "$100M-$500M", "$500M+"}))
	j.kint("founded", w.between(1950, 2023))
	j.kstr("location", w.pick(cities))
	j.key("technologies")
	j.arr()
	for range w.between(2, 8) {
		j.str(w.pick(technologies))
	}
	j.endArr()
	j.key("fundingRounds")
	j.arr()
	for i := range w.intn(4) {
		j.obj()
		j.kstr("round", []string{"seed", "series_a", "series_b", "series_c", "series_d"}[i])
		j.kint("amountUsd", 500_000*w.between(1, 200))
		w.kago("announcedAt", 2000*day)
		j.endObj()
	}
	j.endArr()
	j.kstr("description", w.pick(sentences))
	j.endObj()
	j.key("employmentHistory")
	j.arr()
	for range w.between(0, 4) {
		j.obj()
		j.kstr("company", w.company())
		j.kstr("title", w.pick(titles))
		w.kago("startDate", 3000*day)
		if w.chance(0.7) {
			w.kago("endDate", 400*day)
		} else {
			j.knull("endDate")
		}
		j.endObj()
	}
	j.endArr()
	j.key("emails")
	j.arr()
	j.obj()
	w.tmp = w.appendEmail(w.tmp[:0], first, last, company)
	j.kbytes("email", w.tmp)
	j.kstr("status", w.pick([]string{"valid", "accept_all", "unknown"}))
	j.endObj()
	j.endArr()
	w.kago("fetchedAt", 7*day)
	j.endObj()
}

func buildLeadsPage(w *worker, ord int, e *Entry) {
	ws, page := ord%w.p.workspaces, ord/w.p.workspaces+1
	w.key = append(w.key, "leads:workspace:"...)
	w.keyWorkspace(ws)
	w.key = append(w.key, ":page:"...)
	w.key = appendInt(w.key, page)
	size := []int{10, 10, 20, 25}[w.intn(4)]
	total := page*size + w.intn(500)
	j := &w.j
	j.obj()
	j.key("data")
	j.arr()
	for range size {
		first, last, company := w.pick(firstNames), w.pick(lastNames), w.company()
		j.obj()
		w.klead("id", w.intn(1<<24))
		w.tmp = w.appendEmail(w.tmp[:0], first, last, company)
		j.kbytes("email", w.tmp)
		j.kstr("fullName", first+" "+last)
		j.kstr("company", company)
		j.kstr("status", w.pick(leadStatuses))
		j.kint("score", w.intn(101))
		j.endObj()
	}
	j.endArr()
	j.kint("page", page)
	j.kint("pageSize", size)
	j.kint("total", total)
	j.kbool("hasMore", page*size < total)
	j.endObj()
}

func buildCampaign(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "campaign:"...)
	w.key = w.p.ids.campaignID(w.key, ord)
	j := &w.j
	j.obj()
	w.kcampaign("id", ord)
	w.kws("workspaceId", w.randomWorkspace())
	j.kstr("name", w.pick([]string{"Q4 Outbound", "Webinar follow-up", "Enterprise ABM", "Re-engagement", "Product launch", "Churned users"})+" #"+strconv.Itoa(w.between(1, 40)))
	j.kstr("status", w.pick(campaignStatuses))
	j.kstr("type", w.pick([]string{"sequence", "one_off", "ab_test"}))
	j.kstr("fromEmail", "sales@"+string(w.appendDomain(nil, w.company())))
	j.key("steps")
	j.arr()
	for i := range w.between(1, 4) {
		j.obj()
		j.kint("step", i+1)
		j.kint("delayDays", i*w.between(2, 4))
		j.kstr("subject", w.pick([]string{"Quick question", "Re: {{company}}", "Idea for {{firstName}}", "Following up"}))
		j.kstr("body", "Hi {{firstName}}, "+w.pick(sentences)+" "+w.pick(sentences))
		j.endObj()
	}
	j.endArr()
	j.kint("dailyLimit", 25*w.between(1, 20))
	j.key("schedule")
	j.obj()
	j.kstr("timezone", "America/New_York")
	j.key("days")
	j.arr()
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
		j.str(d)
	}
	j.endArr()
	j.kstr("start", "09:00")
	j.kstr("end", "17:00")
	j.endObj()
	w.kago("createdAt", 200*day)
	w.kago("updatedAt", 5*day)
	j.endObj()
}

func (w *worker) funnel(sent int) {
	j := &w.j
	delivered := sent - w.intn(sent/20+1)
	opened := w.intn(delivered/2 + 1)
	clicked := w.intn(opened/3 + 1)
	replied := w.intn(opened/4 + 1)
	j.kint("sent", sent)
	j.kint("delivered", delivered)
	j.kint("opened", opened)
	j.kint("clicked", clicked)
	j.kint("replied", replied)
	j.kint("bounced", sent-delivered)
	if sent > 0 {
		j.kfixed("openRate", float64(opened)/float64(sent), 4)
		j.kfixed("replyRate", float64(replied)/float64(sent), 4)
	}
}

func buildCampaignPerf(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "campaign:"...)
	w.key = w.p.ids.campaignID(w.key, ord)
	w.key = append(w.key, ":performance"...)
	j := &w.j
	j.obj()
	w.kcampaign("campaignId", ord)
	w.funnel(w.between(1, 20000))
	j.kint("unsubscribed", w.intn(30))
	w.kago("updatedAt", hour)
	j.endObj()
}

func buildCampaignsWorkspace(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "campaigns:workspace:"...)
	w.keyWorkspace(ord)
	j := &w.j
	j.obj()
	j.key("campaigns")
	j.arr()
	n := w.between(1, 15)
	for range n {
		j.obj()
		w.kcampaign("id", w.intn(w.p.campaigns))
		j.kstr("name", w.pick([]string{"Q4 Outbound", "Webinar follow-up", "Enterprise ABM", "Re-engagement"}))
		j.kstr("status", w.pick(campaignStatuses))
		j.kint("sent", w.intn(20000))
		j.kfixed("replyRate", float64(w.intn(2000))/10000, 4)
		j.endObj()
	}
	j.endArr()
	j.kint("total", n)
	j.endObj()
}

func (w *worker) series(points int) {
	j := &w.j
	j.key("series")
	j.arr()
	for i := range points {
		j.obj()
		j.key("date")
		w.tmp = appendDate(w.tmp[:0], epoch.AddDate(0, 0, -i))
		w.rawStr(w.tmp)
		sent := w.intn(3000)
		j.kint("sent", sent)
		j.kint("opened", w.intn(sent/2+1))
		j.kint("replied", w.intn(sent/20+1))
		j.endObj()
	}
	j.endArr()
}

func buildAnalyticsWorkspace(w *worker, ord int, e *Entry) {
	ws, pi := ord%w.p.workspaces, ord/w.p.workspaces
	w.key = append(w.key, "analytics:workspace:"...)
	w.keyWorkspace(ws)
	w.key = append(w.key, ':')
	w.key = appendPeriod(w.key, pi)
	j := &w.j
	j.obj()
	w.kws("workspaceId", ws)
	w.tmp = appendPeriod(w.tmp[:0], pi)
	j.kbytes("period", w.tmp)
	j.key("totals")
	j.obj()
	w.funnel(w.between(100, 100000))
	j.kint("meetings", w.intn(200))
	j.endObj()
	w.series(w.between(3, 30))
	j.endObj()
}

func buildAnalyticsCampaign(w *worker, ord int, e *Entry) {
	c, pi := ord%w.p.campaigns, ord/w.p.campaigns
	w.key = append(w.key, "analytics:campaign:"...)
	w.key = w.p.ids.campaignID(w.key, c)
	w.key = append(w.key, ':')
	w.key = appendPeriod(w.key, pi)
	j := &w.j
	j.obj()
	w.kcampaign("campaignId", c)
	w.tmp = appendPeriod(w.tmp[:0], pi)
	j.kbytes("period", w.tmp)
	j.key("totals")
	j.obj()
	w.funnel(w.between(10, 20000))
	j.endObj()
	w.series(w.between(1, 30))
	j.endObj()
}

func buildAnalyticsLead(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "analytics:lead:"...)
	w.key = w.p.ids.leadID(w.key, ord)
	w.key = append(w.key, ":engagement"...)
	j := &w.j
	j.obj()
	w.klead("leadId", ord)
	j.kint("opens", w.intn(30))
	j.kint("clicks", w.intn(10))
	j.kint("replies", w.intn(3))
	w.kago("lastOpenedAt", 30*day)
	j.key("events")
	j.arr()
	for range w.intn(12) {
		j.obj()
		j.kstr("type", w.pick([]string{"open", "click", "reply", "bounce", "unsubscribe"}))
		w.kago("at", 60*day)
		w.kcampaign("campaignId", w.intn(w.p.campaigns))
		j.endObj()
	}
	j.endArr()
	j.endObj()
}

func buildAI(w *worker, ord int, e *Entry) {
	model := w.pick(aiModels)
	// The prompt starts with a per-key id: the app keys on the first 32 base64 characters, that
	// is the first 24 bytes of the prompt, and two prompts sharing those would share the key.
	prompt := make([]byte, 0, 160)
	prompt = append(prompt, "Lead "...)
	prompt = w.p.ids.hex8(prompt, saltPrompt, ord)
	prompt = append(prompt, " ("...)
	prompt = append(prompt, w.pick(titles)...)
	prompt = append(prompt, " at "...)
	prompt = append(prompt, w.company()...)
	prompt = append(prompt, "): write a short, friendly cold email about "...)
	prompt = append(prompt, w.pick(technologies)...)
	b64 := base64.StdEncoding.AppendEncode(nil, prompt)
	w.key = append(w.key, "ai:"...)
	w.key = append(w.key, model...)
	w.key = append(w.key, ':')
	w.key = append(w.key, b64[:32]...)
	j := &w.j
	j.obj()
	j.kstr("model", model)
	j.key("content")
	w.tmp = append(w.tmp[:0], "Hi "...)
	w.tmp = append(w.tmp, w.pick(firstNames)...)
	w.tmp = append(w.tmp, ",\n\n"...)
	for range w.between(2, 12) {
		w.tmp = append(w.tmp, w.pick(sentences)...)
		w.tmp = append(w.tmp, ' ')
	}
	w.tmp = append(w.tmp, "\n\nBest,\n"...)
	w.tmp = append(w.tmp, w.pick(firstNames)...)
	j.strBytes(w.tmp)
	j.key("usage")
	j.obj()
	pt, ct := w.between(40, 400), w.between(60, 600)
	j.kint("promptTokens", pt)
	j.kint("completionTokens", ct)
	j.kint("totalTokens", pt+ct)
	j.endObj()
	j.kstr("finishReason", "stop")
	w.kago("cachedAt", 20*hour)
	j.endObj()
}

func buildSmartReply(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "smart-reply:<CA"...)
	w.key = w.p.ids.hex16(w.key, saltMessage, ord)
	w.key = append(w.key, "@mail.gmail.com>"...)
	j := &w.j
	j.obj()
	j.kstr("messageId", string(w.key[len("smart-reply:"):]))
	j.kstr("intent", w.pick(intents))
	j.kstr("sentiment", w.pick(sentiments))
	j.kfixed("confidence", float64(w.between(40, 99))/100, 2)
	j.key("suggestions")
	j.arr()
	for range 3 {
		w.tmp = append(w.tmp[:0], w.pick(sentences)...)
		if w.chance(0.5) {
			w.tmp = append(w.tmp, ' ')
			w.tmp = append(w.tmp, w.pick(sentences)...)
		}
		j.strBytes(w.tmp)
	}
	j.endArr()
	w.kago("generatedAt", 20*hour)
	j.endObj()
}

func buildLinkedIn(w *worker, ord int, e *Entry) {
	first, last := w.pick(firstNames), w.pick(lastNames)
	slug := appendSlug(nil, first, 0)
	slug = append(slug, '-')
	slug = appendSlug(slug, last, 0)
	slug = append(slug, '-')
	slug = w.p.ids.hex8(slug, saltProfile, ord)
	w.key = append(w.key, "linkedin:profile:"...)
	w.key = append(w.key, slug...)
	j := &w.j
	j.obj()
	w.kraw("id", slug)
	w.kraw("url", append([]byte("https://www.linkedin.com/in/"), slug...))
	j.kstr("fullName", first+" "+last)
	j.kstr("headline", w.pick(titles)+" at "+w.company())
	j.kstr("location", w.pick(cities))
	j.kint("connections", w.intn(501))
	j.kint("followers", w.intn(20000))
	j.kstr("about", w.pick(sentences)+" "+w.pick(sentences))
	j.key("experience")
	j.arr()
	for range w.between(1, 5) {
		j.obj()
		j.kstr("title", w.pick(titles))
		j.kstr("company", w.company())
		w.kago("start", 3000*day)
		j.endObj()
	}
	j.endArr()
	j.key("skills")
	j.arr()
	for range w.between(0, 10) {
		j.str(w.pick([]string{"Sales", "SaaS", "Negotiation", "Lead Generation", "CRM", "B2B", "Go-to-market", "Leadership"}))
	}
	j.endArr()
	w.kago("scrapedAt", 2*day)
	j.endObj()
}

func buildTwitter(w *worker, ord int, e *Entry) {
	id := w.p.ids.id64(saltProfile+100, uint64(ord))
	w.key = append(w.key, "twitter:profile:"...)
	w.key = strconv.AppendUint(w.key, id, 10)
	first, last := w.pick(firstNames), w.pick(lastNames)
	j := &w.j
	j.obj()
	// Twitter ids exceed 2^53: the API sends them as strings, and so does the app.
	j.kstr("id", strconv.FormatUint(id, 10))
	w.tmp = appendSlug(w.tmp[:0], first, 0)
	w.tmp = append(w.tmp, '_')
	w.tmp = appendSlug(w.tmp, last, 0)
	j.kbytes("handle", w.tmp)
	j.kstr("name", first+" "+last)
	j.kstr("bio", w.pick(titles)+". "+w.pick(sentences))
	j.kint("followers", w.intn(100000))
	j.kint("following", w.intn(5000))
	j.kint("tweets", w.intn(40000))
	j.kbool("verified", w.chance(0.05))
	j.kstr("location", w.pick(cities))
	w.kago("createdAt", 4000*day)
	j.endObj()
}

func buildHubSpot(w *worker, ord int, e *Entry) {
	id := 100000 + int(w.p.ids.id32(saltContact, uint64(ord)))
	w.key = append(w.key, "hubspot:contact:"...)
	w.key = appendInt(w.key, id)
	first, last, company := w.pick(firstNames), w.pick(lastNames), w.company()
	j := &w.j
	j.obj()
	j.kstr("id", strconv.Itoa(id))
	j.key("properties")
	j.obj()
	w.tmp = w.appendEmail(w.tmp[:0], first, last, company)
	j.kbytes("email", w.tmp)
	j.kstr("firstname", first)
	j.kstr("lastname", last)
	j.kstr("company", company)
	j.kstr("jobtitle", w.pick(titles))
	j.kstr("lifecyclestage", w.pick([]string{"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"}))
	j.kstr("hs_lead_status", w.pick([]string{"NEW", "OPEN", "IN_PROGRESS", "CONNECTED", "UNQUALIFIED"}))
	w.kago("createdate", 800*day)
	w.kago("lastmodifieddate", 20*day)
	j.endObj()
	w.kago("createdAt", 800*day)
	w.kago("updatedAt", 20*day)
	j.kbool("archived", false)
	j.endObj()
}

func buildDelivDomain(w *worker, ord int, e *Entry) {
	dom := appendSlug(nil, w.pick(companyA), 0)
	dom = append(dom, '-')
	dom = strconv.AppendInt(dom, int64(ord), 36)
	dom = append(dom, w.pick(tlds)...)
	w.key = append(w.key, "deliverability:domain:"...)
	w.key = append(w.key, dom...)
	j := &w.j
	j.obj()
	w.kraw("domain", dom)
	j.kstr("reputation", w.pick([]string{"high", "medium", "low", "bad"}))
	j.kint("score", w.intn(101))
	j.key("spf")
	j.obj()
	j.kbool("valid", w.chance(0.9))
	j.kstr("record", "v=spf1 include:_spf.google.com include:sendgrid.net ~all")
	j.endObj()
	j.key("dkim")
	j.obj()
	j.kbool("valid", w.chance(0.85))
	j.kstr("selector", w.pick([]string{"google", "s1", "k1", "default"}))
	j.endObj()
	j.key("dmarc")
	j.obj()
	j.kbool("valid", w.chance(0.7))
	j.kstr("policy", w.pick([]string{"none", "quarantine", "reject"}))
	j.endObj()
	j.key("blacklists")
	j.arr()
	if w.chance(0.1) {
		j.str(w.pick([]string{"spamhaus", "barracuda", "spamcop", "sorbs"}))
	}
	j.endArr()
	w.kago("checkedAt", hour)
	j.endObj()
}

func buildDelivSpam(w *worker, ord int, e *Entry) {
	w.tmp = w.p.ids.hex16(w.tmp[:0], saltSpam, ord)
	w.tmp = w.p.ids.hex16(w.tmp, saltSpam+100, ord)
	w.key = append(w.key, "deliverability:spam:"...)
	w.key = append(w.key, w.tmp...)
	j := &w.j
	j.obj()
	w.kraw("hash", w.tmp)
	score := float64(w.intn(100)) / 10
	j.kfixed("score", score, 1)
	j.kbool("isSpam", score >= 5)
	j.key("rules")
	j.arr()
	for range w.intn(6) {
		j.obj()
		j.kstr("name", w.pick(spamRules))
		j.kfixed("score", float64(w.intn(30))/10, 1)
		j.endObj()
	}
	j.endArr()
	w.kago("checkedAt", hour)
	j.endObj()
}

func buildDelivMetrics(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "deliverability:metrics:"...)
	w.keyWorkspace(ord)
	j := &w.j
	j.obj()
	w.kws("workspaceId", ord)
	j.kfixed("inboxRate", float64(w.between(700, 999))/1000, 3)
	j.kfixed("spamRate", float64(w.intn(100))/1000, 3)
	j.kfixed("bounceRate", float64(w.intn(80))/1000, 3)
	j.key("domains")
	j.arr()
	for range w.between(1, 5) {
		j.obj()
		w.tmp = w.appendDomain(w.tmp[:0], w.company())
		j.kbytes("domain", w.tmp)
		sent := w.intn(50000)
		j.kint("sent", sent)
		j.kint("bounced", w.intn(sent/30+1))
		j.endObj()
	}
	j.endArr()
	w.kago("updatedAt", hour)
	j.endObj()
}

func buildIntent(w *worker, ord int, e *Entry) {
	ws := w.randomWorkspace()
	w.key = append(w.key, "intent:"...)
	w.keyWorkspace(ws)
	w.key = append(w.key, ':')
	w.key = w.p.ids.leadID(w.key, ord)
	j := &w.j
	j.obj()
	w.kws("workspaceId", ws)
	w.klead("leadId", ord)
	score := w.intn(101)
	j.kint("score", score)
	j.kstr("level", []string{"cold", "warm", "hot"}[score*3/101])
	j.key("signals")
	j.arr()
	for range w.between(1, 6) {
		j.obj()
		j.kstr("type", w.pick(signalTypes))
		j.kint("weight", w.between(1, 10))
		w.kago("at", 30*day)
		j.endObj()
	}
	j.endArr()
	j.key("topics")
	j.arr()
	for range w.intn(4) {
		j.str(w.pick(technologies))
	}
	j.endArr()
	w.kago("updatedAt", 2*hour)
	j.endObj()
}

func buildVisitors(w *worker, ord int, e *Entry) {
	ws, d := ord%w.p.workspaces, ord/w.p.workspaces
	date := appendDate(nil, epoch.AddDate(0, 0, -d))
	w.key = append(w.key, "visitors:"...)
	w.keyWorkspace(ws)
	w.key = append(w.key, ':')
	w.key = append(w.key, date...)
	j := &w.j
	j.obj()
	w.kws("workspaceId", ws)
	w.kraw("date", date)
	n := w.between(1, 12)
	j.kint("total", n+w.intn(200))
	j.kint("identified", n)
	j.key("visitors")
	j.arr()
	for range n {
		c := w.company()
		j.obj()
		j.kstr("company", c)
		w.tmp = w.appendDomain(w.tmp[:0], c)
		j.kbytes("domain", w.tmp)
		j.key("pages")
		j.arr()
		for range w.between(1, 4) {
			j.str(w.pick(visitorPages))
		}
		j.endArr()
		j.kint("durationSec", w.intn(900))
		w.kago("firstSeen", day)
		j.endObj()
	}
	j.endArr()
	j.endObj()
}

func buildMethod(w *worker, ord int, e *Entry) {
	mc := methodClasses[ord%len(methodClasses)]
	page := ord/len(methodClasses) + 1
	ws := w.randomWorkspace()
	w.key = append(w.key, "method:"...)
	w.key = append(w.key, mc.class...)
	w.key = append(w.key, ':')
	w.key = append(w.key, mc.method...)
	w.key = append(w.key, `:["`...)
	w.key = w.p.ids.workspaceID(w.key, ws)
	w.key = append(w.key, `",{"page":`...)
	w.key = appendInt(w.key, page)
	w.key = append(w.key, `,"limit":25`...)
	if w.chance(0.3) {
		w.key = append(w.key, `,"search":"`...)
		w.key = append(w.key, w.pick(lastNames)...) // O'Brien brings a quote into the key
		w.key = append(w.key, ` `...)
		w.key = append(w.key, w.pick(companyB)...)
		w.key = append(w.key, '"')
	}
	w.key = append(w.key, `}]`...)
	j := &w.j
	j.obj()
	j.key("items")
	j.arr()
	for range w.intn(8) {
		j.obj()
		w.klead("id", w.intn(1<<24))
		j.kint("score", w.intn(101))
		j.endObj()
	}
	j.endArr()
	j.kint("total", w.intn(5000))
	j.kint("page", page)
	j.endObj()
}

func buildAPI(w *worker, ord int, e *Entry) {
	path := apiPaths[ord%len(apiPaths)]
	page := ord/len(apiPaths) + 1
	ws := w.randomWorkspace()
	w.key = append(w.key, "api:"...)
	w.key = append(w.key, path...)
	w.key = append(w.key, ":workspaceId="...)
	w.key = w.p.ids.workspaceID(w.key, ws)
	w.key = append(w.key, "&page="...)
	w.key = appendInt(w.key, page)
	w.key = append(w.key, "&limit=25"...)
	switch w.intn(5) {
	case 0:
		w.key = append(w.key, ":accept-language:"...)
		w.key = append(w.key, w.pick([]string{"en-US", "de-DE", "fr-FR,fr;q=0.9"})...)
	case 1:
		w.key = append(w.key, ":x-workspace-id:"...)
		w.key = w.p.ids.workspaceID(w.key, ws)
	}
	j := &w.j
	j.obj()
	j.key("body")
	j.obj()
	j.key("data")
	j.arr()
	for range w.intn(10) {
		j.obj()
		w.klead("id", w.intn(1<<24))
		j.kstr("name", w.pick(firstNames)+" "+w.pick(lastNames))
		j.kstr("status", w.pick(leadStatuses))
		j.endObj()
	}
	j.endArr()
	j.kint("page", page)
	j.kint("total", w.intn(5000))
	j.endObj()
	j.kint("status", 200)
	j.key("headers")
	j.obj()
	j.kstr("content-type", "application/json; charset=utf-8")
	w.tmp = w.p.ids.hex16(w.tmp[:0], saltRequest, ord)
	j.kbytes("x-request-id", w.tmp)
	j.kstr("cache-control", "private, max-age=300")
	j.endObj()
	j.endObj()
}

func buildLeadScore(w *worker, ord int, e *Entry) {
	ws := w.randomWorkspace()
	w.key = append(w.key, "coldcopy:lead_score:"...)
	w.keyWorkspace(ws)
	w.key = append(w.key, ':')
	w.key = w.p.ids.leadID(w.key, ord)
	w.id1 = w.p.ids.workspaceID(w.id1[:0], ws)
	w.id2 = w.p.ids.leadID(w.id2[:0], ord)
	w.leadScoreBody(w.id1, w.id2, w.intn(40))
}

func (w *worker) leadScoreBody(wsID, leadID []byte, history int) {
	j := &w.j
	j.obj()
	w.kraw("leadId", leadID)
	w.kraw("workspaceId", wsID)
	score := w.intn(101)
	j.kint("score", score)
	j.kstr("grade", []string{"D", "C", "B", "A"}[score*4/101])
	j.key("factors")
	j.obj()
	j.kint("engagement", w.intn(40))
	j.kint("fit", w.intn(30))
	j.kint("intent", w.intn(20))
	j.kint("recency", w.intn(10))
	j.endObj()
	j.key("history")
	j.arr()
	for range history {
		j.obj()
		j.kint("score", w.intn(101))
		w.kago("at", 90*day)
		j.endObj()
	}
	j.endArr()
	w.kago("computedAt", hour)
	j.endObj()
}

func buildCampaignAnalytics(w *worker, ord int, e *Entry) {
	ws := w.randomWorkspace()
	w.key = append(w.key, "coldcopy:campaign_analytics:"...)
	w.keyWorkspace(ws)
	w.key = append(w.key, ':')
	w.key = w.p.ids.campaignID(w.key, ord)
	j := &w.j
	j.obj()
	w.kcampaign("campaignId", ord)
	w.kws("workspaceId", ws)
	j.key("summary")
	j.obj()
	w.funnel(w.between(100, 50000))
	j.endObj()
	j.key("daily")
	j.arr()
	for i := range w.between(7, 14) {
		j.obj()
		j.key("date")
		w.tmp = appendDate(w.tmp[:0], epoch.AddDate(0, 0, -i))
		w.rawStr(w.tmp)
		w.funnel(w.intn(2000))
		j.endObj()
	}
	j.endArr()
	j.key("topLinks")
	j.arr()
	for range w.intn(4) {
		j.obj()
		j.kstr("url", "https://"+string(w.appendDomain(nil, w.company()))+w.pick(visitorPages))
		j.kint("clicks", w.intn(500))
		j.endObj()
	}
	j.endArr()
	w.kago("computedAt", 5*minute)
	j.endObj()
}

func buildWorkspaceDashboard(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "coldcopy:workspace_dashboard:"...)
	w.keyWorkspace(ord)
	j := &w.j
	j.obj()
	w.kws("workspaceId", ord)
	j.key("leads")
	j.obj()
	j.kint("total", w.intn(100000))
	j.kint("new", w.intn(1000))
	j.kint("contacted", w.intn(10000))
	j.kint("replied", w.intn(2000))
	j.endObj()
	j.key("campaigns")
	j.arr()
	for range w.between(2, 6) {
		j.obj()
		w.kcampaign("id", w.intn(w.p.campaigns))
		j.kstr("status", w.pick(campaignStatuses))
		w.funnel(w.intn(20000))
		j.endObj()
	}
	j.endArr()
	j.key("activity")
	j.arr()
	for range w.between(5, 10) {
		j.obj()
		j.kstr("type", w.pick([]string{"email_sent", "email_opened", "reply_received", "meeting_booked", "lead_imported"}))
		w.klead("leadId", w.intn(1<<24))
		w.kago("at", 2*day)
		j.endObj()
	}
	j.endArr()
	j.key("deliverability")
	j.obj()
	j.kfixed("inboxRate", float64(w.between(700, 999))/1000, 3)
	j.kfixed("bounceRate", float64(w.intn(80))/1000, 3)
	j.endObj()
	w.kago("generatedAt", 10*minute)
	j.endObj()
}

func buildRaw(w *worker, ord int, e *Entry) {
	c := RawCodecs[ord%len(RawCodecs)]
	w.key = append(w.key, "cache:raw:"...)
	w.key = append(w.key, c...)
	w.key = append(w.key, ':')
	w.key = appendInt(w.key, ord/len(RawCodecs))
	var payload []byte
	if c == CodecMsgpack || c == CodecBase64GzipMsgpack {
		payload = w.msgpackLead(ord)
	} else {
		if w.chance(0.5) {
			w.id1 = w.p.ids.leadID(w.id1[:0], w.intn(1<<24))
			w.enrichmentBody(w.id1)
		} else {
			w.leadBody(w.intn(1<<24), w.randomWorkspace())
		}
		payload = bytes.Clone(w.j.b)
	}
	e.Plain = payload
	e.Value = w.enc.raw(c, payload)
	e.Codec = c
}

func buildTemp(w *worker, ord int, e *Entry) {
	w.key = append(w.key, "temp:"...)
	switch ord % 3 {
	case 0:
		w.key = append(w.key, "import:"...)
		w.key = w.p.ids.hex16(w.key, saltTemp, ord)
		w.key = append(w.key, ":progress"...)
		j := &w.j
		j.obj()
		total := w.between(100, 50000)
		j.kint("processed", w.intn(total))
		j.kint("total", total)
		j.kstr("status", w.pick([]string{"running", "queued", "failed"}))
		j.endObj()
	case 1:
		w.key = append(w.key, "export:"...)
		w.key = w.p.ids.hex16(w.key, saltTemp, ord)
		v := []byte("email,first_name,last_name,company\n")
		for range w.between(1, 10) {
			first, last, company := w.pick(firstNames), w.pick(lastNames), w.company()
			v = w.appendEmail(v, first, last, company)
			v = append(v, ',')
			v = append(v, first...)
			v = append(v, ',')
			v = append(v, last...)
			v = append(v, ',')
			v = append(v, company...)
			v = append(v, '\n')
		}
		e.Value, e.Plain, e.Codec = v, v, CodecText
	default:
		w.key = append(w.key, "lock:"...)
		w.key = w.p.ids.hex16(w.key, saltTemp, ord)
		v := []byte(strconv.FormatInt(epoch.UnixMilli()-int64(w.intn(600000)), 10))
		e.Value, e.Plain, e.Codec = v, v, CodecText
	}
}
