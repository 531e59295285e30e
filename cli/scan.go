package cli

import (
	"bufio"
	"encoding/base64"
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
)

// scanLine is one NDJSON object of `cachedeck scan --json`.
type scanLine struct {
	Key    string `json:"key"`     // display form
	KeyB64 string `json:"key_b64"` // exact bytes
	Type   string `json:"type"`
	TTLms  int64  `json:"ttl_ms"`
}

func (a *app) scanCmd() *cobra.Command {
	var opts redisops.ScanOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "scan [PATTERN | --match P] [--type T] [--count N] [--limit N] [--json]",
		Short: "List keys with SCAN (never KEYS): one per line, or NDJSON with type and TTL",
		Long: `scan lists keys with SCAN (never KEYS), every key once. The pattern is an
argument or --match: cachedeck scan 'lead:*' (quote it so the shell does not
expand it). A server that restarts during the walk, or cluster slots that keep
moving, make the scan fail (exit 1): its list would be incomplete.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("scan takes one pattern (got %d arguments: quote the pattern so the shell does not expand it)", len(args))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Match, "match", "", "glob pattern, matched by the server (SCAN MATCH)")
	f.StringVar(&opts.Type, "type", "", "only keys of this type: string, hash, list, set, zset, stream")
	f.Int64Var(&opts.Count, "count", redisops.DefaultScanCount, "SCAN COUNT hint per call")
	f.IntVar(&opts.Limit, "limit", 0, "stop after N keys (0: all)")
	f.BoolVar(&asJSON, "json", false, "NDJSON: key, key_b64, type, ttl_ms per line")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			if opts.Match != "" {
				return usagef("give the pattern as an argument or as --match, not both")
			}
			opts.Match = args[0]
		}
		if opts.Count <= 0 || opts.Limit < 0 {
			return usagef("--count must be positive and --limit 0 or more")
		}
		var err error
		if opts.Type, err = checkScanType(opts.Type); err != nil {
			return err
		}
		c, _, err := a.connect(cmd.Context())
		if err != nil {
			return err
		}
		defer c.Close()
		opts.WithMeta = asJSON
		w := bufio.NewWriterSize(a.stdout, 64<<10)
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		_, err = c.Scan(cmd.Context(), opts, func(keys []redisops.ScannedKey) error {
			for _, k := range keys {
				if asJSON {
					if err := enc.Encode(scanLine{Key: decode.DisplayKey(k.Key), KeyB64: base64.StdEncoding.EncodeToString([]byte(k.Key)), Type: k.Type, TTLms: k.TTL}); err != nil {
						return err
					}
					continue
				}
				w.WriteString(decode.DisplayKey(k.Key))
				if err := w.WriteByte('\n'); err != nil {
					return err
				}
			}
			return nil
		})
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		return err
	})
	return cmd
}
