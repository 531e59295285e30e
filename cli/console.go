package cli

import (
	"context"
	"errors"
	"os"

	"github.com/charmbracelet/x/term"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui"
	"github.com/coldcopy/cachedeck/ui/styles"
)

// errNoTerminal: the console needs a terminal; runbooks use subcommands.
var errNoTerminal = errors.New("the console needs a terminal (stdin and stdout): for scripts use a subcommand, see 'cachedeck --help'")

func isTerminal() bool {
	return term.IsTerminal(os.Stdin.Fd()) && term.IsTerminal(os.Stdout.Fd())
}

// openConsole runs the console on an established connection.
func openConsole(ctx context.Context, c *redisops.Client, s *session, auditPath string) error {
	if !isTerminal() {
		return errNoTerminal
	}
	db := s.opts.DB
	if db < 0 {
		db = c.DB()
	}
	warmers, warmersErr := s.profile.WarmerList()
	return ui.Run(ctx, ui.NewConsole(ui.Options{
		Client:        c,
		ProfileName:   s.profileName,
		Production:    s.production,
		ReadOnly:      s.readOnly,
		AuditPath:     auditPath,
		DB:            db,
		Styles:        styles.Detect(),
		DO:            s.do,
		DOUnavailable: s.doUnavailable,
		Warmers:       warmers,
		WarmersErr:    warmersErr,
	}))
}
