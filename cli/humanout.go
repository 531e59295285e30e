package cli

import (
	"errors"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// humanOut is where a command prints what a person reads (a preview,
// progress, notes) besides its result. Without --json that is stdout.
// With --json stdout holds the JSON alone, so the text goes to stderr,
// and only when someone watches it there (a terminal) or is being asked
// to confirm what it shows; a runbook's log gets the JSON and nothing else.
func (a *app) humanOut(asJSON, asking bool) io.Writer {
	if !asJSON {
		return a.stdout
	}
	if asking || a.stderrIsTerminal() {
		return a.stderr
	}
	return io.Discard
}

// noteOut is where notes and progress that always went to stderr go: a
// terminal's stderr, or any stderr without --json (a human ran it), but
// nowhere with --json and no terminal.
func (a *app) noteOut(asJSON bool) io.Writer {
	if asJSON && !a.stderrIsTerminal() {
		return io.Discard
	}
	return a.stderr
}

// withHelpHints makes every usage error of cmd and its subcommands (a bad
// value, flags that do not go together, a wrong argument count) one line
// that ends by pointing at that command's --help, like the flag parser's
// own errors (root's SetFlagErrorFunc). Errors already naming a --help
// are left alone.
func withHelpHints(cmd *cobra.Command) *cobra.Command {
	hint := func(c *cobra.Command, err error) error {
		var ue usageError
		var nv noVerdictError
		if err == nil || !errors.As(err, &ue) || errors.As(err, &nv) || strings.Contains(err.Error(), "--help") {
			return err
		}
		return usagef("%v; see '%s --help'", err, c.CommandPath())
	}
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error { return hint(c, run(c, args)) }
	}
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error { return hint(c, check(c, args)) }
	}
	for _, sub := range cmd.Commands() {
		withHelpHints(sub)
	}
	return cmd
}
