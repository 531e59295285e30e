package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
)

// backupsJSON is one backup in `cachedeck backups --json`.
type backupsJSON struct {
	Name        string `json:"name"`
	Path        string `json:"path"`
	Kind        string `json:"kind"`
	Bytes       int64  `json:"bytes"`
	Keys        int64  `json:"keys"` // -1 unknown
	Created     string `json:"created"`
	AgeSeconds  int64  `json:"age_seconds"`
	Server      string `json:"server,omitempty"`
	Profile     string `json:"profile,omitempty"`
	Status      string `json:"status"` // ok, FAILED: …, partial (resumable), not checked
	Verified    bool   `json:"verified"`
	VerifyError string `json:"verify_error,omitempty"`
}

// backupDir is --dir, else the profile's default directory. It needs no
// connection: listing and pruning work with the server down.
func (a *app) backupDir(dir string) (string, string, error) {
	s, err := a.conn.resolve(a.stderr)
	if err != nil {
		return "", "", err
	}
	if dir == "" {
		dir = redisops.DefaultBackupDir(s.profileName)
	}
	return dir, s.profileName, nil
}

func (a *app) backupsCmd() *cobra.Command {
	var dir string
	var asJSON, noVerify bool
	cmd := &cobra.Command{
		Use:   "backups [--dir D] [--json] [--no-verify] | backups prune [--dry-run]",
		Short: "List the backups of this profile with size, kind, keys, verification and age",
		Long: `backups lists the backup directory (--dir, default
$XDG_STATE_HOME/cachedeck/backups/<profile>/), newest first. Every backup is read
whole and verified: an RDB file's magic, version, records and CRC64; a logical
backup's records, each DUMP payload's CRC64, and its manifest's key count and
SHA-256. It sends nothing to the server.`,
		Args: exactArgs(0, "no arguments"),
	}
	cmd.Flags().StringVar(&dir, "dir", "", "backup directory")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	cmd.Flags().BoolVar(&noVerify, "no-verify", false, "do not read the files (faster; status 'not checked')")
	cmd.RunE = a.run(func(_ *cobra.Command, _ []string) error {
		dir, _, err := a.backupDir(dir)
		if err != nil {
			return err
		}
		entries, err := redisops.ListBackups(dir, !noVerify)
		if err != nil {
			return err
		}
		now := time.Now()
		if asJSON {
			out := make([]backupsJSON, 0, len(entries))
			for _, e := range entries {
				out = append(out, backupsJSON{Name: e.Name, Path: e.Path, Kind: e.Kind, Bytes: e.Bytes, Keys: e.Keys, Created: e.Created.UTC().Format(time.RFC3339),
					AgeSeconds: int64(e.Age(now).Seconds()), Server: e.Server, Profile: e.Profile, Status: e.Status(), Verified: e.Verified, VerifyError: e.VerifyError})
			}
			enc := json.NewEncoder(a.stdout)
			enc.SetEscapeHTML(false)
			return enc.Encode(out)
		}
		if len(entries) == 0 {
			_, err := fmt.Fprintf(a.stdout, "no backups in %s\n", decode.DisplayKey(dir))
			return err
		}
		fmt.Fprintf(a.stdout, "%s\n%-48s %-8s %10s %10s %8s  %s\n", decode.DisplayKey(dir), "NAME", "KIND", "SIZE", "KEYS", "AGE", "STATUS")
		for _, e := range entries {
			keys := "?"
			if e.Keys >= 0 {
				keys = fmt.Sprint(e.Keys)
			}
			// File names and verification errors are untrusted bytes.
			fmt.Fprintf(a.stdout, "%-48s %-8s %10s %10s %8s  %s\n", decode.DisplayKey(e.Name), e.Kind, humanBytes(e.Bytes), keys, shortAge(e.Age(now)), decode.SafeLine(e.Status()))
		}
		return nil
	})
	cmd.AddCommand(a.pruneCmd())
	return withHelpHints(cmd)
}

func (a *app) pruneCmd() *cobra.Command {
	var dir string
	var dryRun, asJSON bool
	var keepDays, keep int
	cmd := &cobra.Command{
		Use:   "prune [--dry-run] [--keep-days N] [--keep N] [--dir D] [--json]",
		Short: "Remove this profile's backups older than --keep-days or beyond --keep (never the newest, never a failed one)",
		Args:  exactArgs(0, "no arguments"),
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "", "backup directory")
	f.BoolVar(&dryRun, "dry-run", false, "only list what would be removed")
	f.IntVar(&keepDays, "keep-days", redisops.DefaultKeepDays, "remove backups older than N days (0: no age limit)")
	f.IntVar(&keep, "keep", 0, "keep at most N verified backups (0: no count limit)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.RunE = a.run(func(_ *cobra.Command, _ []string) error {
		if keepDays < 0 || keep < 0 {
			return usagef("--keep-days and --keep must not be negative")
		}
		dir, profile, err := a.backupDir(dir)
		if err != nil {
			return err
		}
		plan, err := redisops.Prune(dir, redisops.Retention{KeepDays: keepDays, Keep: keep, Profile: profile}, time.Now(), dryRun)
		if asJSON {
			out := map[string]any{"dry_run": dryRun, "removed": names(plan.Remove), "kept": plan.Kept, "kept_failed": names(plan.KeptFailed)}
			if err != nil {
				out["error"] = err.Error()
			}
			if encErr := json.NewEncoder(a.stdout).Encode(out); encErr != nil {
				return encErr
			}
			return err
		}
		verb := "removed"
		if dryRun {
			verb = "would remove"
		}
		for _, e := range plan.Remove {
			fmt.Fprintf(a.stdout, "%s %s (%s, %s old)\n", verb, decode.DisplayKey(e.Name), humanBytes(e.Bytes), shortAge(e.Age(time.Now())))
		}
		for _, e := range plan.KeptFailed {
			fmt.Fprintf(a.stdout, "kept %s: it failed verification (%s); inspect it, delete it by hand\n", decode.DisplayKey(e.Name), decode.SafeLine(e.VerifyError))
		}
		fmt.Fprintf(a.stdout, "%d %s, %d kept\n", len(plan.Remove), verb, plan.Kept)
		return err
	})
	return cmd
}

func names(es []redisops.BackupEntry) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

// shortAge is an age in its largest unit: 45s, 12m, 5h, 3d.
func shortAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
