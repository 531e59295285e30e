package invalidate

import (
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// startRun previews patterns, confirms them and returns with the run
// started.
func startRun(t *testing.T, h *harness, patterns string) {
	t.Helper()
	previewOf(t, h, patterns)
	h.Key("x")
	typeText(h, patterns)
	h.Key("enter")
	require.True(t, h.m.Running())
}

// Ctrl-C (the frame calls Interrupt) cancels a running invalidation as esc
// does: the result is exact and shown, and the console stays up.
func TestInterruptCancelsTheRunLikeEsc(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	const n = 20000
	c := server(t, n, 100)
	h := newHarness(t, c, 90, 24, false, func(m *Model) { m.rate.SetValue("4000") })
	_, interrupted := h.m.Interrupt()
	assert.False(t, interrupted, "nothing running: Ctrl-C quits")

	startRun(t, h, "temp:*")
	h.Until("some progress", func() bool { return h.m.progress.Deleted > 0 })
	_, interrupted = h.m.Interrupt()
	require.True(t, interrupted)
	_, interrupted = h.m.Interrupt()
	assert.False(t, interrupted, "already cancelled: a second Ctrl-C quits")
	h.Until("the cancelled run", func() bool { return !h.m.Running() })

	r := h.m.Result()
	require.NotNil(t, r)
	assert.True(t, r.Cancelled)
	assert.Less(t, r.Deleted, int64(n))
	assert.Equal(t, int64(n)-r.Deleted, count(t, c, "temp:*"), "the count is exact")
	want := fmt.Sprintf("cancelled: %s keys deleted (exact)", commas(r.Deleted))
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 24)), want)
	lines := auditLines(t)
	require.Len(t, lines, 2)
	assert.Equal(t, audit.Cancelled, lines[1].Outcome)
	assert.Equal(t, r.Deleted, lines[1].Deleted)
}

// A run that does not end within stopWait of Stop (a batch stuck on a
// dead connection; here held by afterAttempt) gets its outcome line from
// Stop: the console exits with no attempt left without an outcome.
func TestStopLogsAnUnknownOutcomeForARunThatOutlastsIt(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 100, 0)
	held, release := make(chan struct{}), make(chan struct{})
	savedWait := stopWait
	stopWait = time.Millisecond // the run is held until release: the wait always runs out
	afterAttempt = func() {
		close(held)
		<-release
	}
	t.Cleanup(func() { stopWait, afterAttempt = savedWait, nil })
	h := newHarness(t, c, 90, 24, false, func(m *Model) { m.c.Profile = "test" })
	h.Key("b") // a backup: the attempt names it in Target
	startRun(t, h, "temp:*")
	select {
	case <-held:
	case <-time.After(20 * time.Second):
		t.Fatal("the run never logged its attempt")
	}
	job := h.m.job
	h.m.Stop()
	assert.False(t, h.m.Running())

	lines := auditLines(t)
	require.Len(t, lines, 2)
	attempt, outcome := lines[0], lines[1]
	assert.Equal(t, audit.Attempted, attempt.Outcome)
	assert.Equal(t, audit.Failed, outcome.Outcome)
	assert.Equal(t, "the console exited before the run ended: its outcome is unknown (check the keys)", outcome.Error)
	assert.Equal(t, attempt.Action, outcome.Action)
	assert.Equal(t, attempt.Patterns, outcome.Patterns)
	assert.Equal(t, attempt.Target, outcome.Target)
	assert.Contains(t, outcome.Target, "backup ")
	assert.Equal(t, "test", outcome.Profile)
	assert.Equal(t, c.Addr, outcome.Server)
	assert.Zero(t, outcome.Deleted, "no count is known")
	require.Len(t, h.m.ExitReport(), 1, "the terminal is told too")
	assert.Contains(t, h.m.ExitReport()[0], "invalidation of temp:* failed: the console exited before the run ended")

	// Let the run go on: cancelled, it deletes nothing, and it does not
	// write a second outcome.
	close(release)
	select {
	case <-job.Ended():
	case <-time.After(20 * time.Second):
		t.Fatal("the released run never ended")
	}
	assert.Len(t, auditLines(t), 2)
	assert.Equal(t, int64(100), count(t, c, "temp:*"))
}

// Quitting mid-run: Stop cancels the run, which writes its exact outcome;
// the same outcome is the line the terminal gets once the screen is gone.
func TestQuitMidRunReportsTheOutcomeForTheTerminal(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 20000, 100)
	h := newHarness(t, c, 90, 24, false, func(m *Model) { m.rate.SetValue("4000") })
	startRun(t, h, "temp:*")
	h.Until("some progress", func() bool { return h.m.progress.Deleted > 0 })
	h.m.Stop()
	lines := auditLines(t)
	require.Len(t, lines, 2)
	report := h.m.ExitReport()
	require.Len(t, report, 1)
	assert.Contains(t, report[0], "invalidation of temp:* cancelled: "+commas(lines[1].Deleted)+" of ")
	assert.Contains(t, report[0], "matched keys deleted in ")
	assert.Contains(t, report[0], "audit log: "+audit.DefaultPath())
}
