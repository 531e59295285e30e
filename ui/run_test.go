package ui

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
)

// reportingPane has a run that quitting stopped.
type reportingPane struct{ stubPane }

func (p *reportingPane) ExitReport() []string {
	return []string{"invalidation of temp:* cancelled: 12 of 40 matched keys deleted in 1.2s"}
}

// A hangup (the CLI turns SIGHUP into a cancelled context) ends the
// console cleanly: no error, no crash file left behind, and the outcome of
// a stopped run still reaches the terminal.
func TestCancelledConsoleExitsCleanlyAndReportsRuns(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	m := New(Options{Styles: styles.Options{Dark: true, NoColor: true}})
	m.AddTab(Tab{Title: "Keys", Panes: []views.Pane{&reportingPane{stubPane{name: "P"}}}, Titles: []string{"P"}})

	// The terminal is os.Stderr when Run starts.
	r, w, err := os.Pipe()
	require.NoError(t, err)
	saved := os.Stderr
	os.Stderr = w
	t.Cleanup(func() { os.Stderr = saved })
	var terminal bytes.Buffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&terminal, r); close(copied) }()

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	err = Run(ctx, m, tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithWindowSize(80, 24))
	os.Stderr = saved
	require.NoError(t, w.Close())
	<-copied

	assert.NoError(t, err, "a hangup is not an error")
	crashes, _ := filepath.Glob(filepath.Join(state, "cachedeck", "crash-*.log"))
	assert.Empty(t, crashes, "no crash file for a clean exit")
	assert.Contains(t, terminal.String(), "cachedeck: invalidation of temp:* cancelled: 12 of 40 matched keys deleted in 1.2s\n")
}
