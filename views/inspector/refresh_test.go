package inspector

import (
	"context"
	"testing"
	"time"

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
