package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/audit"
)

func (a *app) restoreCmd() *cobra.Command {
	var replace, yes, asJSON bool
	cmd := &cobra.Command{
		Use:   "restore FILE [--replace] [--yes] [--json]",
		Short: "Put back the keys an 'invalidate --backup FILE' saved (RESTORE with their remaining TTL)",
		Long: `restore reads a backup written by 'cachedeck invalidate --backup' and
restores every key with the TTL it had left when it was saved. Keys that
exist now are skipped unless --replace. It asks first (or takes --yes), is
refused in read-only mode, and is written to the audit log.`,
		Args: exactArgs(1, "one backup file"),
	}
	f := cmd.Flags()
	f.BoolVar(&replace, "replace", false, "overwrite keys that exist now")
	f.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		if !yes && !stdinIsTerminal() {
			return usagef("restore writes keys: add --yes to confirm (no terminal to ask on)")
		}
		file, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer file.Close()
		ctx := cmd.Context()
		c, s, err := a.connect(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		if s.readOnly {
			return errors.New("read-only mode: restore writes keys, so it is not run (drop --read-only or use another profile)")
		}
		if ok, why := c.WriteAccess(ctx); !ok {
			return fmt.Errorf("read-only: %s; nothing was restored", why)
		}
		if !yes {
			mode := "skipping keys that exist"
			if replace {
				mode = "REPLACING keys that exist"
			}
			ok, err := confirmOnTerminal(a.stderr, os.Stdin, fmt.Sprintf("Restore the keys of %s on %s, %s? Type yes to continue: ", args[0], c.Addr, mode))
			if err != nil {
				return err
			}
			if !ok {
				return errors.New("cancelled: nothing was restored")
			}
		}
		auditLog, err := audit.Open(a.auditPath())
		if err != nil {
			return fmt.Errorf("%w: nothing was restored", err)
		}
		defer auditLog.Close()
		start := time.Now()
		res, runErr := c.Restore(ctx, file, replace)
		entry := audit.Entry{Profile: s.profileName, Server: c.Addr, Action: "restore", Target: args[0],
			Matched: res.Restored + res.Skipped + res.Failed, DurationMs: time.Since(start).Milliseconds(), Outcome: audit.Done}
		switch {
		case ctx.Err() != nil:
			entry.Outcome = audit.Cancelled
		case runErr != nil:
			entry.Outcome, entry.Error = audit.Failed, runErr.Error()
		}
		auditErr := auditLog.Append(entry)
		if runErr != nil {
			return fmt.Errorf("%w (%d restored, %d skipped, %d failed)", runErr, res.Restored, res.Skipped, res.Failed)
		}
		if asJSON {
			enc := json.NewEncoder(a.stdout)
			if err := enc.Encode(map[string]any{"restored": res.Restored, "skipped": res.Skipped, "failed": res.Failed, "duration_ms": time.Since(start).Milliseconds()}); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(a.stdout, "%d keys restored, %d skipped (exist now), %d failed\n", res.Restored, res.Skipped, res.Failed)
		}
		if auditErr != nil {
			return fmt.Errorf("the keys were restored, but the audit log could not be written: %w", auditErr)
		}
		return nil
	})
	return cmd
}
