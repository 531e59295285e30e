package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
)

// memoryJSON is the `cachedeck memory --json` object.
type memoryJSON struct {
	Exact     bool    `json:"exact"`
	Sample    float64 `json:"sample"`    // fraction of keys measured
	Estimated bool    `json:"estimated"` // bytes, avg_bytes and types are estimates
	// NoTTLEstimated: no_ttl counts are estimates too (--estimate-ttl).
	NoTTLEstimated bool                `json:"no_ttl_estimated"`
	Depth          int                 `json:"depth"`
	Delimiter      string              `json:"delimiter"`
	ScannedKeys    int64               `json:"scanned_keys"`
	MeasuredKeys   int64               `json:"measured_keys"`
	TotalKeys      int64               `json:"total_keys"` // DBSIZE at the start; -1 unknown
	TotalBytes     int64               `json:"total_bytes"`
	Namespaces     []memoryNSJSON      `json:"namespaces"`
	TopKeys        []memoryKeyJSON     `json:"top_keys"`      // by bytes
	TopByLength    []memoryKeyJSON     `json:"top_by_length"` // collections by element count
	VanishedKeys   int64               `json:"vanished_keys"`
	DurationMs     int64               `json:"duration_ms"`
	Cancelled      bool                `json:"cancelled"`
	Governor       *memoryGovernorJSON `json:"governor"`              // null when --budget 0
	FromBackup     string              `json:"from_backup,omitempty"` // --from-backup: the file read
	Notes          []string            `json:"notes,omitempty"`
}

type memoryNSJSON struct {
	Prefix    string           `json:"prefix"`     // display form; "(other)" for the overflow bucket
	PrefixB64 string           `json:"prefix_b64"` // exact bytes
	Other     bool             `json:"other,omitempty"`
	Keys      int64            `json:"keys"`
	Bytes     int64            `json:"bytes"`
	NoTTL     int64            `json:"no_ttl"`
	AvgBytes  int64            `json:"avg_bytes"`
	Share     float64          `json:"share"`
	Measured  int64            `json:"measured"`
	Types     map[string]int64 `json:"types"`
}

type memoryKeyJSON struct {
	Key    string `json:"key"`     // display form
	KeyB64 string `json:"key_b64"` // exact bytes
	Type   string `json:"type"`
	Bytes  int64  `json:"bytes"`
	Length int64  `json:"length"` // elements of a collection, bytes of a string; -1 unknown
}

type memoryGovernorJSON struct {
	BudgetMs float64 `json:"budget_ms"`
	P99Ms    float64 `json:"p99_ms"` // PING p99 at the end
	PauseMs  float64 `json:"pause_ms"`
}

func (a *app) memoryCmd() *cobra.Command {
	var (
		opts        redisops.MemoryOptions
		samples     int
		budget      time.Duration
		asJSON      bool
		estimateTTL bool
		maxRows     int
		fromBackup  string
		quantum     int
	)
	cmd := &cobra.Command{
		Use:   "memory [--depth N] [--exact | --sample F | --from-backup FILE] [--top N] [--json] [--budget D]",
		Short: "Memory per namespace and the biggest keys (MEMORY USAGE over a sample, or every key with --exact)",
		Long: `memory walks the keyspace with SCAN and measures keys with MEMORY USAGE, TYPE and
PTTL in pipelines. By default 1% of the keys (chosen by a hash of the key, so the same keys every
run) are measured and bytes per namespace are estimates; key counts and keys without TTL are
exact. --exact measures every key. The walk is paced so that the server's PING p99 stays under
--budget (0 turns pacing off).

--from-backup FILE computes the exact breakdown from an RDB file (cachedeck backup --download,
redis-cli --rdb, a dump.rdb) or a logical backup, locally: nothing is sent to any server. Bytes
emulate MEMORY USAGE SAMPLES 0 of Redis 7; --alloc-quantum 16 matches a redis-server linked to a
distribution's shared jemalloc (Debian's package), 8 (default) Redis's and Valkey's own builds.`,
		Args: exactArgs(0, "no arguments"),
	}
	f := cmd.Flags()
	f.IntVar(&opts.Depth, "depth", redisops.DefaultMemoryDepth, "namespace depth in segments (1: \"lead:\", 2: \"lead:123:\")")
	f.StringVar(&opts.Delimiter, "delimiter", redisops.DefaultDelimiter, "namespace delimiter")
	f.BoolVar(&opts.Exact, "exact", false, "run MEMORY USAGE on every key")
	f.Float64Var(&opts.Sample, "sample", redisops.DefaultMemorySample, "fraction of keys measured, 0 < F ≤ 1")
	f.IntVar(&opts.Top, "top", redisops.DefaultMemoryTop, "biggest keys listed, by bytes and by length")
	f.IntVar(&samples, "samples", redisops.DefaultMemorySamples, "MEMORY USAGE SAMPLES: nested values looked at per collection (0: all)")
	f.DurationVar(&budget, "budget", redisops.DefaultGovernorBudget, "pace the walk to keep the server's PING p99 under this (0: no pacing)")
	f.BoolVar(&estimateTTL, "estimate-ttl", false, "sampled mode: estimate keys without TTL from the sample too (about twice as fast)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.IntVar(&maxRows, "rows", 50, "text output: namespaces listed (0: all); --json lists all")
	f.StringVar(&fromBackup, "from-backup", "", "compute the breakdown from an RDB or logical backup file, offline")
	f.IntVar(&quantum, "alloc-quantum", 8, "--from-backup: jemalloc quantum of the server emulated, 8 or 16")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string) error {
		if fromBackup != "" {
			for _, name := range []string{"exact", "sample", "samples", "budget", "estimate-ttl"} {
				if cmd.Flags().Changed(name) {
					return usagef("--%s does not apply to --from-backup: every key of the file is counted, offline", name)
				}
			}
			if quantum != 8 && quantum != 16 {
				return usagef("--alloc-quantum is 8 (Redis's and Valkey's own builds) or 16 (a distribution's shared jemalloc)")
			}
			if opts.Depth < 1 || opts.Top < 1 || maxRows < 0 || opts.Delimiter == "" {
				return usagef("--depth and --top must be 1 or more, --rows 0 or more, --delimiter not empty")
			}
			return a.memoryFromBackup(cmd, fromBackup, opts, quantum, asJSON, maxRows)
		}
		if cmd.Flags().Changed("alloc-quantum") {
			return usagef("--alloc-quantum applies to --from-backup only")
		}
		if opts.Exact && cmd.Flags().Changed("sample") {
			return usagef("--exact and --sample are exclusive: --exact measures every key")
		}
		if !opts.Exact && (opts.Sample <= 0 || opts.Sample > 1) {
			return usagef("--sample must be a fraction: 0 < F ≤ 1 (0.01 is 1%%)")
		}
		if opts.Depth < 1 || opts.Top < 1 || samples < 0 || budget < 0 || maxRows < 0 || opts.Delimiter == "" {
			return usagef("--depth and --top must be 1 or more, --samples, --budget and --rows 0 or more, --delimiter not empty")
		}
		if estimateTTL && opts.Exact {
			return usagef("--estimate-ttl applies to sampled mode only")
		}
		opts.SampleTTL = estimateTTL
		opts.Samples = samples
		if samples == 0 {
			opts.Samples = redisops.MemorySamplesAll
		}
		ctx := cmd.Context()
		c, _, err := a.connect(ctx)
		if err != nil {
			return err
		}
		defer c.Close()

		var gov *redisops.Governor
		if budget > 0 {
			gov = redisops.NewGovernor(c, redisops.GovernorOptions{Budget: budget})
			gov.Start(ctx)
			defer gov.Stop()
			opts.Governor = gov
		}
		progress := a.progressLine()
		if progress != nil {
			opts.Progress = func(p redisops.MemoryProgress) {
				line := fmt.Sprintf("memory: %s of %s keys scanned, %s measured, %s", views.Commas(p.Scanned), totalText(p.Total), views.Commas(p.Measured), p.Elapsed.Round(100*time.Millisecond))
				if gov != nil && gov.Pause() > 0 {
					line += fmt.Sprintf(", pacing %s (PING p99 %s)", gov.Pause().Round(time.Millisecond), gov.P99().Round(100*time.Microsecond))
				}
				progress(line)
			}
		}
		// A restart or a slot move during the walk would leave the sums
		// wrong without a word: Unchanged turns it into a failure.
		var r *redisops.MemoryReport
		err = c.Unchanged(ctx, "memory breakdown", func(ctx context.Context) error {
			var err error
			r, err = c.MemoryBreakdown(ctx, opts)
			return err
		})
		if progress != nil {
			progress("")
		}
		if r == nil {
			return err
		}
		if err == nil || r.Cancelled {
			if werr := a.writeMemory(r, gov, asJSON, maxRows); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
		if r.Cancelled {
			return fmt.Errorf("interrupted: the report covers %s of %s keys", views.Commas(r.ScannedKeys), totalText(r.TotalKeys))
		}
		return nil
	})
	return cmd
}

// memoryFromBackup is `memory --from-backup`: no connection is opened.
func (a *app) memoryFromBackup(cmd *cobra.Command, path string, opts redisops.MemoryOptions, quantum int, asJSON bool, maxRows int) error {
	opts.SizeQuantum = quantum
	progress := a.progressLine()
	if progress != nil {
		opts.Progress = func(p redisops.MemoryProgress) {
			progress(fmt.Sprintf("memory: %s keys read from %s, %s", views.Commas(p.Scanned), decode.DisplayKey(path), p.Elapsed.Round(100*time.Millisecond)))
		}
	}
	r, err := redisops.MemoryFromBackup(cmd.Context(), path, opts)
	if progress != nil {
		progress("")
	}
	if err != nil {
		return err
	}
	if asJSON {
		out := toMemoryJSON(r, nil)
		out.FromBackup = path
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else if err := writeMemoryText(a.stdout, r, nil, maxRows); err != nil {
		return err
	}
	if r.Cancelled {
		return fmt.Errorf("interrupted: the report covers the first %s keys of the file", views.Commas(r.ScannedKeys))
	}
	return nil
}

func totalText(n int64) string {
	if n < 0 {
		return "?"
	}
	return views.Commas(n)
}

// progressLine returns a function that rewrites one status line on stderr,
// or nil when stderr is not a terminal. An empty line clears it.
func (a *app) progressLine() func(string) {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return nil
	}
	return func(s string) {
		fmt.Fprint(f, "\r\x1b[K"+s)
	}
}

func (a *app) writeMemory(r *redisops.MemoryReport, gov *redisops.Governor, asJSON bool, maxRows int) error {
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(toMemoryJSON(r, gov))
	}
	return writeMemoryText(a.stdout, r, gov, maxRows)
}

func toMemoryJSON(r *redisops.MemoryReport, gov *redisops.Governor) memoryJSON {
	out := memoryJSON{
		Exact:          r.Exact,
		Sample:         r.Sample,
		Estimated:      !r.Exact,
		NoTTLEstimated: r.NoTTLEstimate,
		Depth:          r.Depth,
		Delimiter:      r.Delimiter,
		ScannedKeys:    r.ScannedKeys,
		MeasuredKeys:   r.MeasuredKeys,
		TotalKeys:      r.TotalKeys,
		TotalBytes:     r.TotalBytes,
		Namespaces:     make([]memoryNSJSON, 0, len(r.Namespaces)),
		TopKeys:        toMemoryKeys(r.TopByBytes),
		TopByLength:    toMemoryKeys(r.TopByLength),
		VanishedKeys:   r.Vanished,
		DurationMs:     r.Duration.Milliseconds(),
		Cancelled:      r.Cancelled,
		Notes:          r.Notes,
	}
	for _, ns := range r.Namespaces {
		out.Namespaces = append(out.Namespaces, memoryNSJSON{
			Prefix:    nsDisplay(ns),
			PrefixB64: base64.StdEncoding.EncodeToString([]byte(ns.Prefix)),
			Other:     ns.Other,
			Keys:      ns.Keys,
			Bytes:     ns.Bytes,
			NoTTL:     ns.NoTTL,
			AvgBytes:  ns.AvgBytes,
			Share:     ns.Share,
			Measured:  ns.Measured,
			Types:     ns.Types,
		})
	}
	if gov != nil {
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		out.Governor = &memoryGovernorJSON{BudgetMs: ms(gov.Options().Budget), P99Ms: ms(gov.P99()), PauseMs: ms(gov.Pause())}
	}
	return out
}

func toMemoryKeys(ks []redisops.KeyUsage) []memoryKeyJSON {
	out := make([]memoryKeyJSON, 0, len(ks))
	for _, k := range ks {
		out = append(out, memoryKeyJSON{Key: decode.DisplayKey(k.Key), KeyB64: base64.StdEncoding.EncodeToString([]byte(k.Key)), Type: k.Type, Bytes: k.Bytes, Length: k.Length})
	}
	return out
}

func nsDisplay(ns redisops.NamespaceUsage) string {
	if ns.Other {
		return redisops.OtherNamespace
	}
	return decode.DisplayKey(ns.Prefix)
}

func writeMemoryText(w io.Writer, r *redisops.MemoryReport, gov *redisops.Governor, maxRows int) error {
	var b strings.Builder
	est := ""
	mode := "exact: every key measured"
	if !r.Exact {
		est = "~"
		mode = fmt.Sprintf("sampled: %s of %s keys measured (%g%%), bytes marked ~ are estimates", views.Commas(r.MeasuredKeys), views.Commas(r.ScannedKeys), r.Sample*100)
		if r.NoTTLEstimate {
			mode += ", no-TTL counts too"
		}
	}
	fmt.Fprintf(&b, "%s%s in %s keys (%s)\n", est, views.Bytes(r.TotalBytes), views.Commas(r.ScannedKeys), mode)
	if r.Cancelled {
		fmt.Fprintf(&b, "INTERRUPTED: partial report, %s of %s keys scanned\n", views.Commas(r.ScannedKeys), totalText(r.TotalKeys))
	}
	fmt.Fprintf(&b, "took %s", r.Duration.Round(10*time.Millisecond))
	if gov != nil {
		fmt.Fprintf(&b, ", paced to a PING p99 under %s (p99 now %s)", gov.Options().Budget, gov.P99().Round(100*time.Microsecond))
	}
	b.WriteString("\n\n")

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "KEYS\tBYTES\tSHARE\tAVG\tNO TTL\t TYPES\t  NAMESPACE")
	noTTLMark := ""
	if r.NoTTLEstimate {
		noTTLMark = "~"
	}
	rows := r.Namespaces
	if maxRows > 0 && len(rows) > maxRows {
		rows = rows[:maxRows]
	}
	for _, ns := range rows {
		mark := est
		if ns.Measured == ns.Keys {
			mark = "" // every key of it was measured
		}
		fmt.Fprintf(tw, "%s\t%s%s\t%.1f%%\t%s%s\t%s%s\t %s\t  %s\n",
			views.Commas(ns.Keys), mark, views.Bytes(ns.Bytes), ns.Share*100, mark, views.Bytes(ns.AvgBytes),
			noTTLMark, views.Commas(ns.NoTTL), typesText(ns.Types), nsDisplay(ns))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rest := r.Namespaces[len(rows):]; len(rest) > 0 {
		var keys, bytes int64
		for _, ns := range rest {
			keys += ns.Keys
			bytes += ns.Bytes
		}
		fmt.Fprintf(&b, "… %s more namespaces with %s keys and %s%s (--rows 0 or --json lists them)\n",
			views.Commas(int64(len(rest))), views.Commas(keys), est, views.Bytes(bytes))
	}
	writeTop := func(title string, ks []redisops.KeyUsage) error {
		if len(ks) == 0 {
			return nil
		}
		fmt.Fprintf(&b, "\n%s\n", title)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "BYTES\t TYPE\tLENGTH\t  KEY")
		for _, k := range ks {
			length := "?"
			if k.Length >= 0 {
				length = views.Commas(k.Length)
			}
			fmt.Fprintf(tw, "%s\t %s\t%s\t  %s\n", views.Bytes(k.Bytes), k.Type, length, decode.DisplayKey(k.Key))
		}
		return tw.Flush()
	}
	scope := "every key"
	if !r.Exact {
		scope = "the measured keys"
	}
	if err := writeTop("BIGGEST KEYS BY BYTES (of "+scope+")", r.TopByBytes); err != nil {
		return err
	}
	if err := writeTop("BIGGEST COLLECTIONS BY LENGTH (of "+scope+")", r.TopByLength); err != nil {
		return err
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// typesText is "string" for a single type, else "hash 3, string 97".
func typesText(types map[string]int64) string {
	if len(types) == 1 {
		for t := range types {
			return t
		}
	}
	names := make([]string, 0, len(types))
	for t := range types {
		names = append(names, t)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, t := range names {
		parts = append(parts, fmt.Sprintf("%s %s", t, views.Commas(types[t])))
	}
	return strings.Join(parts, ", ")
}
