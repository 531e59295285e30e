package cli

import (
	"context"
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

// invalidateJSON is the headless contract of `cachedeck invalidate --json`.
// invalidateJSON is the contract; unconfirmed and error appear
// only when there is something to say.
type invalidateJSON struct {
	Patterns    []string `json:"patterns"`
	DryRun      bool     `json:"dry_run"`
	Matched     int64    `json:"matched"`
	Deleted     int64    `json:"deleted"`
	Unconfirmed int64    `json:"unconfirmed,omitempty"` // of deleted: their batch's reply was lost
	DurationMs  int64    `json:"duration_ms"`
	Cancelled   bool     `json:"cancelled"`
	Error       string   `json:"error,omitempty"`
}

func (a *app) invalidateCmd() *cobra.Command {
	var patterns, recipeArgs []string
	var recipe, backup string
	var dryRun, yes, asJSON bool
	var rate int
	var budget time.Duration
	cmd := &cobra.Command{
		Use:   "invalidate PATTERN... | --recipe R --arg k=v... [--dry-run] [--yes] [--rate N] [--budget D] [--backup FILE] [--json]",
		Short: "Delete the keys matching glob patterns (SCAN + pipelined UNLINK), previewed, confirmed and audited",
		Long: `invalidate previews the keys the patterns match (exact count, a sample,
counts per namespace, a bytes estimate), asks for the pattern to be typed
back (or takes --yes), then deletes them with SCAN MATCH and pipelined
UNLINK on every master, paced by --rate and by the latency governor
(--budget). Glob escapes (\*, \?, \[) are honoured. --backup FILE saves
every key (DUMP and remaining TTL) before deleting it; 'cachedeck restore
FILE' puts them back. Ctrl-C stops within one batch and reports the exact
number deleted. Patterns are arguments ('cachedeck invalidate "temp:*"') or
--pattern flags; quote them so the shell does not expand them. Recipes: ` + strings.Join(redisops.RecipeNames(), ", ") + `.`,
		Args: cobra.ArbitraryArgs,
	}
	f := cmd.Flags()
	f.StringArrayVar(&patterns, "pattern", nil, "glob pattern (repeatable; patterns may also be given as arguments)")
	f.StringVar(&recipe, "recipe", "", "the app's invalidation recipe: "+strings.Join(redisops.RecipeNames(), ", "))
	f.StringArrayVar(&recipeArgs, "arg", nil, "recipe argument k=v (ws, lead, campaign, integration)")
	f.BoolVar(&dryRun, "dry-run", false, "preview only: delete nothing")
	f.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	f.IntVar(&rate, "rate", 0, "at most N keys per second (0: unpaced)")
	f.DurationVar(&budget, "budget", redisops.DefaultGovernorBudget, "p99 latency budget of the load governor (0: off)")
	f.StringVar(&backup, "backup", "", "write every key (DUMP + TTL, NDJSON) to FILE before deleting it")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON, alone on stdout (the preview goes to stderr when it is a terminal)")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		patterns = append(patterns, args...)
		if recipe != "" {
			args := map[string]string{}
			for _, kv := range recipeArgs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return usagef("--arg %q is not k=v", kv)
				}
				args[k] = v
			}
			ps, err := redisops.Recipe(recipe, args)
			if err != nil {
				return usageError{err}
			}
			patterns = append(patterns, ps...)
		} else if len(recipeArgs) > 0 {
			return usagef("--arg goes with --recipe")
		}
		if len(patterns) == 0 {
			return usagef("give at least one pattern (cachedeck invalidate 'temp:*') or a --recipe")
		}
		if slices.Contains(patterns, "") {
			return usagef("--pattern must not be empty")
		}
		if rate < 0 || budget < 0 {
			return usagef("--rate and --budget must not be negative")
		}
		if !dryRun && !yes && !stdinIsTerminal() {
			return usagef("invalidate deletes keys: add --yes to confirm (no terminal to ask on)")
		}
		ctx := cmd.Context()
		c, s, err := a.connectToWrite(ctx, !dryRun, "invalidate deletes keys", "nothing was deleted")
		if err != nil {
			return err
		}
		defer c.Close()
		// With --json, stdout holds the JSON alone; the human preview goes
		// to stderr when someone reads it there (or is asked to confirm).
		pw := a.stdout
		if asJSON {
			pw = io.Discard
			if a.stderrIsTerminal() || (!yes && !dryRun) {
				pw = a.stderr
			}
		}
		// The governor paces the preview's walk as well as the run.
		var gov *redisops.Governor
		if budget > 0 {
			gov = redisops.NewGovernor(c, redisops.GovernorOptions{Budget: budget})
			gov.Start(ctx)
			defer gov.Stop()
		}
		prev, err := c.PreviewPaced(ctx, patterns, 10, gov)
		if err != nil {
			if ctx.Err() != nil {
				return errors.New("cancelled during the preview: nothing was deleted")
			}
			return err
		}
		writePreview(pw, prev)
		if dryRun {
			return a.writeInvalidateResult(asJSON, &redisops.InvalidateResult{Patterns: patterns, DryRun: true, Matched: prev.Matched})
		}
		// A production profile asks whenever there is a terminal to ask on,
		// --yes or not; --yes alone serves headless runs.
		if !yes || (s.production && stdinIsTerminal()) {
			if err := confirmPatterns(ctx, a.stderr, os.Stdin, patterns); err != nil {
				return err
			}
		}
		auditLog, err := audit.Open(a.auditPath())
		if err != nil {
			return fmt.Errorf("%w: nothing was deleted", err)
		}
		defer auditLog.Close()
		o := redisops.InvalidateOptions{Patterns: patterns, Rate: rate, Governor: gov}
		// The backup file exists before the attempt is logged, so that a
		// logged attempt never lacks the backup it names.
		if backup != "" {
			bf, err := os.OpenFile(backup, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("backup: %w: nothing was deleted (give a new file in a writable directory)", err)
			}
			o.Backup = bf // one write and one fsync per batch
			defer bf.Close()
		}
		entry := audit.Entry{Profile: s.profileName, Server: c.Addr, Action: "invalidate", Patterns: decode.DisplayKeys(patterns), Matched: prev.Matched, Outcome: audit.Attempted}
		if backup != "" {
			entry.Target = "backup " + backup
		}
		if err := auditLog.Append(entry); err != nil {
			if backup != "" {
				_ = os.Remove(backup) // still empty: nothing was deleted
			}
			return fmt.Errorf("%w: nothing was deleted", err)
		}
		if a.stderrIsTerminal() {
			total := prev.Matched
			o.Progress = func(p redisops.InvalidateProgress) {
				writeProgress(a.stderr, p, total)
			}
		}
		res, runErr := c.Invalidate(ctx, o)
		if o.Progress != nil {
			fmt.Fprintln(a.stderr)
		}
		entry = audit.Entry{Profile: s.profileName, Server: c.Addr, Action: "invalidate", Patterns: decode.DisplayKeys(patterns), Outcome: audit.Done}
		if res != nil {
			entry.Matched, entry.Deleted, entry.Unconfirmed, entry.DurationMs = res.Matched, res.Deleted, res.Unconfirmed, res.Duration.Milliseconds()
			if res.Cancelled {
				entry.Outcome = audit.Cancelled
			}
		}
		if runErr != nil {
			entry.Outcome, entry.Error = audit.Failed, runErr.Error()
		}
		auditErr := auditLog.Append(entry)
		if runErr != nil {
			if res == nil {
				return runErr
			}
			if asJSON {
				// A runbook still gets the counts, with the reason.
				res.Patterns = patterns
				if err := a.writeInvalidateJSON(res, runErr); err != nil {
					return err
				}
			}
			return fmt.Errorf("%w (%d keys deleted before the failure)", runErr, res.Deleted)
		}
		if err := a.writeInvalidateResult(asJSON, res); err != nil {
			return err
		}
		if auditErr != nil {
			return fmt.Errorf("the keys were deleted, but the audit log could not be written: %w", auditErr)
		}
		if res.Cancelled {
			return fmt.Errorf("cancelled: %d keys deleted", res.Deleted)
		}
		return nil
	})
	return cmd
}

func (a *app) writeInvalidateJSON(r *redisops.InvalidateResult, runErr error) error {
	out := invalidateJSON{Patterns: r.Patterns, DryRun: r.DryRun, Matched: r.Matched, Deleted: r.Deleted, Unconfirmed: r.Unconfirmed,
		DurationMs: r.Duration.Milliseconds(), Cancelled: r.Cancelled}
	if runErr != nil {
		out.Error = redisops.Describe(runErr)
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func (a *app) writeInvalidateResult(asJSON bool, r *redisops.InvalidateResult) error {
	if asJSON {
		return a.writeInvalidateJSON(r, nil)
	}
	if r.Unconfirmed > 0 {
		fmt.Fprintf(a.stdout, "note: %d of the deleted keys are unconfirmed: a reply was lost, and they were gone when their batch was sent again\n", r.Unconfirmed)
	}
	switch {
	case r.DryRun:
		_, err := fmt.Fprintf(a.stdout, "dry run: %d keys would be deleted\n", r.Matched)
		return err
	case r.Cancelled:
		_, err := fmt.Fprintf(a.stdout, "cancelled: %d keys deleted of %d matched in %s\n", r.Deleted, r.Matched, r.Duration.Round(time.Millisecond))
		return err
	}
	_, err := fmt.Fprintf(a.stdout, "%d keys deleted (%d matched) in %s\n", r.Deleted, r.Matched, r.Duration.Round(time.Millisecond))
	return err
}

func writePreview(w io.Writer, p *redisops.InvalidatePreview) {
	var b strings.Builder
	fmt.Fprintf(&b, "patterns: %s\n", strings.Join(decode.DisplayKeys(p.Patterns), "  "))
	fmt.Fprintf(&b, "matched: %d keys", p.Matched)
	if p.BytesEstimate >= 0 {
		fmt.Fprintf(&b, ", about %s", humanBytes(p.BytesEstimate))
	}
	b.WriteString("\n")
	ns := make([]string, 0, len(p.Namespaces))
	for n := range p.Namespaces {
		ns = append(ns, n)
	}
	slices.SortFunc(ns, func(x, y string) int { return int(p.Namespaces[y] - p.Namespaces[x]) })
	for i, n := range ns {
		if i == 10 {
			fmt.Fprintf(&b, "  … %d more namespaces\n", len(ns)-10)
			break
		}
		name := decode.DisplayKey(n)
		if n == "" {
			name = "(no prefix)"
		}
		fmt.Fprintf(&b, "  %-30s %d\n", name, p.Namespaces[n])
	}
	if len(p.Sample) > 0 {
		b.WriteString("sample:\n")
		for _, k := range p.Sample {
			fmt.Fprintf(&b, "  %s\n", decode.DisplayKey(k))
		}
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", warn)
	}
	_, _ = io.WriteString(w, b.String())
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func writeProgress(w io.Writer, p redisops.InvalidateProgress, total int64) {
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Deleted) / s
	}
	eta := "?"
	if rate > 0 && total > p.Matched {
		eta = time.Duration(float64(total-p.Matched) / rate * float64(time.Second)).Round(time.Second).String()
	} else if total <= p.Matched {
		eta = "0s"
	}
	fmt.Fprintf(w, "\rdeleted %d of ~%d  %.0f keys/s  ETA %s   ", p.Deleted, total, rate, eta)
}

// confirmPatterns asks the operator to type the patterns back exactly.
func confirmPatterns(ctx context.Context, w io.Writer, r io.Reader, patterns []string) error {
	want := strings.Join(patterns, " ")
	plural := ""
	if len(patterns) > 1 {
		plural = "s, separated by spaces,"
	}
	line, err := askLine(ctx, w, r, fmt.Sprintf("Type the pattern%s to delete the matching keys (%s): ", plural, want), "nothing was deleted")
	if err != nil {
		return err
	}
	if line != want {
		return errors.New("the typed pattern does not match: nothing was deleted")
	}
	return nil
}
