package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/policy"
	"github.com/coldcopy/cachedeck/redisops"
)

// policyFixJSON is the `cachedeck policy fix --json` object.
type policyFixJSON struct {
	Fix        string `json:"fix"` // damaged-lz or ttl
	DryRun     bool   `json:"dry_run"`
	Matched    int64  `json:"matched"` // keys found needing the fix
	Changed    int64  `json:"changed"` // deleted (damaged-lz) or given a TTL (ttl)
	MissingTTL int64  `json:"missing_ttl,omitempty"`
	AboveTTL   int64  `json:"above_ttl,omitempty"`
	DurationMs int64  `json:"duration_ms"`
	Cancelled  bool   `json:"cancelled"`
}

func (a *app) policyFixCmd() *cobra.Command {
	var (
		policyPath     string
		damagedLZ, ttl bool
		dryRun, yes    bool
		asJSON         bool
		rate           int
		budget         time.Duration
	)
	cmd := &cobra.Command{
		Use:   "fix --damaged-lz | --ttl [--dry-run] [--yes] [--rate N] [--budget D] [--json]",
		Short: "Repair what 'policy check' found: delete damaged LZ: values, set missing or too long TTLs",
		Long: `fix repairs one kind of finding, previewed, confirmed (type the fix's name back,
or --yes), paced by --rate and the latency governor, cancellable with Ctrl-C and
written to the audit log. Read-only sessions cannot run it.

--damaged-lz audits every key (exact) for LZ: values the app cannot read, then
deletes exactly those keys with the invalidation machinery (EXISTS + UNLINK per
key). The app recomputes them on its next miss: nothing readable is lost.

--ttl walks each namespace that has a TTL (SCAN MATCH its patterns, PTTL) and
gives keys without expiry PEXPIRE ... NX, and keys whose TTL is above the policy
PEXPIRE ... LT: a key the app rewrote meanwhile is never lengthened. New TTLs are
spread over the namespace's last ttl_tolerance so they do not expire together.`,
		Args: exactArgs(0, "no arguments"),
	}
	f := cmd.Flags()
	f.StringVar(&policyPath, "policy", "", "policy file (default: the profile's, else the built-in policy)")
	f.BoolVar(&damagedLZ, "damaged-lz", false, "delete the damaged LZ: values")
	f.BoolVar(&ttl, "ttl", false, "set missing TTLs and lower TTLs above the policy")
	f.BoolVar(&dryRun, "dry-run", false, "count only: change nothing")
	f.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	f.IntVar(&rate, "rate", 0, "at most N keys changed per second (0: unpaced)")
	f.DurationVar(&budget, "budget", redisops.DefaultGovernorBudget, "p99 latency budget of the load governor (0: off)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON (the preview goes to stderr)")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string) error {
		if damagedLZ == ttl {
			return usagef("give exactly one of --damaged-lz and --ttl")
		}
		if rate < 0 || budget < 0 {
			return usagef("--rate and --budget must not be negative")
		}
		if !dryRun && !yes && !stdinIsTerminal() {
			return usagef("policy fix changes keys: add --yes to confirm (no terminal to ask on)")
		}
		p, err := a.loadPolicy(policyPath)
		if err != nil {
			return err
		}
		name, does := redisops.FixDamagedLZ, "policy fix --damaged-lz deletes keys"
		if ttl {
			name, does = redisops.FixTTL, "policy fix --ttl sets TTLs"
		}
		ctx := cmd.Context()
		c, s, err := a.connectToWrite(ctx, !dryRun, does, "nothing was changed")
		if err != nil {
			return err
		}
		defer c.Close()
		var gov *redisops.Governor
		if budget > 0 {
			gov = redisops.NewGovernor(c, redisops.GovernorOptions{Budget: budget})
			gov.Start(ctx)
			defer gov.Stop()
		}
		pw := a.humanOut(asJSON, !yes && !dryRun)
		fx := &policyFix{a: a, c: c, s: s, p: p, gov: gov, rate: rate, name: name}
		// The preview is the dry run: what would change, counted the same way.
		var matched int64
		var keys []string
		if damagedLZ {
			keys, err = fx.damagedKeys(ctx)
			if err != nil {
				return err
			}
			matched = int64(len(keys))
			fmt.Fprintf(pw, "damaged LZ: values: %d keys (the app cannot read them; it recomputes them on its next miss)\n", matched)
			for i, k := range keys {
				if i == 10 {
					fmt.Fprintf(pw, "  … %d more\n", len(keys)-10)
					break
				}
				fmt.Fprintf(pw, "  %s\n", shortKey(k))
			}
		} else {
			prev, err := c.FixTTL(ctx, redisops.FixTTLOptions{Policy: p, Governor: gov, DryRun: true})
			if err != nil {
				return err
			}
			if prev.Cancelled {
				return errors.New("cancelled during the preview: nothing was changed")
			}
			matched = prev.MissingTTL + prev.AboveTTL
			fmt.Fprintf(pw, "TTLs: %d keys without expiry get the namespace's TTL, %d keys above the policy get it lowered (policy %s)\n", prev.MissingTTL, prev.AboveTTL, p.Source)
		}
		result := policyFixJSON{Fix: name, DryRun: dryRun, Matched: matched}
		if dryRun || matched == 0 {
			return a.writeFixResult(asJSON, result)
		}
		if !yes || (s.production && stdinIsTerminal()) {
			line, err := askLine(ctx, a.stderr, os.Stdin, fmt.Sprintf("Type %s to change %d keys: ", name, matched), "nothing was changed")
			if err != nil {
				return err
			}
			if line != name {
				return errors.New("the typed name does not match: nothing was changed")
			}
		}
		return fx.run(ctx, keys, matched, result, asJSON)
	})
	return cmd
}

// policyFix is one confirmed fix on its way through the audit log.
type policyFix struct {
	a    *app
	c    *redisops.Client
	s    *session
	p    *policy.Policy
	gov  *redisops.Governor
	rate int
	name string
}

// damagedKeys audits every key and returns the damaged LZ: ones.
func (fx *policyFix) damagedKeys(ctx context.Context) ([]string, error) {
	var keys []string
	r, err := fx.c.Audit(ctx, redisops.AuditOptions{Policy: fx.p, Exact: true, Governor: fx.gov, Collect: func(kind, key string) {
		if kind == redisops.FindDamagedLZ {
			keys = append(keys, key)
		}
	}})
	if err != nil {
		return nil, err
	}
	if r.Cancelled {
		return nil, errors.New("cancelled during the preview: nothing was changed")
	}
	return keys, nil
}

func (fx *policyFix) run(ctx context.Context, keys []string, matched int64, result policyFixJSON, asJSON bool) error {
	a := fx.a
	auditLog, err := audit.Open(a.auditPath())
	if err != nil {
		return fmt.Errorf("%w: nothing was changed", err)
	}
	defer auditLog.Close()
	action := "policy fix " + fx.name
	entry := audit.Entry{Profile: fx.s.profileName, Server: fx.c.Addr, Action: action, Target: "policy " + fx.p.Source, Matched: matched, Outcome: audit.Attempted}
	if err := auditLog.Append(entry); err != nil {
		return fmt.Errorf("%w: nothing was changed", err)
	}
	start := time.Now()
	var runErr error
	var cancelled bool
	if fx.name == redisops.FixDamagedLZ {
		patterns := make([]string, len(keys))
		for i, k := range keys {
			patterns[i] = redisops.GlobEscape(k) // a literal: one EXISTS, one UNLINK
		}
		var res *redisops.InvalidateResult
		res, runErr = fx.c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: patterns, Rate: fx.rate, Governor: fx.gov})
		if res != nil {
			result.Changed, cancelled = res.Deleted, res.Cancelled
			entry.Deleted, entry.Unconfirmed = res.Deleted, res.Unconfirmed
		}
	} else {
		var res *redisops.FixTTLResult
		res, runErr = fx.c.FixTTL(ctx, redisops.FixTTLOptions{Policy: fx.p, Governor: fx.gov, Rate: fx.rate})
		if res != nil {
			result.Changed, cancelled = res.Set, res.Cancelled
			result.MissingTTL, result.AboveTTL = res.MissingTTL, res.AboveTTL
			entry.Matched = res.MissingTTL + res.AboveTTL
			entry.Target += fmt.Sprintf("; %d TTLs set", res.Set)
		}
	}
	result.DurationMs = time.Since(start).Milliseconds()
	result.Cancelled = cancelled
	entry.DurationMs, entry.Outcome = result.DurationMs, audit.Done
	if cancelled {
		entry.Outcome = audit.Cancelled
	}
	if runErr != nil {
		entry.Outcome, entry.Error = audit.Failed, runErr.Error()
	}
	auditErr := auditLog.Append(entry)
	if err := a.writeFixResult(asJSON, result); err != nil {
		return err
	}
	switch {
	case runErr != nil:
		return fmt.Errorf("%w (%d keys changed before the failure)", runErr, result.Changed)
	case auditErr != nil:
		return fmt.Errorf("the keys were changed, but the audit log could not be written: %w", auditErr)
	case cancelled:
		return fmt.Errorf("cancelled: %d keys changed", result.Changed)
	}
	return nil
}

func (a *app) writeFixResult(asJSON bool, r policyFixJSON) error {
	if asJSON {
		return writeJSON(a.stdout, r)
	}
	var err error
	switch {
	case r.DryRun:
		_, err = fmt.Fprintf(a.stdout, "dry run: %d keys would be changed\n", r.Matched)
	case r.Matched == 0:
		_, err = fmt.Fprintln(a.stdout, "nothing to fix")
	case r.Fix == redisops.FixDamagedLZ:
		_, err = fmt.Fprintf(a.stdout, "%d damaged keys deleted (%d found) in %s\n", r.Changed, r.Matched, time.Duration(r.DurationMs)*time.Millisecond)
	default:
		_, err = fmt.Fprintf(a.stdout, "%d TTLs set (%d without expiry, %d above the policy; a key changed meanwhile is left alone) in %s\n", r.Changed, r.MissingTTL, r.AboveTTL, time.Duration(r.DurationMs)*time.Millisecond)
	}
	return err
}
