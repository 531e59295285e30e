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
	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/warmer"
)

// warmJSON is the headless contract of `cachedeck warm --json`.
type warmJSON struct {
	*warmer.Report
	Added      int64  `json:"added"`
	DurationMs int64  `json:"duration_ms"`
	Error      string `json:"error,omitempty"`
}

// warmFlags are the warm command's own flags.
type warmFlags struct {
	untilStable, asJSON, yes, dryRun bool
	maxRounds, retries               int
	budget, timeout                  time.Duration
	endpoint, tokenEnv, tokenFile    string
	namespaces, patterns             []string
	fromBackup                       string
}

func (a *app) warmCmd() *cobra.Command {
	var wf warmFlags
	cmd := &cobra.Command{
		Use:   "warm [NAME] [--until-stable] [--json] | warm --from-backup FILE [NAME | PATTERN...] [--pattern P]...",
		Short: "Run the app's cache warmer and show what it added per namespace; or warm from a backup",
		Long: `warm calls a warmer configured in the profile (warm_url + token_env, or
[[profiles.X.warmers]]; NAME picks one) the way the app's cron job does, and
reports per namespace the keys before and after (exact SCAN MATCH counts,
paced by the load governor) with the endpoint's own warmed/errors. A 5xx,
a timeout or a refused connection is retried (--retries, with backoff); a
4xx never is. --until-stable calls it again while keys are still being
added, at most --max-rounds times. --endpoint URL with --token-env or
--token-file runs a warmer that is not in the config.

--from-backup FILE restores from a backup written by 'invalidate --backup'
only the keys that are missing now (existing keys are never overwritten),
restricted to the patterns (arguments holding * ? [ or :, as in
'cachedeck warm --from-backup FILE "lead:*"', or --pattern) or else to
NAME's namespaces, with the TTL they had
left: a warm-up that needs no app. It is previewed, confirmed (or --yes),
paced and audited like 'restore'.

The token is never printed, logged or written to the audit log.
Read-only mode refuses both.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if fromBackup, _ := cmd.Flags().GetString("from-backup"); fromBackup != "" {
				return nil // patterns, and at most one NAME (checked in the run)
			}
			if len(args) > 1 {
				return usagef("warm takes at most one warmer NAME (got %d arguments); see 'cachedeck warm --help'", len(args))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&wf.untilStable, "until-stable", false, "call again while keys are still being added (at most --max-rounds)")
	f.IntVar(&wf.maxRounds, "max-rounds", warmer.DefaultMaxRounds, "most calls with --until-stable")
	f.IntVar(&wf.retries, "retries", warmer.DefaultRetries, "retries of a call on 5xx, timeout or connection error (never on 4xx)")
	f.DurationVar(&wf.timeout, "timeout", 0, "per attempt (default: the warmer's, else 60s)")
	f.DurationVar(&wf.budget, "budget", redisops.DefaultGovernorBudget, "p99 latency budget of the load governor (0: off)")
	f.StringVar(&wf.endpoint, "endpoint", "", "warmer URL not in the config (the app's shape)")
	f.StringVar(&wf.tokenEnv, "token-env", "", "with --endpoint: environment variable holding the bearer token")
	f.StringVar(&wf.tokenFile, "token-file", "", "with --endpoint: file holding the bearer token")
	f.StringArrayVar(&wf.namespaces, "namespace", nil, "with --endpoint: a namespace it fills (repeatable; default the app's three)")
	f.StringVar(&wf.fromBackup, "from-backup", "", "restore the missing keys from this backup file instead of calling a warmer")
	f.StringArrayVar(&wf.patterns, "pattern", nil, "with --from-backup: restore only keys matching this glob (repeatable)")
	f.BoolVar(&wf.dryRun, "dry-run", false, "with --from-backup: only show what would be restored")
	f.BoolVar(&wf.yes, "yes", false, "with --from-backup: do not ask for confirmation")
	f.BoolVar(&wf.asJSON, "json", false, "print the result as JSON on stdout (everything else goes to stderr)")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		if wf.maxRounds < 1 || wf.retries < 0 || wf.budget < 0 || wf.timeout < 0 {
			return usagef("--max-rounds must be 1 or more; --retries, --budget and --timeout must not be negative")
		}
		if slices.Contains(wf.patterns, "") {
			return usagef("--pattern must not be empty")
		}
		if wf.fromBackup != "" {
			if wf.untilStable || wf.endpoint != "" {
				return usagef("--from-backup calls no warmer: drop --until-stable and --endpoint")
			}
			return a.warmFromBackup(cmd, args, wf)
		}
		if len(wf.patterns) > 0 || wf.dryRun || wf.yes {
			return usagef("--pattern, --dry-run and --yes go with --from-backup")
		}
		return a.warmCall(cmd, args, wf)
	})
	return withHelpHints(cmd)
}

// pickWarmer finds the warmer to run: --endpoint, else NAME among the
// profile's, else the profile's only (or "app") warmer.
func pickWarmer(s *session, args []string, wf warmFlags) (config.Warmer, error) {
	if wf.endpoint != "" {
		w := config.Warmer{Name: "endpoint", URL: wf.endpoint, TokenEnv: wf.tokenEnv, TokenFile: wf.tokenFile, Namespaces: wf.namespaces, Timeout: wf.timeout}
		if len(args) == 1 {
			w.Name = args[0]
		}
		w, err := w.WithDefaults()
		if err != nil {
			return w, usageError{err}
		}
		return w, nil
	}
	if wf.tokenEnv != "" || wf.tokenFile != "" || len(wf.namespaces) > 0 {
		return config.Warmer{}, usagef("--token-env, --token-file and --namespace go with --endpoint (configured warmers name their own)")
	}
	list, err := s.profile.WarmerList()
	if err != nil {
		return config.Warmer{}, usageError{fmt.Errorf("profile %s: %w", s.profileName, err)}
	}
	names := make([]string, len(list))
	for i, w := range list {
		names[i] = w.Name
	}
	var w config.Warmer
	switch {
	case len(list) == 0:
		return w, usagef("no warmer configured: set warm_url and token_env in the profile (see README: Cache warming), or give --endpoint")
	case len(args) == 1:
		i := slices.Index(names, args[0])
		if i < 0 {
			return w, usagef("no warmer %q in the profile (warmers: %s)", args[0], strings.Join(names, ", "))
		}
		w = list[i]
	case len(list) == 1:
		w = list[0]
	default:
		i := slices.Index(names, config.DefaultWarmerName)
		if i < 0 {
			return w, usagef("the profile has several warmers: name one (%s)", strings.Join(names, ", "))
		}
		w = list[i]
	}
	if wf.timeout > 0 {
		w.Timeout = wf.timeout
	}
	return w, nil
}

func (a *app) warmCall(cmd *cobra.Command, args []string, wf warmFlags) error {
	ctx := cmd.Context()
	c, s, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if s.readOnly {
		return errors.New("read-only mode: warm makes the app write to the cache, so it is not run (drop --read-only or use another profile)")
	}
	w, err := pickWarmer(s, args, wf)
	if err != nil {
		return err
	}
	token, err := w.ResolveToken()
	if errors.Is(err, config.ErrNoToken) {
		fmt.Fprintf(a.noteOut(wf.asJSON), "cachedeck: warning: warmer %s has no token: calling it without Authorization\n", w.Name)
	} else if err != nil {
		return usageError{err}
	}
	o := warmer.RunOptions{UntilStable: wf.untilStable, MaxRounds: wf.maxRounds, Call: warmer.CallOptions{Retries: wf.retries}}
	if wf.retries == 0 {
		o.Call.Retries = -1
	}
	if wf.budget > 0 {
		g := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: wf.budget})
		g.Start(ctx)
		defer g.Stop()
		o.Governor = g
	}
	if a.stderrIsTerminal() {
		o.Progress = func(p warmer.Progress) { writeWarmProgress(a.stderr, w, p) }
	}
	auditLog, err := audit.Open(a.auditPath())
	if err != nil {
		return fmt.Errorf("%w: the warmer was not called", err)
	}
	defer auditLog.Close()
	target := warmTarget(w)
	entry := audit.Entry{Profile: s.profileName, Server: c.Addr, Action: "warm", Target: target, Patterns: decode.DisplayKeys(w.Namespaces), Outcome: audit.Attempted}
	if err := auditLog.Append(entry); err != nil {
		return fmt.Errorf("%w: the warmer was not called", err)
	}
	start := time.Now()
	rep, runErr := warmer.Run(ctx, c, w, token, o)
	if o.Progress != nil {
		fmt.Fprintln(a.stderr)
	}
	entry = audit.Entry{Profile: s.profileName, Server: c.Addr, Action: "warm", Target: target, Patterns: decode.DisplayKeys(w.Namespaces),
		DurationMs: time.Since(start).Milliseconds(), Outcome: audit.Done}
	if rep != nil {
		entry.Added = rep.Added()
		entry.Target = fmt.Sprintf("%s: %d rounds, app warmed %d, errors %d", target, len(rep.Rounds), rep.Warmed, rep.Errors)
	}
	switch {
	case runErr != nil && ctx.Err() != nil:
		entry.Outcome, entry.Error = audit.Cancelled, runErr.Error()
	case runErr != nil:
		entry.Outcome, entry.Error = audit.Failed, runErr.Error()
	}
	auditErr := auditLog.Append(entry)
	if rep != nil {
		if wf.asJSON {
			if err := a.writeWarmJSON(rep, runErr); err != nil {
				return err
			}
		} else {
			writeWarmReport(a.stdout, rep)
		}
	}
	if runErr != nil {
		return runErr
	}
	if auditErr != nil {
		return fmt.Errorf("the warmer ran, but the audit log could not be written: %w", auditErr)
	}
	return nil
}

// warmTarget names a warmer in the audit log: its name and its URL
// without user info or query.
func warmTarget(w config.Warmer) string {
	return "warmer " + w.Name + " " + warmer.ShownURL(w.URL)
}

func (a *app) writeWarmJSON(rep *warmer.Report, runErr error) error {
	out := warmJSON{Report: rep, Added: rep.Added(), DurationMs: rep.Duration.Milliseconds()}
	if runErr != nil {
		out.Error = runErr.Error()
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func writeWarmProgress(w io.Writer, wm config.Warmer, p warmer.Progress) {
	switch p.Phase {
	case warmer.PhaseBefore, warmer.PhaseAfter:
		ns := ""
		if p.Namespace < len(wm.Namespaces) {
			ns = decode.DisplayKey(wm.Namespaces[p.Namespace])
		}
		fmt.Fprintf(w, "\rround %d: %s %s: %d keys          ", p.Round, p.Phase, ns, p.Keys)
	case warmer.PhaseCalling:
		if p.Retrying != nil {
			fmt.Fprintf(w, "\rretrying: %s\n", p.Retrying.Error())
		}
		fmt.Fprintf(w, "\rround %d: calling %s (attempt %d)…          ", p.Round, wm.Name, p.Attempt)
	}
}

func writeWarmReport(w io.Writer, rep *warmer.Report) {
	fmt.Fprintf(w, "warmer %s  %s\n", rep.Warmer, rep.URL)
	for i, r := range rep.Rounds {
		fmt.Fprintf(w, "round %d: %s; %+d keys\n", i+1, warmer.RoundSummary(r), r.Added())
	}
	nameW := len("namespace")
	for _, ns := range rep.Namespaces {
		nameW = max(nameW, len(decode.DisplayKey(ns.Pattern)))
	}
	fmt.Fprintf(w, "%-*s %10s %10s %10s\n", nameW, "namespace", "before", "after", "added")
	for _, ns := range rep.Namespaces {
		if ns.After == warmer.NotCounted {
			fmt.Fprintf(w, "%-*s %10d %10s %10s\n", nameW, decode.DisplayKey(ns.Pattern), ns.Before, "?", "?")
			continue
		}
		fmt.Fprintf(w, "%-*s %10d %10d %+10d\n", nameW, decode.DisplayKey(ns.Pattern), ns.Before, ns.After, ns.Added)
	}
	if n := len(rep.Rounds); n > 0 && rep.Rounds[n-1].Answer != nil {
		last := rep.Rounds[n-1].Answer
		if len(last.CacheStats) > 0 {
			fmt.Fprintf(w, "app cacheStats: %s\n", decode.DisplayKey(string(last.CacheStats)))
		}
		if last.Timestamp != "" {
			fmt.Fprintf(w, "app timestamp: %s\n", decode.DisplayKey(last.Timestamp))
		}
	}
	if len(rep.Rounds) > 1 {
		if rep.Stable {
			fmt.Fprintf(w, "stable after %d rounds: the last added no key\n", len(rep.Rounds))
		} else {
			fmt.Fprintf(w, "not stable after %d rounds: keys were still being added (raise --max-rounds)\n", len(rep.Rounds))
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func (a *app) warmFromBackup(cmd *cobra.Command, args []string, wf warmFlags) error {
	names, argPatterns := splitWarmArgs(args)
	if len(names) > 1 {
		return usagef("warm --from-backup takes at most one warmer NAME (got %s); a pattern holds * ? [ or :; see 'cachedeck warm --help'", strings.Join(decode.DisplayKeys(names), ", "))
	}
	if len(names) == 1 && len(argPatterns) > 0 {
		return usagef("give either a warmer NAME or patterns with --from-backup, not both; see 'cachedeck warm --help'")
	}
	if !wf.dryRun && !wf.yes && !stdinIsTerminal() {
		return usagef("warm --from-backup writes keys: add --yes to confirm (no terminal to ask on)")
	}
	path := wf.fromBackup
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	ctx := cmd.Context()
	c, s, err := a.connectToWrite(ctx, !wf.dryRun, "warm --from-backup writes keys", "nothing was restored")
	if err != nil {
		return err
	}
	defer c.Close()
	patterns := append(slices.Clip(wf.patterns), argPatterns...)
	if len(patterns) == 0 && len(names) == 1 {
		w, err := pickWarmer(s, names, warmFlags{})
		if err != nil {
			return err
		}
		patterns = w.Namespaces
	}
	pw := a.humanOut(wf.asJSON, !wf.yes && !wf.dryRun)
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	prev, err := c.PreviewRestoreMatching(ctx, file, nil, 5, patterns)
	file.Close()
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("cancelled during the preview: nothing was restored")
		}
		return err
	}
	writeWarmBackupPreview(pw, prev, patterns)
	if wf.dryRun {
		if wf.asJSON {
			return json.NewEncoder(a.stdout).Encode(map[string]any{"dry_run": true, "records": prev.Records, "not_matched": prev.NotMatched,
				"to_restore": prev.ToRestore(false), "exist_now": prev.ExistNow, "expired": prev.Expired})
		}
		return nil
	}
	if prev.ToRestore(false) == 0 {
		return a.writeWarmBackupResult(wf.asJSON, redisops.RestoreResult{Skipped: prev.ExistNow, Expired: prev.Expired, NotMatched: prev.NotMatched}, 0, nil)
	}
	if !wf.yes || (s.production && stdinIsTerminal()) {
		if err := confirmOnTerminal(ctx, a.stderr, os.Stdin, fmt.Sprintf("Restore %d missing keys from %s on %s (existing keys are kept)? Type yes to continue: ", prev.ToRestore(false), path, c.Addr), "nothing was restored"); err != nil {
			return err
		}
	}
	auditLog, err := audit.Open(a.auditPath())
	if err != nil {
		return fmt.Errorf("%w: nothing was restored", err)
	}
	defer auditLog.Close()
	entry := audit.Entry{Profile: s.profileName, Server: c.Addr, Action: "warm-from-backup", Target: path, Patterns: decode.DisplayKeys(patterns), Matched: prev.ToRestore(false), Outcome: audit.Attempted}
	if err := auditLog.Append(entry); err != nil {
		return fmt.Errorf("%w: nothing was restored", err)
	}
	file, err = os.Open(path)
	if err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	defer file.Close()
	o := redisops.RestoreOptions{Patterns: patterns}
	if wf.budget > 0 {
		g := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: wf.budget})
		g.Start(ctx)
		defer g.Stop()
		o.Governor = g
	}
	if a.stderrIsTerminal() {
		o.Progress = func(r redisops.RestoreResult) {
			fmt.Fprintf(a.stderr, "\rrestored %d, kept %d existing, expired %d   ", r.Restored, r.Skipped, r.Expired)
		}
	}
	start := time.Now()
	res, runErr := c.Restore(ctx, file, o)
	if o.Progress != nil {
		fmt.Fprintln(a.stderr)
	}
	entry.Matched = res.Restored + res.Skipped + res.Expired + res.Failed
	entry.Restored, entry.Unconfirmed = res.Restored, res.Unconfirmed
	entry.DurationMs, entry.Outcome = time.Since(start).Milliseconds(), audit.Done
	switch {
	case runErr != nil:
		entry.Outcome, entry.Error = audit.Failed, runErr.Error()
	case res.Cancelled:
		entry.Outcome = audit.Cancelled
	}
	entry.Time = time.Time{}
	auditErr := auditLog.Append(entry)
	if err := a.writeWarmBackupResult(wf.asJSON, res, time.Since(start), runErr); err != nil {
		return err
	}
	switch {
	case runErr != nil:
		return fmt.Errorf("%w (%s)", runErr, restoreCounts(res))
	case auditErr != nil:
		return fmt.Errorf("the keys were restored, but the audit log could not be written: %w", auditErr)
	case res.Cancelled:
		return fmt.Errorf("cancelled: %s", restoreCounts(res))
	}
	return nil
}

func writeWarmBackupPreview(w io.Writer, p *redisops.RestorePreview, patterns []string) {
	if len(patterns) > 0 {
		fmt.Fprintf(w, "patterns: %s\n", strings.Join(decode.DisplayKeys(patterns), "  "))
	}
	fmt.Fprintf(w, "%d keys in the backup, %d match: %d missing now to restore (%s of DUMP payload), %d cached now (kept), %d expired since the backup (left out)\n",
		p.Records, p.Records-p.NotMatched, p.ToRestore(false), humanBytes(p.PayloadBytes(false)), p.ExistNow, p.Expired)
	for _, k := range p.Sample {
		fmt.Fprintf(w, "  %s\n", decode.DisplayKey(k))
	}
}

func (a *app) writeWarmBackupResult(asJSON bool, r redisops.RestoreResult, took time.Duration, runErr error) error {
	if !asJSON {
		if runErr != nil {
			return nil // the error line says it, with the counts
		}
		_, err := fmt.Fprintf(a.stdout, "%s; %d not matching the patterns\n", restoreCounts(r), r.NotMatched)
		return err
	}
	out := map[string]any{"restored": r.Restored, "skipped": r.Skipped, "expired": r.Expired, "failed": r.Failed, "not_matched": r.NotMatched,
		"duration_ms": took.Milliseconds(), "cancelled": r.Cancelled}
	if r.Unconfirmed > 0 {
		out["unconfirmed"] = r.Unconfirmed
	}
	if runErr != nil {
		out["error"] = redisops.Describe(runErr)
	}
	return json.NewEncoder(a.stdout).Encode(out)
}

// splitWarmArgs sorts warm --from-backup's arguments: one holding a glob
// character or the namespace separator is a key pattern ('lead:*'), any
// other a warmer's name ("app").
func splitWarmArgs(args []string) (names, patterns []string) {
	for _, a := range args {
		if strings.ContainsAny(a, "*?[:") {
			patterns = append(patterns, a)
		} else {
			names = append(names, a)
		}
	}
	return names, patterns
}
