package cli

import "io"

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
