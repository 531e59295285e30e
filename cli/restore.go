package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
)

func (a *app) restoreCmd() *cobra.Command {
	var replace, yes, asJSON, dryRun bool
	var budget time.Duration
	cmd := &cobra.Command{
		Use:   "restore FILE [--replace] [--dry-run] [--yes] [--budget D] [--json]",
		Short: "Put back the keys an 'invalidate --backup FILE' saved (RESTORE with their original expiry)",
		Long: `restore reads a backup written by 'cachedeck invalidate --backup' and
restores every key with the expiry it had when it was saved; keys whose TTL
has run out since stay gone. Keys that exist now are skipped unless
--replace. It shows what it would do first (--dry-run stops there), asks
(or takes --yes), is paced by the load governor (--budget), is refused in
read-only mode, and is written to the audit log.`,
		Args: exactArgs(1, "one backup file"),
	}
	f := cmd.Flags()
	f.BoolVar(&replace, "replace", false, "overwrite keys that exist now")
	f.BoolVar(&dryRun, "dry-run", false, "only show what would be restored")
	f.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	f.DurationVar(&budget, "budget", redisops.DefaultGovernorBudget, "p99 latency budget of the load governor (0: off)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		if budget < 0 {
			return usagef("--budget must not be negative")
		}
		if !dryRun && !yes && !stdinIsTerminal() {
			return usagef("restore writes keys: add --yes to confirm (no terminal to ask on)")
		}
		path := args[0]
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("backup file: %w", err)
		}
		ctx := cmd.Context()
		c, s, err := a.connectToWrite(ctx, !dryRun, "restore writes keys", "nothing was restored")
		if err != nil {
			return err
		}
		defer c.Close()
		prev, err := previewRestoreFile(ctx, c, path)
		if err != nil {
			if ctx.Err() != nil {
				return errors.New("cancelled during the preview: nothing was restored")
			}
			return err
		}
		// With --json, stdout holds the JSON alone; the human preview goes
		// to stderr when someone reads it there (or is asked to confirm).
		pw := a.stdout
		if asJSON {
			pw = io.Discard
			if a.stderrIsTerminal() || (!yes && !dryRun) {
				pw = a.stderr
			}
		}
		writeRestorePreview(pw, prev, replace)
		if dryRun {
			if asJSON {
				return json.NewEncoder(a.stdout).Encode(map[string]any{"dry_run": true, "records": prev.Records, "to_restore": prev.ToRestore(replace), "exist_now": prev.ExistNow, "expired": prev.Expired})
			}
			return nil
		}
		if prev.ToRestore(replace) == 0 {
			// Nothing would be written: no question, no audit entry.
			return a.writeRestoreResult(asJSON, redisops.RestoreResult{Skipped: prev.ExistNow, Expired: prev.Expired}, 0)
		}
		if !yes {
			mode := "skipping keys that exist"
			if replace {
				mode = "REPLACING keys that exist"
			}
			if err := confirmOnTerminal(ctx, a.stderr, os.Stdin, fmt.Sprintf("Restore the keys of %s on %s, %s? Type yes to continue: ", path, c.Addr, mode), "nothing was restored"); err != nil {
				return err
			}
		}
		auditLog, err := audit.Open(a.auditPath())
		if err != nil {
			return fmt.Errorf("%w: nothing was restored", err)
		}
		defer auditLog.Close()
		entry := audit.Entry{Profile: s.profileName, Server: c.Addr, Action: "restore", Target: path, Matched: prev.Records, Outcome: audit.Attempted}
		if err := auditLog.Append(entry); err != nil {
			return fmt.Errorf("%w: nothing was restored", err)
		}
		file, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("backup file: %w", err)
		}
		defer file.Close()
		o := redisops.RestoreOptions{Replace: replace}
		if budget > 0 {
			g := redisops.NewGovernor(c, redisops.GovernorOptions{Budget: budget})
			g.Start(ctx)
			defer g.Stop()
			o.Governor = g
		}
		if a.stderrIsTerminal() {
			o.Progress = func(r redisops.RestoreResult) {
				fmt.Fprintf(a.stderr, "\rrestored %d, skipped %d, expired %d of %d   ", r.Restored, r.Skipped, r.Expired, prev.Records)
			}
		}
		start := time.Now()
		res, runErr := c.Restore(ctx, file, o)
		if o.Progress != nil {
			fmt.Fprintln(a.stderr)
		}
		entry = audit.Entry{Profile: s.profileName, Server: c.Addr, Action: "restore", Target: path,
			Matched: res.Restored + res.Skipped + res.Expired + res.Failed, Restored: res.Restored, Unconfirmed: res.Unconfirmed, DurationMs: time.Since(start).Milliseconds(), Outcome: audit.Done}
		switch {
		case runErr != nil:
			entry.Outcome, entry.Error = audit.Failed, runErr.Error()
		case res.Cancelled:
			entry.Outcome = audit.Cancelled
		}
		auditErr := auditLog.Append(entry)
		if runErr != nil {
			if asJSON {
				// A runbook still gets the counts, with the reason.
				if err := a.writeRestoreJSON(res, time.Since(start), runErr); err != nil {
					return err
				}
			}
			return fmt.Errorf("%w (%s)", runErr, restoreCounts(res))
		}
		if err := a.writeRestoreResult(asJSON, res, time.Since(start)); err != nil {
			return err
		}
		if auditErr != nil {
			return fmt.Errorf("the keys were restored, but the audit log could not be written: %w", auditErr)
		}
		if res.Cancelled {
			return fmt.Errorf("cancelled: %s", restoreCounts(res))
		}
		return nil
	})
	return cmd
}

func restoreCounts(r redisops.RestoreResult) string {
	s := fmt.Sprintf("%d restored, %d skipped (exist now), %d expired since the backup, %d failed", r.Restored, r.Skipped, r.Expired, r.Failed)
	if r.Unconfirmed > 0 {
		s += fmt.Sprintf(" (%d of the restored are unconfirmed: a reply was lost, and the key existed when it was sent again)", r.Unconfirmed)
	}
	return s
}

func (a *app) writeRestoreResult(asJSON bool, r redisops.RestoreResult, took time.Duration) error {
	if !asJSON {
		_, err := fmt.Fprintln(a.stdout, restoreCounts(r))
		return err
	}
	return a.writeRestoreJSON(r, took, nil)
}

func (a *app) writeRestoreJSON(r redisops.RestoreResult, took time.Duration, runErr error) error {
	out := map[string]any{"restored": r.Restored, "skipped": r.Skipped, "expired": r.Expired, "failed": r.Failed,
		"duration_ms": took.Milliseconds(), "cancelled": r.Cancelled}
	if r.Unconfirmed > 0 {
		out["unconfirmed"] = r.Unconfirmed
	}
	if runErr != nil {
		out["error"] = redisops.Describe(runErr)
	}
	return json.NewEncoder(a.stdout).Encode(out)
}

func previewRestoreFile(ctx context.Context, c *redisops.Client, path string) (*redisops.RestorePreview, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("backup file: %w", err)
	}
	defer file.Close()
	return c.PreviewRestore(ctx, file, nil, 5)
}

func writeRestorePreview(w io.Writer, p *redisops.RestorePreview, replace bool) {
	exist := "skipped"
	if replace {
		exist = "REPLACED"
	}
	fmt.Fprintf(w, "%d keys in the backup: %d to restore (%s of DUMP payload), %d exist now (%s), %d expired since the backup (left out)\n",
		p.Records, p.ToRestore(replace), humanBytes(p.PayloadBytes(replace)), p.ExistNow, exist, p.Expired)
	for _, k := range p.Sample {
		fmt.Fprintf(w, "  %s\n", decode.DisplayKey(k))
	}
}
