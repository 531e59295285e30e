package keys

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/views"
)

// rowOfKey is the screen line of key in a flat list.
func rowOfKey(t *testing.T, h *harness, key string) string {
	t.Helper()
	for _, line := range strings.Split(ansi.Strip(h.m.View()), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == key {
			return line
		}
	}
	t.Fatalf("no row of %s in\n%s", key, ansi.Strip(h.m.View()))
	return ""
}

func TestRowsFollowTheConsolesOwnEdits(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, srv.URL())
	ctx := context.Background()
	for _, k := range []string{"a:1", "a:2", "a:3"} {
		require.NoError(t, c.Redis().Set(ctx, k, "v", 0).Err())
	}
	h := newHarness(t, c, 60, 10)
	h.Key("t") // flat list
	h.settle()
	assert.Contains(t, rowOfKey(t, h, "a:1"), "∞")

	// The inspector deleted a:1 and set a TTL on a:2: it says so and the
	// rows ask again.
	require.NoError(t, c.Redis().Unlink(ctx, "a:1").Err())
	require.NoError(t, c.Redis().Expire(ctx, "a:2", time.Hour).Err())
	h.Dispatch(views.KeysChangedMsg{Keys: []string{"a:1", "a:2"}})
	h.settle()
	assert.Contains(t, rowOfKey(t, h, "a:1"), "gone", "a deleted key says so")
	assert.Contains(t, rowOfKey(t, h, "a:2"), "1h", "the new TTL is shown")
	assert.Contains(t, rowOfKey(t, h, "a:3"), "∞", "other keys are as they were")
}

func TestReconnectAndRunsRefreshRowsAndTotal(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, srv.URL())
	ctx := context.Background()
	for _, k := range []string{"b:1", "b:2", "b:3", "b:4"} {
		require.NoError(t, c.Redis().Set(ctx, k, "v", 0).Err())
	}
	h := newHarness(t, c, 60, 10)
	h.Key("t")
	h.settle()
	status := func() string {
		lines := strings.Split(ansi.Strip(h.m.View()), "\n")
		return strings.TrimSpace(lines[len(lines)-1])
	}
	assert.Equal(t, "4 keys", status(), "a fresh count says nothing more")

	// Keys vanish behind the console's back (an emptied server after a
	// restart); the console reconnects five minutes later.
	require.NoError(t, c.Redis().Unlink(ctx, "b:1", "b:2", "b:3").Err())
	h.now = h.now.Add(5 * time.Minute)
	h.Dispatch(views.ConnRestoredMsg{})
	h.settle()
	assert.Contains(t, rowOfKey(t, h, "b:1"), "gone")
	assert.Contains(t, rowOfKey(t, h, "b:4"), "∞")
	assert.Equal(t, "4 keys 5m ago · now 1", status(), "the count's age and the server's count")

	// An invalidation run in the console refreshes the total as well.
	require.NoError(t, c.Redis().Set(ctx, "b:5", "v", 0).Err())
	h.now = h.now.Add(time.Minute)
	h.Dispatch(views.KeysChangedMsg{All: true})
	h.settle()
	assert.Equal(t, "4 keys 6m ago · now 2", status())
}
