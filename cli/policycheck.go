package cli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/policy"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
)

// errFindings ends a check that found something: exit 1, the report
// already printed. No verdict (a bad policy, a refused command, a lost
// connection) exits 2, like diff and grep.
type errFindings struct{ n int }

func (e errFindings) Error() string {
	return fmt.Sprintf("%d findings (exit 1)", e.n)
}

// noVerdict marks a failure that left the check without an answer: exit 2,
// so that a runbook never takes it for findings (1) or for clean (0).
func noVerdict(err error) error {
	var ue usageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	return noVerdictError{usageError{err}}
}

// noVerdictError exits 2 like a usage error, but is no mistake in how the
// command was called: it gets no pointer to --help.
type noVerdictError struct{ usageError }

func (e noVerdictError) Unwrap() error { return e.usageError }

// policyCheckJSON is the `cachedeck policy check --json` object.
type policyCheckJSON struct {
	Policy      string              `json:"policy"`
	Server      string              `json:"server"`
	Exact       bool                `json:"exact"`
	Sample      float64             `json:"sample"`
	ScannedKeys int64               `json:"scanned_keys"`
	AuditedKeys int64               `json:"audited_keys"`
	TotalKeys   int64               `json:"total_keys"`
	TotalBytes  int64               `json:"total_bytes"`
	Clean       bool                `json:"clean"`
	Findings    []policyFindingJSON `json:"findings"`
	Namespaces  []policyNSJSON      `json:"namespaces"`
	VanishedKey int64               `json:"vanished_keys"`
	DurationMs  int64               `json:"duration_ms"`
	Cancelled   bool                `json:"cancelled"`
	Notes       []string            `json:"notes,omitempty"`
}

type policyFindingJSON struct {
	Kind      string          `json:"kind"`
	Severity  string          `json:"severity"`
	Namespace string          `json:"namespace"`
	Keys      int64           `json:"keys"`
	Bytes     int64           `json:"bytes"`
	Estimated bool            `json:"estimated"`
	Detail    string          `json:"detail"`
	Sample    []memoryKeyJSON `json:"sample"`
	Fix       string          `json:"fix,omitempty"` // the `cachedeck policy fix` flag that repairs it
}

type policyNSJSON struct {
	Name              string  `json:"name"`
	Unknown           bool    `json:"unknown,omitempty"`
	NeverCache        bool    `json:"never_cache,omitempty"`
	PrefixB64         string  `json:"prefix_b64,omitempty"` // unknown namespaces: exact bytes
	TTLSeconds        float64 `json:"ttl_seconds"`          // the policy's; 0: none required
	Keys              int64   `json:"keys"`
	Audited           int64   `json:"audited"`
	Bytes             int64   `json:"bytes"`
	NoTTL             int64   `json:"no_ttl"`
	TTLAbove          int64   `json:"ttl_above"`
	MinTTLSeconds     float64 `json:"min_ttl_seconds"`
	MaxTTLSeconds     float64 `json:"max_ttl_seconds"`
	Uncompressed      int64   `json:"uncompressed"`
	UncompressedBytes int64   `json:"uncompressed_bytes"`
	Oversize          int64   `json:"oversize"`
	OversizeBytes     int64   `json:"oversize_bytes"`
	DamagedLZ         int64   `json:"damaged_lz"`
	DamagedBytes      int64   `json:"damaged_lz_bytes"`
}

func (a *app) policyCheckCmd() *cobra.Command {
	var (
		policyPath string
		asJSON     bool
		exact      bool
		sample     float64
		budget     time.Duration
		sampleKeys int
	)
	cmd := &cobra.Command{
		Use:   "check [--json] [--exact | --sample F] [--policy FILE] [--budget D]",
		Short: "Audit the live cache against the policy; exit 0 clean, 1 findings, 2 no verdict",
		Long: `check walks the keyspace once with SCAN (paced by the latency governor) and, per
batch, pipelines TYPE, PTTL, MEMORY USAGE, STRLEN and a 3-byte GETRANGE, then a
bounded GETRANGE prefix (4 KiB) of the strings over compress_above and of the small
LZ: values. Per namespace of the policy it counts
keys, bytes, keys without TTL where one is wanted, TTLs above the policy, never-cache
keys, uncompressed strings, values over max_value, damaged LZ: values (dead
weight the app cannot read) and keys no rule matches. Each finding lists sample keys
and, where one exists, the 'cachedeck policy fix' that repairs it.

Exact below 1,000,000 keys; above, 10% of the keys are sampled unless --exact
(--sample F picks the fraction; key counts stay exact, the rest are estimates).
Exit code: 0 clean, 1 findings, 2 no verdict (bad policy, refused command, lost
connection, interrupted).`,
		Args: exactArgs(0, "no arguments"),
	}
	f := cmd.Flags()
	f.StringVar(&policyPath, "policy", "", "policy file (default: the profile's, else the built-in policy)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.BoolVar(&exact, "exact", false, "audit every key, however many")
	f.Float64Var(&sample, "sample", 0, "audit this fraction of the keys, 0 < F ≤ 1 (counts become estimates)")
	f.DurationVar(&budget, "budget", redisops.DefaultGovernorBudget, "pace the walk to keep the server's PING p99 under this (0: no pacing)")
	f.IntVar(&sampleKeys, "keys", redisops.DefaultAuditSampleKey, "offending keys listed per finding")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string) error {
		if exact && cmd.Flags().Changed("sample") {
			return usagef("--exact and --sample are exclusive")
		}
		if cmd.Flags().Changed("sample") && (sample <= 0 || sample > 1) {
			return usagef("--sample must be a fraction: 0 < F ≤ 1 (0.1 is 10%%)")
		}
		if budget < 0 || sampleKeys < 1 {
			return usagef("--budget must not be negative, --keys must be 1 or more")
		}
		p, err := a.loadPolicy(policyPath)
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		c, _, err := a.connect(ctx)
		if err != nil {
			return noVerdict(err)
		}
		defer c.Close()
		o := redisops.AuditOptions{Policy: p, Exact: exact, Sample: sample, SampleKeys: sampleKeys}
		if budget > 0 {
			gov := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: budget})
			gov.Start(ctx)
			defer gov.Stop()
			o.Governor = gov
		}
		if progress := a.progressLine(); progress != nil {
			o.Progress = func(p redisops.AuditProgress) {
				progress(fmt.Sprintf("policy check: %s of %s keys, %s", views.Commas(p.Scanned), totalText(p.Total), p.Elapsed.Round(100*time.Millisecond)))
			}
			defer progress("")
		}
		r, err := c.Audit(ctx, o)
		if r == nil {
			return noVerdict(err)
		}
		if err != nil {
			return noVerdict(err)
		}
		if asJSON {
			err = writeJSON(a.stdout, toPolicyJSON(r, c.Addr))
		} else {
			err = writePolicyText(a.stdout, r, c.Addr)
		}
		if err != nil {
			return noVerdict(err)
		}
		if r.Cancelled {
			return noVerdict(fmt.Errorf("interrupted: the report covers %s of %s keys", views.Commas(r.ScannedKeys), totalText(r.TotalKeys)))
		}
		if len(r.Findings) > 0 {
			return errFindings{len(r.Findings)}
		}
		return nil
	})
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// sampleKeyJSON is a key as JSON output gives keys: display form and exact
// bytes.
func sampleKeyJSON(keys []string) []memoryKeyJSON {
	out := make([]memoryKeyJSON, len(keys))
	for i, k := range keys {
		out[i] = memoryKeyJSON{Key: shortKey(k), KeyB64: base64.StdEncoding.EncodeToString([]byte(k)), Length: -1}
	}
	return out
}

// shortKey is a key's display form, bounded: a 1 KB method-cache key must
// not flood a report line.
func shortKey(k string) string {
	s := decode.DisplayKey(k)
	const max = 120
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

func toPolicyJSON(r *redisops.AuditReport, server string) policyCheckJSON {
	out := policyCheckJSON{Policy: r.Policy, Server: server, Exact: r.Exact, Sample: r.Sample, ScannedKeys: r.ScannedKeys, AuditedKeys: r.AuditedKeys,
		TotalKeys: r.TotalKeys, TotalBytes: r.TotalBytes, Clean: len(r.Findings) == 0, VanishedKey: r.Vanished, DurationMs: r.Duration.Milliseconds(),
		Cancelled: r.Cancelled, Notes: r.Notes, Findings: []policyFindingJSON{}, Namespaces: []policyNSJSON{}}
	for _, f := range r.Findings {
		fix := ""
		if f.Fix != "" {
			fix = "--" + f.Fix
		}
		out.Findings = append(out.Findings, policyFindingJSON{Kind: f.Kind, Severity: f.Severity, Namespace: policyNSName(f.Namespace, f.Kind == redisops.FindUnknown),
			Keys: f.Keys, Bytes: f.Bytes, Estimated: f.Estimated, Detail: f.Detail, Sample: sampleKeyJSON(f.Sample), Fix: fix})
	}
	for _, ns := range r.Namespaces {
		j := policyNSJSON{Name: policyNSName(ns.Name, ns.Unknown), Unknown: ns.Unknown, NeverCache: ns.NeverCache, TTLSeconds: ns.TTL.Seconds(),
			Keys: ns.Keys, Audited: ns.Audited, Bytes: ns.Bytes, NoTTL: ns.NoTTL, TTLAbove: ns.TTLAbove,
			MinTTLSeconds: ns.MinTTL.Seconds(), MaxTTLSeconds: ns.MaxTTL.Seconds(), Uncompressed: ns.Uncompressed, UncompressedBytes: ns.UncompressedBytes,
			Oversize: ns.Oversize, OversizeBytes: ns.OversizeBytes, DamagedLZ: ns.DamagedLZ, DamagedBytes: ns.DamagedBytes}
		if ns.Unknown {
			j.PrefixB64 = base64.StdEncoding.EncodeToString([]byte(ns.Prefix))
		}
		out.Namespaces = append(out.Namespaces, j)
	}
	return out
}

// policyNSName names a namespace for output: a rule's name, or an unknown
// prefix escaped ("(no prefix)" for keys without delimiter).
func policyNSName(name string, unknown bool) string {
	if !unknown || name == redisops.OtherNamespace {
		return name
	}
	if name == "" {
		return "(no prefix)"
	}
	return shortKey(name) + "*"
}

func writePolicyText(w io.Writer, r *redisops.AuditReport, server string) error {
	var b strings.Builder
	mode := "exact"
	if !r.Exact {
		mode = fmt.Sprintf("%.0f%% sample: counts other than keys are estimates", 100*r.Sample)
	}
	fmt.Fprintf(&b, "policy %s on %s: %s keys, %s, %s, %s\n", r.Policy, server, views.Commas(r.ScannedKeys), humanBytes(r.TotalBytes), mode, r.Duration.Round(time.Millisecond))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "namespace\tTTL\tkeys\tbytes\tno TTL\tTTL>\tnever\tuncompr.\t>max\tdamaged LZ\t")
	for _, ns := range r.Namespaces {
		if ns.Keys == 0 {
			continue
		}
		ttl := policy.FormatTTL(ns.TTL)
		never := "-"
		switch {
		case ns.Unknown:
			ttl = "?"
		case ns.NeverCache:
			ttl, never = "never", views.Commas(ns.Keys)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", policyNSName(ns.Name, ns.Unknown), ttl, views.Commas(ns.Keys), humanBytes(ns.Bytes),
			zeroDash(ns.NoTTL), zeroDash(ns.TTLAbove), never, zeroDash(ns.Uncompressed), zeroDash(ns.Oversize), zeroDash(ns.DamagedLZ))
	}
	_ = tw.Flush()
	if len(r.Findings) == 0 {
		b.WriteString("\nclean: the cache follows the policy\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "\n%d findings:\n", len(r.Findings))
	for _, f := range r.Findings {
		about := ""
		if f.Estimated {
			about = "about "
		}
		size := ""
		if f.Bytes > 0 {
			size = ", " + humanBytes(f.Bytes)
		}
		fmt.Fprintf(&b, "%-8s %s: %s%s keys%s [%s]\n", strings.ToUpper(f.Severity), policyNSName(f.Namespace, f.Kind == redisops.FindUnknown), about, views.Commas(f.Keys), size, f.Kind)
		fmt.Fprintf(&b, "         %s\n", f.Detail)
		for _, k := range f.Sample {
			fmt.Fprintf(&b, "           %s\n", shortKey(k))
		}
		if f.Fix != "" {
			fmt.Fprintf(&b, "         fix: cachedeck policy fix --%s\n", f.Fix)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func zeroDash(n int64) string {
	if n == 0 {
		return "-"
	}
	return views.Commas(n)
}
