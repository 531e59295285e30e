package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
)

func (a *app) seedCmd() *cobra.Command {
	var opts seed.Options
	cmd := &cobra.Command{
		Use:   "seed --url URL [--keys N] [--force]",
		Short: "Write the ColdCopy-shaped demo dataset into a server (refuses a non-empty database)",
		Args:  exactArgs(0, "no arguments"),
	}
	cmd.Flags().IntVar(&opts.Keys, "keys", 100_000, "number of keys to write")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "random seed (same seed, same dataset)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "seed even though the database already holds keys")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string) error {
		if opts.Keys <= 0 {
			return usagef("--keys must be positive")
		}
		if !a.conn.changed("url") && !a.conn.changed("profile") {
			return usagef("seed writes data: name the target with --url or --profile")
		}
		c, s, err := a.connect(cmd.Context())
		if err != nil {
			return err
		}
		defer c.Close()
		if s.readOnly {
			return errors.New("read-only mode: seed writes data, so it is not run (drop --read-only or use another profile)")
		}
		return seedInto(cmd.Context(), c, opts, a.stderr, a.stderrIsTerminal())
	})
	return cmd
}

// seedInto seeds and reports to w; the running count only when showProgress
// (a terminal: a log file gets no \r-rewritten lines).
func seedInto(ctx context.Context, c *redisops.Client, opts seed.Options, progress io.Writer, showProgress bool) error {
	start := time.Now()
	last := time.Time{}
	if showProgress {
		opts.Progress = func(done, total int) {
			if time.Since(last) > 500*time.Millisecond || done == total {
				last = time.Now()
				fmt.Fprintf(progress, "\rseeding: %d/%d keys", done, total)
			}
		}
	}
	sum, err := seed.Seed(ctx, c.Redis(), opts)
	if opts.Progress != nil {
		fmt.Fprintln(progress)
	}
	if errors.Is(err, seed.ErrNotEmpty) {
		return fmt.Errorf("%s: the database is not empty; seed refuses to mix demo keys into real data (use --force to do it anyway)", c.Addr)
	}
	if err != nil {
		return fmt.Errorf("seed %s: %w", c.Addr, err)
	}
	fmt.Fprintf(progress, "seeded %d keys in %d namespaces in %s\n", sum.Keys, len(sum.ByNamespace), time.Since(start).Round(time.Millisecond))
	return nil
}
