package invalidate

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// The console's audit lines carry what the CLI's do: the previewed count
// in the attempt, the patterns in display form.
func TestInvalidationAuditLinesMatchTheCLI(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 0, 10)
	ctx := context.Background()
	for i := range 25 {
		require.NoError(t, c.Redis().Set(ctx, fmt.Sprintf(`"q:%d`, i), "v", 0).Err())
	}
	// A leading quote: shown bare, it would read as a quoted key.
	const pattern = `"q:*`
	display := decode.DisplayKey(pattern)
	require.NotEqual(t, pattern, display, "the test needs a pattern whose display form differs")

	h := newHarness(t, c, 90, 24, false)
	invalidate(t, h, pattern)
	require.Equal(t, int64(25), h.m.Result().Deleted)
	lines := auditLines(t)
	require.Len(t, lines, 2)
	attempt, done := lines[0], lines[1]
	assert.Equal(t, audit.Attempted, attempt.Outcome)
	assert.Equal(t, int64(25), attempt.Matched, "the previewed count, as the CLI logs it")
	assert.Zero(t, attempt.Deleted)
	assert.Equal(t, audit.Done, done.Outcome)
	assert.Equal(t, int64(25), done.Matched)
	assert.Equal(t, int64(25), done.Deleted)
	assert.Zero(t, done.Unconfirmed, "every reply came back")
	for _, e := range lines {
		assert.Equal(t, []string{display}, e.Patterns)
	}
	assert.Equal(t, int64(10), count(t, c, "*"))
}

// Keys of a batch whose reply was lost are counted, and said to be
// unconfirmed, in the result of an invalidation and of a restore.
func TestResultsShowUnconfirmedKeys(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	h := newHarness(t, nil, 120, 20, false)
	const note = "(3 unconfirmed: their batch's reply was lost)"
	for _, tc := range []struct {
		name string
		res  redisops.InvalidateResult
		err  error
		want string
	}{
		{"done", redisops.InvalidateResult{Matched: 12, Deleted: 10, Unconfirmed: 3, Duration: time.Second}, nil, "done: 10 keys " + note + " deleted of 12 matched"},
		{"cancelled", redisops.InvalidateResult{Matched: 12, Deleted: 10, Unconfirmed: 3, Cancelled: true}, nil, "cancelled: 10 keys deleted (exact) " + note},
		{"failed", redisops.InvalidateResult{Matched: 12, Deleted: 10, Unconfirmed: 3}, fmt.Errorf("connection reset"), "failed: 10 keys deleted (exact) " + note},
		{"all confirmed", redisops.InvalidateResult{Matched: 12, Deleted: 10, Duration: time.Second}, nil, "done: 10 keys deleted of 12 matched"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.res
			h.m.result, h.m.runErr = &res, tc.err
			v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 120, 20))
			assert.Contains(t, v, tc.want)
			if tc.res.Unconfirmed == 0 {
				assert.NotContains(t, v, "unconfirmed")
			}
		})
	}

	h.m.result, h.m.runErr = nil, nil
	h.m.restore = &restoreForm{result: &redisops.RestoreResult{Restored: 40, Unconfirmed: 3, Skipped: 1}, elapsed: time.Second}
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 120, 20))
	assert.Contains(t, v, "40 restored "+note+", 1 skipped (exist now)")
}
