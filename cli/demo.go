package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/internal/redisproc"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
)

func (a *app) demoCmd() *cobra.Command {
	var opts seed.Options
	cmd := &cobra.Command{
		Use:   "demo [--keys N]",
		Short: "Run a throwaway local redis-server seeded with ColdCopy-shaped data",
		Args:  exactArgs(0, "no arguments"),
	}
	cmd.Flags().IntVar(&opts.Keys, "keys", 100_000, "number of keys to seed")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "random seed")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string) error {
		if opts.Keys <= 0 {
			return usagef("--keys must be positive")
		}
		if _, err := redisproc.LookPath(); err != nil {
			return err
		}
		ctx := cmd.Context()
		removeStaleDemoDirs(time.Now(), a.stderr)
		srv, err := redisproc.Start(ctx, redisproc.Config{})
		if err != nil {
			return fmt.Errorf("demo: start redis-server: %w", err)
		}
		// Stop on every exit path; Ctrl-C cancels ctx and lands here too.
		defer srv.Stop()
		c, err := redisops.Connect(ctx, redisops.ConnOptions{URL: srv.URL(), DB: -1})
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer c.Close()
		if err := seedInto(ctx, c, opts, a.stderr, a.stderrIsTerminal()); err != nil {
			return err
		}
		if isTerminal() {
			return openConsole(ctx, c, &session{opts: redisops.ConnOptions{URL: srv.URL(), DB: 0}, profileName: "demo"}, a.auditPath())
		}
		return a.serveDemo(ctx, srv.URL())
	})
	return cmd
}

// serveDemo keeps the demo server up until Ctrl-C when there is no
// terminal to show the console on: the URL is printed for the headless
// commands.
func (a *app) serveDemo(ctx context.Context, url string) error {
	fmt.Fprintf(a.stdout, "demo server ready: %s\n", url)
	fmt.Fprintf(a.stdout, "try: cachedeck scan --url %s --match 'lead:*' --limit 20\n", url)
	fmt.Fprintln(a.stdout, "press Ctrl-C to stop it and remove its data")
	<-ctx.Done()
	fmt.Fprintln(a.stdout, "stopping the demo server")
	return nil
}
