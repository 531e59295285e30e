package redisops_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/policy"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
)

// auditTruth is what an audit must find, derived from the seed's own
// entries (their writer, codec, Damaged flag and TTL) and the policy's
// rules, without Redis.
type auditTruth struct {
	keys, noTTL, neverCache, uncompressed, oversize, damaged, ttlAbove int64
}

func expectedAudit(p *policy.Policy, keys int) (map[string]*auditTruth, map[string]int64) {
	writer := map[string]string{}
	for _, ns := range seed.Namespaces() {
		writer[ns.Pattern] = ns.Writer
	}
	byRule := map[string]*auditTruth{}
	unknown := map[string]int64{}
	rules := p.Rules()
	for e := range seed.Generate(seed.Options{Keys: keys}) {
		i := p.Match(e.Key)
		if i < 0 {
			prefix := ""
			if j := strings.Index(e.Key, ":"); j >= 0 {
				prefix = e.Key[:j+1]
			}
			unknown[prefix]++
			continue
		}
		r := rules[i]
		tr := byRule[r.Name]
		if tr == nil {
			tr = &auditTruth{}
			byRule[r.Name] = tr
		}
		tr.keys++
		if writer[e.Namespace] == seed.WriterNeverCache {
			tr.neverCache++
		}
		if r.TTL > 0 && e.TTL == 0 {
			tr.noTTL++
		}
		if r.TTL > 0 && e.TTL > p.TTLLimit(i) {
			tr.ttlAbove++
		}
		if e.Kind != seed.KindString {
			continue
		}
		plain := e.Codec == seed.CodecJSON || e.Codec == seed.CodecText || e.Codec == seed.CodecMsgpack
		if plain && len(e.Value) > int(p.CompressAbove) {
			tr.uncompressed++
		}
		if len(e.Value) > int(p.MaxValue) {
			tr.oversize++
		}
		if e.Damaged {
			tr.damaged++
		}
	}
	return byRule, unknown
}

func findingsOf(r *redisops.AuditReport, kind string) map[string]redisops.Finding {
	out := map[string]redisops.Finding{}
	for _, f := range r.Findings {
		if f.Kind == kind {
			out[f.Namespace] = f
		}
	}
	return out
}

func TestAuditDemoDatasetExact(t *testing.T) {
	const keys = 8000
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	seedInto(t, c.Redis(), keys)
	p := policy.Default()
	want, wantUnknown := expectedAudit(p, keys)

	// The seed's own facts the expectations stand on, so that a change in
	// the seed cannot make this test vacuous.
	var total auditTruth
	for _, tr := range want {
		total.neverCache += tr.neverCache
		total.damaged += tr.damaged
		total.noTTL += tr.noTTL
		total.uncompressed += tr.uncompressed
		total.oversize += tr.oversize
	}
	require.Equal(t, int64(len(seed.NeverCacheKeys())), total.neverCache)
	require.Positive(t, total.damaged)
	require.Positive(t, total.noTTL)
	require.Positive(t, total.uncompressed)
	require.Equal(t, int64(1), total.oversize, "the 2 MiB API value")

	gov := redisops.NewGovernor(c, redisops.GovernorOptions{})
	gov.Start(t.Context())
	defer gov.Stop()
	var progress int
	r, err := c.Audit(context.Background(), redisops.AuditOptions{Policy: p, Governor: gov, Count: 200, Progress: func(redisops.AuditProgress) { progress++ }})
	require.NoError(t, err)
	assert.True(t, r.Exact)
	assert.False(t, r.Cancelled)
	assert.Equal(t, int64(keys), r.ScannedKeys)
	assert.Equal(t, int64(keys), r.AuditedKeys)
	assert.Equal(t, int64(keys), r.TotalKeys)

	got := map[string]redisops.NamespaceAudit{}
	gotUnknown := map[string]int64{}
	for _, ns := range r.Namespaces {
		if ns.Unknown {
			gotUnknown[ns.Prefix] = ns.Keys
			continue
		}
		got[ns.Name] = ns
	}
	assert.Equal(t, wantUnknown, gotUnknown, "unknown namespaces")
	for _, rule := range p.Rules() {
		tr := want[rule.Name]
		if tr == nil {
			tr = &auditTruth{}
		}
		ns := got[rule.Name]
		assert.Equal(t, tr.keys, ns.Keys, "%s: keys", rule.Name)
		assert.Equal(t, tr.noTTL, ns.NoTTL, "%s: no TTL", rule.Name)
		assert.Equal(t, tr.ttlAbove, ns.TTLAbove, "%s: TTL above", rule.Name)
		assert.Equal(t, tr.uncompressed, ns.Uncompressed, "%s: uncompressed", rule.Name)
		assert.Equal(t, tr.oversize, ns.Oversize, "%s: oversize", rule.Name)
		assert.Equal(t, tr.damaged, ns.DamagedLZ, "%s: damaged LZ", rule.Name)
		if rule.NeverCache {
			assert.Equal(t, tr.neverCache, ns.Keys, "%s: never-cache", rule.Name)
		}
		if ns.Keys > 0 {
			assert.Positive(t, ns.Bytes, rule.Name)
		}
	}

	// Findings carry counts, bytes, samples and the fix.
	damaged := findingsOf(r, redisops.FindDamagedLZ)
	require.NotEmpty(t, damaged)
	for name, f := range damaged {
		assert.Equal(t, want[name].damaged, f.Keys, name)
		assert.Positive(t, f.Bytes)
		assert.Equal(t, redisops.FixDamagedLZ, f.Fix)
		assert.NotEmpty(t, f.Sample)
		assert.LessOrEqual(t, len(f.Sample), redisops.DefaultAuditSampleKey)
	}
	damagedKeys := map[string]bool{}
	for e := range seed.Generate(seed.Options{Keys: keys}) {
		damagedKeys[e.Key] = e.Damaged
	}
	for _, f := range damaged {
		for _, k := range f.Sample {
			assert.True(t, damagedKeys[k], "sampled as damaged: %q", k)
		}
	}
	never := findingsOf(r, redisops.FindNeverCache)
	neverRules := 0
	for _, tr := range want {
		if tr.neverCache > 0 {
			neverRules++
		}
	}
	assert.Len(t, never, neverRules)
	for _, f := range never {
		assert.Equal(t, redisops.FindingCritical, f.Severity)
	}
	assert.Equal(t, redisops.FindingCritical, r.Findings[0].Severity, "most serious first")
	assert.Equal(t, []string{seed.KeyLarge}, findingsOf(r, redisops.FindOversize)["API responses"].Sample)
	assert.NotContains(t, findingsOf(r, redisops.FindUncompressed)["lead enrichment"].Sample, seed.KeyCompressedLead)
	for _, f := range findingsOf(r, redisops.FindUnknown) {
		assert.Equal(t, redisops.FindingInfo, f.Severity)
	}
}

func TestAuditTTLAboveAndSampling(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	rdb := c.Redis()
	for i := range 400 {
		k := "user:" + itoa(i)
		switch {
		case i < 10:
			require.NoError(t, rdb.Set(ctx, k, "{}", 30*24*time.Hour).Err()) // far above 5m
		case i < 30:
			require.NoError(t, rdb.Set(ctx, k, "{}", 0).Err()) // no TTL
		default:
			require.NoError(t, rdb.Set(ctx, k, "{}", 5*time.Minute).Err())
		}
	}
	p := policy.Default()
	r, err := c.Audit(ctx, redisops.AuditOptions{Policy: p})
	require.NoError(t, err)
	users := r.Namespaces[p.Match("user:1")]
	assert.Equal(t, int64(400), users.Keys)
	assert.Equal(t, int64(10), users.TTLAbove)
	assert.Equal(t, int64(20), users.NoTTL)
	assert.Greater(t, users.MaxTTL, 29*24*time.Hour)
	f := findingsOf(r, redisops.FindTTLAbove)["user profiles"]
	assert.Contains(t, f.Detail, "5m")
	assert.Equal(t, redisops.FixTTL, f.Fix)
	assert.False(t, f.Estimated)

	// Sampled: key counts stay exact, the rest are estimates.
	r, err = c.Audit(ctx, redisops.AuditOptions{Policy: p, Sample: 0.5})
	require.NoError(t, err)
	assert.False(t, r.Exact)
	users = r.Namespaces[p.Match("user:1")]
	assert.Equal(t, int64(400), users.Keys)
	assert.Less(t, users.Audited, int64(400))
	assert.Positive(t, users.Audited)
	assert.True(t, findingsOf(r, redisops.FindNoTTL)["user profiles"].Estimated)
}

func TestAuditRefusedMemoryUsage(t *testing.T) {
	srv := redistest.Restricted(t)
	admin := connect(t, redisops.ConnOptions{URL: srv.URL(), Password: srv.DefaultPassword})
	require.NoError(t, admin.Redis().Set(context.Background(), "user:1", "{}", 0).Err())
	c := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.NoInfoUser, Password: srv.NoInfoPassword})
	_, err := c.Audit(context.Background(), redisops.AuditOptions{Policy: policy.Default()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MEMORY USAGE denied by ACL")
}

func TestAuditAndFixTTLOnACluster(t *testing.T) {
	const keys = 3000
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	require.True(t, c.IsCluster())
	seedInto(t, c.Redis(), keys)
	p := policy.Default()
	want, _ := expectedAudit(p, keys)

	r, err := c.Audit(context.Background(), redisops.AuditOptions{Policy: p})
	require.NoError(t, err)
	assert.Equal(t, int64(keys), r.ScannedKeys, "every master")
	var noTTL int64
	for _, ns := range r.Namespaces {
		if tr := want[ns.Name]; !ns.Unknown && tr != nil {
			assert.Equal(t, tr.damaged, ns.DamagedLZ, ns.Name)
			assert.Equal(t, tr.noTTL, ns.NoTTL, ns.Name)
			noTTL += ns.NoTTL
		}
	}
	require.Positive(t, noTTL)

	res, err := c.FixTTL(context.Background(), redisops.FixTTLOptions{Policy: p})
	require.NoError(t, err)
	assert.Equal(t, noTTL, res.MissingTTL)
	assert.Equal(t, noTTL, res.Set)
	r, err = c.Audit(context.Background(), redisops.AuditOptions{Policy: p})
	require.NoError(t, err)
	for _, f := range r.Findings {
		assert.NotEqual(t, redisops.FindNoTTL, f.Kind, "%s: %d keys still without TTL", f.Namespace, f.Keys)
	}
}

func TestFixTTLPacedDryRunAndCancel(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	for i := range 120 {
		require.NoError(t, c.Redis().Set(ctx, "user:"+itoa(i), "{}", 0).Err())
	}
	require.NoError(t, c.Redis().Set(ctx, "lead:1:enrichment", "{}", 0).Err())
	p := policy.Default()

	dry, err := c.FixTTL(ctx, redisops.FixTTLOptions{Policy: p, DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, int64(121), dry.MissingTTL)
	assert.Zero(t, dry.Set)
	assert.Equal(t, time.Duration(-1), c.Redis().PTTL(ctx, "user:1").Val(), "a dry run changes nothing")

	// Cancelled before it starts: nothing is changed, the result says so.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	res, err := c.FixTTL(cctx, redisops.FixTTLOptions{Policy: p})
	require.NoError(t, err)
	assert.True(t, res.Cancelled)
	assert.Zero(t, res.Set)

	res, err = c.FixTTL(ctx, redisops.FixTTLOptions{Policy: p, Rate: 1000})
	require.NoError(t, err)
	assert.Equal(t, int64(121), res.Set)
	// lead:1:enrichment belongs to "lead enrichment" (7d), not to "leads"
	// (1h), although lead:* matches it too.
	assert.Greater(t, c.Redis().PTTL(ctx, "lead:1:enrichment").Val(), 6*24*time.Hour)
}
