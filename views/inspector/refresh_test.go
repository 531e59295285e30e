package inspector

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/views"
)

func TestShownKeyRefreshesAfterChange(t *testing.T) {
	c := seeded(t)
	ctx := context.Background()
	rdb := c.Redis()
	require.NoError(t, rdb.Set(ctx, "shown", `{"v":1}`, 0).Err())
	m, clk := newTestModel(t, c, 80, 24)
	open(t, m, "shown")
	assert.Contains(t, plain(m), `"v": 1`)

	t.Run("the console's own change to another key leaves it be", func(t *testing.T) {
		assert.Nil(t, m.Update(views.KeysChangedMsg{Keys: []string{"other"}}))
	})

	t.Run("the console's own change to it reloads it", func(t *testing.T) {
		require.NoError(t, rdb.Set(ctx, "shown", `{"v":2}`, 0).Err())
		drive(t, m, m.Update(views.KeysChangedMsg{Keys: []string{"shown"}}))
		assert.Contains(t, plain(m), `"v": 2`)
	})

	t.Run("an invalidation run reloads it; a gone key says so", func(t *testing.T) {
		require.NoError(t, rdb.Unlink(ctx, "shown").Err())
		drive(t, m, m.Update(views.KeysChangedMsg{All: true}))
		assert.True(t, m.Gone())
		assert.Contains(t, plain(m), "no such key")
	})

	t.Run("a reconnect reloads it (the server may have restarted)", func(t *testing.T) {
		require.NoError(t, rdb.Set(ctx, "shown", `{"v":3}`, time.Hour).Err())
		drive(t, m, m.Update(views.ConnRestoredMsg{}))
		assert.False(t, m.Gone())
		assert.Contains(t, plain(m), `"v": 3`)
		assert.Contains(t, plain(m), "ttl 1h 0m")
	})

	t.Run("the countdown ending asks the server", func(t *testing.T) {
		require.NoError(t, rdb.Unlink(ctx, "shown").Err())
		clk.Add(time.Hour + time.Second)
		drive(t, m, m.Update(ttlTickMsg{gen: m.tickGen}))
		assert.True(t, m.Gone(), "the key expired: the inspector says so instead of a frozen 'expired'")
		assert.Contains(t, plain(m), "no such key")
	})
}

// Changes by other clients are noticed by the periodic TYPE+PTTL check:
// the key is reloaded only when the server disagrees with the screen.
func TestWatchNoticesChangesByOthers(t *testing.T) {
	c := seeded(t)
	ctx := context.Background()
	rdb := c.Redis()
	require.NoError(t, rdb.Set(ctx, "watched", `{"v":1}`, time.Hour).Err())
	m, clk := newTestModel(t, c, 80, 24)
	open(t, m, "watched")
	check := func() []tea.Msg {
		m.watch.armed = false // the test is the clock: fire the check now
		return drive(t, m, m.Update(watchTickMsg{gen: m.watch.gen}))
	}

	seq := m.seq
	check()
	assert.Equal(t, seq, m.seq, "nothing changed: no reload")

	clk.Add(10 * time.Minute) // the countdown and the server agree: no reload
	require.NoError(t, rdb.Expire(ctx, "watched", 50*time.Minute).Err())
	check()
	assert.Equal(t, seq, m.seq)

	require.NoError(t, rdb.Persist(ctx, "watched").Err())
	check()
	assert.Greater(t, m.seq, seq, "the TTL was removed elsewhere: reloaded")
	assert.Contains(t, plain(m), "ttl none")

	require.NoError(t, rdb.Unlink(ctx, "watched").Err())
	check()
	assert.True(t, m.Gone(), "deleted elsewhere: the inspector says the key is gone")
}
