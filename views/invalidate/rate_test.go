package invalidate

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/views/viewtest"
)

// The rate typed in the form paces the invalidation and the restore. At r
// keys/s a batch is sent no earlier than (keys sent, the batch included)/r
// after the start, so a run of n keys takes at least n/r: a bound that a
// slow machine only exceeds further, and that an unpaced run of a few
// hundred keys misses by far.
func TestTypedRatePacesRuns(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	const n, rate = 300, 1000
	least := time.Duration(n) * time.Second / rate
	c := server(t, n, 0)
	h := newHarness(t, c, 90, 24, false)
	view := func() string { return ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 24)) }
	h.m.SetPatterns("temp:*")
	assert.Contains(t, view(), "  rate: 0 (keys/s; 0 = governor only)", "empty: the governor alone")

	h.Key("down") // the rate line, after the one pattern line
	h.Key("enter")
	typeText(h, "1x0 0")                          // digits only
	h.Dispatch(tea.PasteMsg{Content: "0"})        // a pasted number is taken
	h.Dispatch(tea.PasteMsg{Content: "5 keys/s"}) // anything else is refused whole
	h.Key("enter")
	require.Equal(t, rate, h.m.rateValue())
	assert.Contains(t, view(), "> rate: 1000 (keys/s; 0 = governor only)")
	h.Key("d")
	ps, err := h.m.Patterns()
	require.NoError(t, err)
	assert.Equal(t, []string{"temp:*"}, ps, "d on the rate line removes no pattern")

	h.Key("b") // a backup, restored below at the same rate
	startRun(t, h, "temp:*")
	assert.Contains(t, view(), "paced (p99 5ms, ≤ 1000 keys/s)")
	h.Until("the run", func() bool { return !h.m.Running() })
	require.NoError(t, h.m.RunErr())
	r := h.m.Result()
	require.Equal(t, int64(n), r.Deleted)
	assert.GreaterOrEqual(t, r.Duration, least, "paced at %d keys/s", rate)

	previewRestore(t, h, "")
	assert.Contains(t, view(), "rate: 1000 (keys/s; 0 = governor only)", "the restore form shows the rate it runs at")
	confirmRestore(t, h)
	res, err := h.m.RestoreResult()
	require.NoError(t, err)
	require.Equal(t, int64(n), res.Restored)
	assert.GreaterOrEqual(t, h.m.restore.elapsed, least, "paced at %d keys/s", rate)
}
