// Package cli holds cachedeck's command line: the connection flags shared
// by every command and the headless subcommands runbooks rely on.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
)

// Exit codes: the contract runbooks rely on.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// usageError marks a mistake in how the command was called (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// app is one invocation: its streams and the flags every command shares.
type app struct {
	stdout, stderr io.Writer
	conn           connFlags
	ranCommand     bool
}

// Main runs cachedeck with args (without the program name) and returns the
// exit code. Ctrl-C cancels the running command's context, and so do
// SIGTERM and SIGHUP (an SSH session that drops): a clean exit that still
// writes every audit outcome, never a crash.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return MainContext(ctx, args, stdout, stderr)
}

// MainContext is Main with the caller's context: cancelling it is Ctrl-C.
func MainContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	safeOut := newSafeWriter(stdout)
	a := &app{stdout: safeOut, stderr: stderr}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(safeOut)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if ferr := safeOut.Flush(); err == nil {
		err = ferr
	}
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "cachedeck: "+errorLine(err))
	var ue usageError
	if errors.As(err, &ue) || !a.ranCommand {
		return ExitUsage
	}
	return ExitFailure
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "cachedeck",
		Short: "Terminal admin console for a production Redis or Valkey cache",
		Long: `cachedeck browses namespaced keys with SCAN, shows a key's TTL and its value
decompressed and pretty-printed, and offers guarded cache actions.
Every action also exists as a headless subcommand with JSON output.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q; see 'cachedeck --help'", args[0])
			}
			return nil
		},
	}
	// No subcommand: the console, with the same flags and profiles.
	root.RunE = a.run(func(cmd *cobra.Command, _ []string) error {
		if !isTerminal() {
			return errNoTerminal
		}
		c, s, err := a.connect(cmd.Context())
		if err != nil {
			return err
		}
		defer c.Close()
		return openConsole(cmd.Context(), c, s, a.auditPath())
	})
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usagef("%v; see '%s --help'", err, cmd.CommandPath())
	})
	a.conn.register(root.PersistentFlags())
	root.AddCommand(a.scanCmd(), a.inspectCmd(), a.seedCmd(), a.demoCmd(), a.statsCmd(), a.slowlogCmd(), a.memoryCmd(), a.invalidateCmd(), a.restoreCmd())
	root.AddCommand(a.doCmd())
	root.AddCommand(a.policyCmd(), a.doctorCmd())
	root.AddCommand(a.warmCmd(), a.ttlSpreadCmd())
	root.AddCommand(a.backupCmd(), a.backupsCmd())
	return root
}

// run wraps a command body: from here on, errors are runtime failures
// (exit 1) unless they are usageErrors.
func (a *app) run(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.ranCommand = true
		return fn(cmd, args)
	}
}

// exactArgs is cobra.ExactArgs reported as a usage error.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s (got %d arguments); see '%s --help'", cmd.Name(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// errorLine is err as the one line the operator reads: the server's state
// explained when the error is about it (OOM, BUSY, LOADING, …), and any
// control character or line break from a server's error string escaped.
func errorLine(err error) string {
	msg := err.Error()
	if hint := redisops.StateHint(err); hint != "" && !strings.Contains(msg, hint) {
		msg += " (" + hint + ")"
	}
	return decode.SafeLine(msg)
}
