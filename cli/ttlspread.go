package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
)

// ttlSpreadJSON is the headless contract of `cachedeck ttl-spread --json`.
type ttlSpreadJSON struct {
	Patterns   []string `json:"patterns"`
	DryRun     bool     `json:"dry_run"`
	Matched    int64    `json:"matched"`
	Updated    int64    `json:"updated"`
	Skipped    int64    `json:"skipped"`
	MinTTLMs   int64    `json:"min_ttl_ms"`
	MaxTTLMs   int64    `json:"max_ttl_ms"`
	DurationMs int64    `json:"duration_ms"`
	Cancelled  bool     `json:"cancelled"`
	Error      string   `json:"error,omitempty"`
}

func (a *app) ttlSpreadCmd() *cobra.Command {
	var patterns []string
	var ttl, jitter, budget time.Duration
	var includePersistent, dryRun, yes, asJSON bool
	var rate int
	cmd := &cobra.Command{
		Use:   "ttl-spread PATTERN... --ttl D --jitter D [--pattern P]... [--include-persistent] [--dry-run] [--yes] [--rate N] [--budget D] [--json]",
		Short: "Set each key's TTL to the policy TTL plus a random jitter, so keys warmed together stop expiring together",
		Long: `ttl-spread breaks up a thundering herd: after a warm-up, the keys of a
namespace were written together and will expire together. It sets each
key matching the patterns (--pattern or positional arguments) to --ttl plus
a random jitter between 0 and --jitter (PEXPIRE ... XX: keys without a TTL
keep none unless --include-persistent). It previews the keys and how close
their expiries are, asks (or takes --yes), is paced by --rate and the load
governor (--budget), stops within one batch on Ctrl-C with exact counts,
is refused in read-only mode, and is written to the audit log.`,
	}
	f := cmd.Flags()
	f.StringArrayVar(&patterns, "pattern", nil, "glob pattern (repeatable; positional arguments too)")
	f.DurationVar(&ttl, "ttl", 0, "the policy TTL, e.g. 1h (the app's: lead_score 1h, campaign_analytics 5m, workspace_dashboard 10m)")
	f.DurationVar(&jitter, "jitter", 0, "the most added at random to each key's TTL, e.g. 10m")
	f.BoolVar(&includePersistent, "include-persistent", false, "also give a TTL to keys that have none")
	f.BoolVar(&dryRun, "dry-run", false, "preview only: change nothing")
	f.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	f.IntVar(&rate, "rate", 0, "at most N keys per second (0: paced by the governor alone)")
	f.DurationVar(&budget, "budget", redisops.DefaultGovernorBudget, "p99 latency budget of the load governor (0: off)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON (the preview goes to stderr)")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		patterns = append(patterns, args...)
		switch {
		case len(patterns) == 0:
			return usagef("give at least one --pattern (or a pattern argument)")
		case slices.Contains(patterns, ""):
			return usagef("a pattern must not be empty")
		case ttl < time.Millisecond:
			return usagef("--ttl is required and at least 1ms, e.g. --ttl 1h")
		case jitter < 0 || rate < 0 || budget < 0:
			return usagef("--jitter, --rate and --budget must not be negative")
		case !dryRun && !yes && !stdinIsTerminal():
			return usagef("ttl-spread changes TTLs: add --yes to confirm (no terminal to ask on)")
		}
		ctx := cmd.Context()
		c, s, err := a.connectToWrite(ctx, !dryRun, "ttl-spread changes TTLs", "nothing was changed")
		if err != nil {
			return err
		}
		defer c.Close()
		// With --json the preview goes to stderr only when someone reads
		// it there or is asked to confirm it.
		pw := a.humanOut(asJSON, !yes && !dryRun)
		var gov *redisops.Governor
		if budget > 0 {
			gov = redisops.NewGovernor(c, redisops.GovernorOptions{Budget: budget})
			gov.Start(ctx)
			defer gov.Stop()
		}
		prev, err := c.PreviewTTLSpread(ctx, patterns, 5, gov)
		if err != nil {
			if ctx.Err() != nil {
				return errors.New("cancelled during the preview: nothing was changed")
			}
			return err
		}
		writeTTLSpreadPreview(pw, prev, ttl, jitter, includePersistent)
		toChange := prev.WithTTL
		if includePersistent {
			toChange = prev.Matched
		}
		if dryRun || toChange == 0 {
			// Nothing would change: no question, no audit entry.
			return a.writeTTLSpreadJSON(asJSON, ttlSpreadJSON{Patterns: patterns, DryRun: dryRun, Matched: prev.Matched, Skipped: prev.Matched - toChange}, !dryRun)
		}
		if !yes || (s.production && stdinIsTerminal()) {
			q := fmt.Sprintf("Set the TTL of %d keys on %s to %s + up to %s? Type yes to continue: ", toChange, c.Addr, ttl, jitter)
			if err := confirmOnTerminal(ctx, a.stderr, os.Stdin, q, "nothing was changed"); err != nil {
				return err
			}
		}
		auditLog, err := audit.Open(a.auditPath())
		if err != nil {
			return fmt.Errorf("%w: nothing was changed", err)
		}
		defer auditLog.Close()
		target := fmt.Sprintf("ttl %s + jitter %s", ttl, jitter)
		if includePersistent {
			target += ", including keys without TTL"
		}
		entry := audit.Entry{Profile: s.profileName, Server: c.Addr, Action: "ttl-spread", Patterns: decode.DisplayKeys(patterns), Target: target, Matched: prev.Matched, Outcome: audit.Attempted}
		if err := auditLog.Append(entry); err != nil {
			return fmt.Errorf("%w: nothing was changed", err)
		}
		o := redisops.TTLSpreadOptions{Patterns: patterns, TTL: ttl, Jitter: jitter, IncludePersistent: includePersistent, Rate: rate, Governor: gov}
		if a.stderrIsTerminal() {
			o.Progress = func(r redisops.TTLSpreadResult) {
				fmt.Fprintf(a.stderr, "\rupdated %d of ~%d   ", r.Updated, toChange)
			}
		}
		res, runErr := c.TTLSpread(ctx, o)
		if o.Progress != nil {
			fmt.Fprintln(a.stderr)
		}
		entry.Outcome, entry.Time = audit.Done, time.Time{}
		if res != nil {
			entry.Matched, entry.Updated, entry.DurationMs = res.Matched, res.Updated, res.Duration.Milliseconds()
			if res.Cancelled {
				entry.Outcome = audit.Cancelled
			}
		}
		if runErr != nil {
			entry.Outcome, entry.Error = audit.Failed, runErr.Error()
		}
		auditErr := auditLog.Append(entry)
		if res == nil {
			return runErr
		}
		out := ttlSpreadJSON{Patterns: patterns, Matched: res.Matched, Updated: res.Updated, Skipped: res.Skipped,
			MinTTLMs: res.MinTTL.Milliseconds(), MaxTTLMs: res.MaxTTL.Milliseconds(), DurationMs: res.Duration.Milliseconds(), Cancelled: res.Cancelled}
		if runErr != nil {
			out.Error = redisops.Describe(runErr)
		}
		if err := a.writeTTLSpreadJSON(asJSON, out, true); err != nil {
			return err
		}
		switch {
		case runErr != nil:
			return fmt.Errorf("%w (%d TTLs set before the failure)", runErr, res.Updated)
		case auditErr != nil:
			return fmt.Errorf("the TTLs were set, but the audit log could not be written: %w", auditErr)
		case res.Cancelled:
			return fmt.Errorf("cancelled: %d TTLs set", res.Updated)
		}
		return nil
	})
	return withHelpHints(cmd)
}

func (a *app) writeTTLSpreadJSON(asJSON bool, r ttlSpreadJSON, ran bool) error {
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	switch {
	case r.Error != "":
		return nil // the error line says it
	case r.DryRun:
		_, err := fmt.Fprintf(a.stdout, "dry run: nothing changed\n")
		return err
	case ran && r.Updated == 0 && r.DurationMs == 0:
		_, err := fmt.Fprintf(a.stdout, "nothing to change: no matching key has a TTL (--include-persistent gives keys without one a TTL)\n")
		return err
	}
	_, err := fmt.Fprintf(a.stdout, "%d TTLs set between %s and %s (%d matched, %d skipped: no TTL or gone) in %s\n",
		r.Updated, time.Duration(r.MinTTLMs)*time.Millisecond, time.Duration(r.MaxTTLMs)*time.Millisecond, r.Matched, r.Skipped,
		(time.Duration(r.DurationMs) * time.Millisecond).String())
	return err
}

func writeTTLSpreadPreview(w io.Writer, p *redisops.TTLSpreadPreview, ttl, jitter time.Duration, includePersistent bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "patterns: %s\n", strings.Join(decode.DisplayKeys(p.Patterns), "  "))
	fmt.Fprintf(&b, "matched: %d keys, %d with a TTL, %d without", p.Matched, p.WithTTL, p.Persistent)
	if !includePersistent && p.Persistent > 0 {
		b.WriteString(" (left alone)")
	}
	b.WriteString("\n")
	if p.WithTTL > 0 {
		fmt.Fprintf(&b, "their TTLs now: %s to %s (%s apart)\n", p.ExpiresFirst.Round(time.Second), p.ExpiresLast.Round(time.Second), (p.ExpiresLast - p.ExpiresFirst).Round(time.Second))
	}
	fmt.Fprintf(&b, "new TTL: %s + random 0..%s each\n", ttl, jitter)
	for _, k := range p.Sample {
		fmt.Fprintf(&b, "  %s\n", decode.DisplayKey(k))
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", warn)
	}
	_, _ = io.WriteString(w, b.String())
}
