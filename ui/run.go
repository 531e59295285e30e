package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// Run shows the console until the operator quits or ctx ends (the CLI
// ends it on SIGINT, SIGTERM and SIGHUP: a dropped SSH session is a clean
// exit, not a crash). A panic anywhere in the console restores the
// terminal (Bubble Tea does that) and comes back as one line naming a
// crash file: the stack trace goes to the file, never onto the operator's
// screen.
func Run(ctx context.Context, m *Model, opts ...tea.ProgramOption) error {
	terminal := os.Stderr // stderr is the crash file while the console runs
	crash, restore := captureStderr()
	defer restore()
	// 120 fps halves the worst wait between a keypress and its frame; the
	// cell-diff renderer sends nothing when nothing changed.
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(120)}, opts...)...)
	_, err := p.Run()
	// A run cancelled here writes its outcome before the process ends; say
	// why the prompt has not come back if that takes a moment.
	slow := time.AfterFunc(time.Second, func() {
		fmt.Fprintln(terminal, "cachedeck: waiting for the run in progress to stop and write its outcome to the audit log…")
	})
	m.StopPanes()
	slow.Stop()
	// A run that quitting stopped says how it ended where the operator
	// looks now, not only in the audit log.
	for _, line := range m.ExitReport() {
		fmt.Fprintln(terminal, "cachedeck: "+line)
	}
	// A key edit, a client kill or a slowlog reset still running writes
	// its outcome before the process ends; each has its own timeout.
	widgets.FinishAudited(15 * time.Second)
	switch {
	case errors.Is(err, tea.ErrProgramPanic):
		if crash != "" {
			return fmt.Errorf("internal error: the console crashed and the terminal was restored; details in %s (please attach it to a bug report)", crash)
		}
		return errors.New("internal error: the console crashed and the terminal was restored")
	case err == nil, ctx.Err() != nil:
		// Ended by a signal (a hangup may also fail the terminal's reads
		// first): a clean exit.
		return nil
	}
	return fmt.Errorf("console: %w", err)
}

// captureStderr sends stderr to a crash file under the state directory
// while the console runs, so that nothing written there garbles the
// screen. The file is removed when nothing was written.
func captureStderr() (path string, restore func()) {
	dir := stateDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", func() {}
	}
	f, err := os.CreateTemp(dir, "crash-"+time.Now().UTC().Format("20060102T150405")+"-*.log")
	if err != nil {
		return "", func() {}
	}
	saved := os.Stderr
	os.Stderr = f
	return f.Name(), func() {
		os.Stderr = saved
		info, err := f.Stat()
		_ = f.Close()
		if err == nil && info.Size() == 0 {
			_ = os.Remove(f.Name())
		}
	}
}

// stateDir is $XDG_STATE_HOME/cachedeck, else ~/.local/state/cachedeck.
func stateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "cachedeck")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "cachedeck")
	}
	return filepath.Join(home, ".local", "state", "cachedeck")
}
