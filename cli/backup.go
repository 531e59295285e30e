package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
)

// backupJSON is the headless contract of `cachedeck backup --json`.
type backupJSON struct {
	Kind       string      `json:"kind"` // bgsave, rdb or logical
	Path       string      `json:"path,omitempty"`
	Bytes      int64       `json:"bytes"`
	Keys       int64       `json:"keys"` // -1 unknown
	DurationMs int64       `json:"duration_ms"`
	Verified   bool        `json:"verified"`
	Resumed    bool        `json:"resumed,omitempty"`
	Cancelled  bool        `json:"cancelled"`
	Fallback   string      `json:"fallback,omitempty"` // why a logical backup was made instead
	BGSave     *bgsaveJSON `json:"bgsave,omitempty"`
	Warnings   []string    `json:"warnings,omitempty"`
	Pruned     []string    `json:"pruned,omitempty"`
	KeptFailed []string    `json:"kept_failed,omitempty"`
	Error      string      `json:"error,omitempty"`
}

type bgsaveJSON struct {
	Joined         bool   `json:"joined"`
	Scheduled      bool   `json:"scheduled"`
	ServerSeconds  int64  `json:"server_seconds"`
	COWBytes       int64  `json:"cow_bytes"`
	ForkUsec       int64  `json:"fork_usec"`
	ChangesBefore  int64  `json:"changes_before"`
	LastSave       string `json:"last_save"`
	PreviousFailed bool   `json:"previous_failed,omitempty"`
}

// backupRun is one invocation of `backup`, what it needs and what it found.
type backupRun struct {
	a        *app
	c        *redisops.Client
	s        *session
	log      *audit.Log
	dir      string
	patterns []string
	yes      bool
	asJSON   bool
	fresh    bool
	rate     int
	budget   time.Duration
	out      backupJSON
}

func (a *app) backupCmd() *cobra.Command {
	var bgsave, download, logical, asJSON, yes, fresh, noPrune bool
	var dir string
	var keepDays, keep, rate int
	var patterns []string
	var budget time.Duration
	cmd := &cobra.Command{
		Use:   "backup [--bgsave | --download | --logical [PATTERN... | --pattern P...]] [--dir D] [--keep-days N] [--keep N] [--json]",
		Short: "Back up the server: BGSAVE on its disk, an RDB downloaded here, or a logical backup where both are refused",
		Long: `backup makes a verified backup and prunes old ones.

  --bgsave    BGSAVE on the server's own disk, waited for properly (joins a save
              already running, BGSAVE SCHEDULE during an AOF rewrite, checks
              rdb_last_bgsave_status). Not in read-only mode.
  --download  an RDB snapshot over the replication protocol (like redis-cli --rdb),
              into --dir, verified (magic, version, CRC64).
  --logical   SCAN + DUMP + PTTL of every key (or of the patterns, given as
              arguments or --pattern: backup --logical 'lead:*'), paced by the
              load governor; resumes an interrupted one. 'cachedeck restore FILE'
              reads it. Works on managed Valkey, where BGSAVE and SYNC are refused.

Without a choice, backup downloads an RDB, or makes a logical backup when the
server refuses SYNC (and says why). Files go to --dir (default
$XDG_STATE_HOME/cachedeck/backups/<profile>/), named with the server and the UTC
time, mode 0600, never overwritten. After a verified new backup, older ones of
the same profile are pruned (--keep-days, --keep; never the newest, never one
that failed verification). BGSAVE and downloads fork the server: when its memory
is large against free memory, it warns and asks (or needs --yes). Every backup is
written to the audit log.`,
		Args: cobra.ArbitraryArgs, // patterns of a logical backup
	}
	f := cmd.Flags()
	f.BoolVar(&bgsave, "bgsave", false, "BGSAVE on the server's disk and wait for it")
	f.BoolVar(&download, "download", false, "download an RDB snapshot into --dir")
	f.BoolVar(&logical, "logical", false, "logical backup (SCAN + DUMP) into --dir")
	f.StringArrayVar(&patterns, "pattern", nil, "logical backup of the keys matching this glob only (repeatable)")
	f.StringVar(&dir, "dir", "", "backup directory (default $XDG_STATE_HOME/cachedeck/backups/<profile>/)")
	f.IntVar(&keepDays, "keep-days", redisops.DefaultKeepDays, "after a new backup, remove this profile's backups older than N days (0: no age limit)")
	f.IntVar(&keep, "keep", 0, "after a new backup, keep at most N verified backups of this profile (0: no count limit)")
	f.BoolVar(&noPrune, "no-prune", false, "do not prune old backups")
	f.BoolVar(&fresh, "fresh", false, "discard an interrupted logical backup instead of resuming it")
	f.BoolVar(&yes, "yes", false, "do not ask before forking the server")
	f.IntVar(&rate, "rate", 0, "logical backup: at most N keys per second (0: paced by the governor only)")
	f.DurationVar(&budget, "budget", redisops.DefaultGovernorBudget, "p99 latency budget of the load governor (0: off)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		patterns = append(patterns, args...)
		chosen := 0
		for _, b := range []bool{bgsave, download, logical} {
			if b {
				chosen++
			}
		}
		switch {
		case chosen > 1:
			return usagef("choose one of --bgsave, --download and --logical")
		case len(patterns) > 0 && (bgsave || download):
			return usagef("patterns go with --logical: BGSAVE and RDB downloads hold every key; see 'cachedeck backup --help'")
		case slices.Contains(patterns, ""):
			return usagef("a pattern must not be empty; see 'cachedeck backup --help'")
		case keepDays < 0 || keep < 0 || rate < 0 || budget < 0:
			return usagef("--keep-days, --keep, --rate and --budget must not be negative")
		}
		if len(patterns) > 0 {
			logical = true
		}
		ctx := cmd.Context()
		c, s, err := a.connect(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		if bgsave && s.readOnly {
			return errors.New("read-only mode: BGSAVE writes a snapshot on the server, so it is not run (--download and --logical change nothing and are allowed)")
		}
		if dir == "" {
			dir = redisops.DefaultBackupDir(s.profileName)
		}
		if !bgsave {
			if err := redisops.EnsureBackupDir(dir); err != nil {
				return err
			}
		}
		log, err := audit.Open(a.auditPath())
		if err != nil {
			return fmt.Errorf("%w: no backup was made", err)
		}
		defer log.Close()
		r := &backupRun{a: a, c: c, s: s, log: log, dir: dir, patterns: patterns, yes: yes, asJSON: asJSON, fresh: fresh, rate: rate, budget: budget}
		var runErr error
		switch {
		case bgsave:
			runErr = r.bgsave(ctx)
		case logical:
			runErr = r.logical(ctx)
		default:
			runErr = r.download(ctx, !download)
		}
		if runErr == nil && !r.out.Cancelled && r.out.Path != "" && !noPrune {
			plan, err := redisops.Prune(dir, redisops.Retention{KeepDays: keepDays, Keep: keep, Profile: s.profileName}, time.Now(), false)
			for _, e := range plan.Remove {
				r.out.Pruned = append(r.out.Pruned, e.Name)
			}
			for _, e := range plan.KeptFailed {
				r.out.KeptFailed = append(r.out.KeptFailed, e.Name)
			}
			if err != nil {
				r.out.Warnings = append(r.out.Warnings, err.Error())
			}
		}
		return r.finish(runErr)
	})
	return withHelpHints(cmd)
}

// finish prints the result (text or JSON) and turns the outcome into the
// command's error.
func (r *backupRun) finish(runErr error) error {
	a := r.a
	if runErr != nil {
		// The whole line, as text mode prints it: Describe's status-line
		// cut would drop the remedy at the end of a refusal.
		r.out.Error = runErr.Error()
	}
	if r.asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r.out); err != nil {
			return err
		}
	} else {
		for _, w := range r.out.Warnings {
			fmt.Fprintln(a.stderr, "warning: "+decode.SafeLine(w))
		}
		if runErr == nil {
			fmt.Fprintln(a.stdout, decode.SafeLine(r.summary()))
		}
		for _, n := range r.out.Pruned {
			fmt.Fprintln(a.stdout, "pruned "+decode.DisplayKey(n))
		}
		for _, n := range r.out.KeptFailed {
			fmt.Fprintln(a.stdout, "kept "+decode.DisplayKey(n)+": it failed verification (inspect it, delete it by hand)")
		}
	}
	if runErr != nil {
		return runErr
	}
	if r.out.Cancelled {
		if r.out.Kind == "bgsave" {
			return errors.New("cancelled: stopped waiting; the save goes on on the server")
		}
		return fmt.Errorf("cancelled: %d keys saved so far; run the same backup again to resume it", r.out.Keys)
	}
	return nil
}

func (r *backupRun) summary() string {
	o := r.out
	switch {
	case o.Kind == "bgsave" && o.Cancelled:
		return "stopped waiting for the save (it goes on on the server)"
	case o.Kind == "bgsave":
		b := o.BGSave
		how := ""
		if b.Joined {
			how = " (joined a save already running)"
		} else if b.Scheduled {
			how = " (scheduled after the AOF rewrite)"
		}
		return fmt.Sprintf("BGSAVE done%s in %s: %d changes saved, fork %s, copy-on-write %s, LASTSAVE %s",
			how, (time.Duration(o.DurationMs) * time.Millisecond).String(), b.ChangesBefore,
			(time.Duration(b.ForkUsec) * time.Microsecond).String(), humanBytes(b.COWBytes), b.LastSave)
	case o.Cancelled:
		return fmt.Sprintf("cancelled: %d keys in %s so far (run again to resume)", o.Keys, o.Path)
	}
	s := fmt.Sprintf("%s backup %s: %d keys, %s, %s, verified", o.Kind, o.Path, o.Keys, humanBytes(o.Bytes), (time.Duration(o.DurationMs) * time.Millisecond).String())
	if o.Resumed {
		s += " (resumed)"
	}
	return s
}

// audited writes the attempted line, runs fn, and writes its outcome with
// size and duration. fn returns the keys, the bytes and whether it was
// cancelled.
func (r *backupRun) audited(target string, fn func() (keys, size int64, cancelled bool, err error)) error {
	entry := audit.Entry{Profile: r.s.profileName, Server: r.c.Addr, Action: "backup", Target: target, Patterns: decode.DisplayKeys(r.patterns), Outcome: audit.Attempted}
	if err := r.log.Append(entry); err != nil {
		return fmt.Errorf("%w: no backup was made", err)
	}
	start := time.Now()
	keys, size, cancelled, runErr := fn()
	entry.Outcome, entry.Matched, entry.Bytes, entry.DurationMs = audit.Done, max(keys, 0), size, time.Since(start).Milliseconds()
	switch {
	case runErr != nil:
		entry.Outcome, entry.Error = audit.Failed, runErr.Error()
	case cancelled:
		entry.Outcome = audit.Cancelled
	}
	if err := r.log.Append(entry); err != nil && runErr == nil {
		r.out.Warnings = append(r.out.Warnings, "the backup was made, but the audit log could not be written: "+err.Error())
	}
	return runErr
}

// confirmFork warns about the fork's memory and asks on a terminal (a
// production profile always asks there); headless, a warning needs --yes.
func (r *backupRun) confirmFork(ctx context.Context, what string) error {
	risk := r.c.ForkRisk(ctx)
	if risk.Warning != "" {
		r.out.Warnings = append(r.out.Warnings, risk.Warning)
		fmt.Fprintln(r.a.noteOut(r.asJSON), "warning: "+risk.Warning)
	}
	if r.yes || (risk.Warning == "" && !r.s.production) {
		return nil
	}
	if !stdinIsTerminal() {
		why := "its memory is large against free memory"
		if risk.Warning == "" {
			why = "the profile is marked production"
		}
		return usagef("%s forks %s and %s: add --yes to go ahead (no terminal to ask on), or use --logical", what, r.c.Addr, why)
	}
	mem := ""
	if risk.UsedMemory > 0 {
		mem = " (used_memory " + humanBytes(risk.UsedMemory) + ")"
	}
	return confirmOnTerminal(ctx, r.a.stderr, os.Stdin, fmt.Sprintf("%s forks the server %s%s. Type yes to continue: ", what, r.c.Addr, mem), "no backup was made")
}

func (r *backupRun) bgsave(ctx context.Context) error {
	r.out.Kind, r.out.Keys = "bgsave", -1
	if why := r.c.CommandRefused(ctx, "bgsave"); why != "" {
		return r.offerLogical(ctx, &redisops.RefusedError{Command: "BGSAVE", Reason: why})
	}
	if err := r.confirmFork(ctx, "BGSAVE"); err != nil {
		return err
	}
	var res *redisops.BGSaveResult
	err := r.audited("bgsave", func() (int64, int64, bool, error) {
		o := redisops.BGSaveOptions{}
		if r.progressShown() {
			o.Progress = func(p redisops.BGSaveProgress) {
				keys := ""
				if p.KeysTotal > 0 {
					keys = fmt.Sprintf(" %d/%d keys", p.KeysProcessed, p.KeysTotal)
				}
				fmt.Fprintf(r.a.stderr, "\r%s%s  %s   ", p.Phase, keys, p.Elapsed.Round(time.Second))
			}
		}
		var err error
		res, err = r.c.BGSave(ctx, o)
		if o.Progress != nil {
			fmt.Fprintln(r.a.stderr)
		}
		if res == nil {
			return -1, 0, false, err
		}
		return res.KeysTotal, 0, res.Cancelled, err
	})
	if res != nil {
		r.out.DurationMs, r.out.Cancelled = res.Duration.Milliseconds(), res.Cancelled
		r.out.Verified = err == nil && !res.Cancelled
		r.out.BGSave = &bgsaveJSON{Joined: res.Joined, Scheduled: res.Scheduled, ServerSeconds: res.ServerSeconds, COWBytes: res.COWBytes,
			ForkUsec: res.ForkUsec, ChangesBefore: res.ChangesBefore, PreviousFailed: res.PreviousFailed}
		if !res.LastSaveTime.IsZero() {
			r.out.BGSave.LastSave = res.LastSaveTime.UTC().Format(time.RFC3339)
		}
		if res.PreviousFailed {
			r.out.Warnings = append(r.out.Warnings, "the save before this one had failed (rdb_last_bgsave_status:err)")
		}
	}
	if redisops.AsRefused(err, "BGSAVE") != nil {
		return r.offerLogical(ctx, err)
	}
	return err
}

// download fetches an RDB; auto (no kind chosen) falls back to a logical
// backup when the server refuses SYNC.
func (r *backupRun) download(ctx context.Context, auto bool) error {
	r.out.Kind = "rdb"
	if why := r.c.CommandRefused(ctx, "sync"); why != "" {
		refused := &redisops.RefusedError{Command: "SYNC", Reason: why}
		if auto {
			return r.fallBack(ctx, refused)
		}
		return r.offerLogical(ctx, refused)
	}
	if err := r.confirmFork(ctx, "An RDB download"); err != nil {
		return err
	}
	path, err := redisops.NewBackupPath(r.dir, r.c.Addr, redisops.KindRDB, time.Now())
	if err != nil {
		return err
	}
	var res redisops.RDBDownload
	err = r.audited("rdb "+path, func() (int64, int64, bool, error) {
		var progress func(received, total int64)
		if r.progressShown() {
			progress = func(received, total int64) {
				of := ""
				if total > 0 {
					of = " of " + humanBytes(total)
				}
				fmt.Fprintf(r.a.stderr, "\rreceived %s%s   ", humanBytes(received), of)
			}
		}
		var err error
		res, err = r.c.DownloadRDB(ctx, path, progress)
		if progress != nil {
			fmt.Fprintln(r.a.stderr)
		}
		if err != nil && ctx.Err() != nil {
			// Ctrl-C: DownloadRDB closed the stream and removed its temp
			// file; a cancelled run, not a failed one.
			return -1, res.Bytes, true, nil
		}
		if err != nil {
			return -1, res.Bytes, false, err
		}
		m := redisops.BackupManifest{Kind: redisops.KindRDB, Server: r.c.Addr, Product: r.c.Server.Product, Version: r.c.Server.Version,
			Profile: r.s.profileName, Keys: res.Info.Keys, Bytes: res.Bytes, Created: time.Now().UTC(), DurationMs: res.Duration.Milliseconds(), Diskless: res.Diskless}
		if err := redisops.WriteManifest(res.Path, m); err != nil {
			return res.Info.Keys, res.Bytes, false, fmt.Errorf("manifest: %w (the RDB file %s is sound)", err, res.Path)
		}
		return res.Info.Keys, res.Bytes, false, nil
	})
	if err == nil && ctx.Err() != nil && res.Path == "" {
		// Audited as cancelled; the command's one line says nothing is kept.
		r.out.Cancelled = true
		return errors.New("cancelled: the download stopped and its temp file was removed; no backup was made")
	}
	if err == nil {
		r.out.Path, r.out.Bytes, r.out.Keys, r.out.DurationMs, r.out.Verified = res.Path, res.Bytes, res.Info.Keys, res.Duration.Milliseconds(), true
		return nil
	}
	if re := redisops.AsRefused(err, "SYNC"); re != nil {
		if auto {
			return r.fallBack(ctx, re)
		}
		return r.offerLogical(ctx, re)
	}
	return err
}

// fallBack makes a logical backup because refused says the server will
// not hand out an RDB, and says so.
func (r *backupRun) fallBack(ctx context.Context, refused error) error {
	r.out.Fallback = refused.Error()
	if !r.asJSON {
		fmt.Fprintf(r.a.stderr, "cachedeck: %s: making a logical backup instead (SCAN + DUMP, paced)\n", refused.Error())
	}
	return r.logical(ctx)
}

// offerLogical answers an explicit --bgsave or --download the server
// refused: on a terminal it offers a logical backup, headless it names it.
func (r *backupRun) offerLogical(ctx context.Context, refused error) error {
	if !stdinIsTerminal() || r.asJSON {
		return fmt.Errorf("%w: no backup was made; 'cachedeck backup --logical' works without it (SCAN + DUMP)", refused)
	}
	line, err := askLine(ctx, r.a.stderr, os.Stdin, fmt.Sprintf("%s. Make a logical backup instead (SCAN + DUMP, paced)? [y/N] ", refused.Error()), "no backup was made")
	if err != nil {
		return err
	}
	if line != "y" && line != "yes" {
		return fmt.Errorf("%w: no backup was made", refused)
	}
	return r.fallBack(ctx, refused)
}

func (r *backupRun) logical(ctx context.Context) error {
	r.out.Kind = "logical"
	path, held, resumed := redisops.FindResumable(r.dir, r.c.Addr, r.patterns)
	if resumed && r.fresh {
		if err := redisops.DiscardPartial(path); err != nil {
			return err
		}
		resumed = false
	}
	if !resumed {
		var err error
		if path, err = redisops.NewBackupPath(r.dir, r.c.Addr, redisops.KindLogical, time.Now()); err != nil {
			return err
		}
	} else if !r.asJSON {
		fmt.Fprintf(r.a.stderr, "cachedeck: resuming the interrupted backup %s (%d keys already saved; --fresh starts over)\n", path, held)
	}
	o := redisops.LogicalOptions{Patterns: r.patterns, Rate: r.rate, Profile: r.s.profileName}
	if r.budget > 0 {
		g := redisops.NewGovernor(r.c, redisops.GovernorOptions{Budget: r.budget})
		g.Start(ctx)
		defer g.Stop()
		o.Governor = g
	}
	if r.progressShown() {
		o.Progress = func(p redisops.LogicalProgress) {
			fmt.Fprintf(r.a.stderr, "\rsaved %d keys, %s  %s   ", p.Keys, humanBytes(p.Bytes), p.Elapsed.Round(time.Second))
		}
	}
	var res *redisops.LogicalResult
	err := r.audited("logical "+path, func() (int64, int64, bool, error) {
		var err error
		res, err = r.c.LogicalBackup(ctx, path, o)
		if o.Progress != nil {
			fmt.Fprintln(r.a.stderr)
		}
		if res == nil {
			return 0, 0, false, err
		}
		return res.Keys, res.Bytes, res.Cancelled, err
	})
	if res != nil {
		r.out.Path, r.out.Keys, r.out.Bytes, r.out.DurationMs = res.Path, res.Keys, res.Bytes, res.Duration.Milliseconds()
		r.out.Resumed, r.out.Cancelled = res.ResumedFrom > 0, res.Cancelled
	}
	if err != nil || res.Cancelled {
		return err
	}
	// The file is read back whole before it counts: the retention that
	// follows removes older backups only after a sound new one.
	if _, err := redisops.VerifyLogical(path); err != nil {
		return fmt.Errorf("the new backup %s failed verification: %w", path, err)
	}
	r.out.Verified = true
	return nil
}

func (r *backupRun) progressShown() bool { return r.a.stderrIsTerminal() }
