package redisops_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func TestWriteAccess(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Restricted(t)
	ro := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.ReadOnlyUser, Password: srv.ReadOnlyPassword})
	ok, why := ro.WriteAccess(ctx)
	assert.False(t, ok)
	assert.Contains(t, why, "cannot write")

	app := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.AdminUser, Password: srv.AdminPassword})
	ok, why = app.WriteAccess(ctx)
	assert.True(t, ok, why)
	assert.Empty(t, why)

	def := connect(t, redisops.ConnOptions{URL: srv.URL(), Password: srv.DefaultPassword})
	ok, why = def.WriteAccess(ctx)
	assert.True(t, ok, why)

	// Read-only: nothing is touched, UNLINK is refused.
	require.NoError(t, def.Redis().Set(ctx, "temp:1", "v", 0).Err())
	_, err := ro.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"temp:*"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NOPERM")
	assert.EqualValues(t, 1, def.Redis().Exists(ctx, "temp:1").Val())

	replica := redistest.Standalone(t, "replicaof 127.0.0.1 "+itoa(redistest.FreePort(t)))
	rc := connect(t, redisops.ConnOptions{URL: replica.URL()})
	ok, why = rc.WriteAccess(ctx)
	assert.False(t, ok)
	assert.Equal(t, "the server is a replica", why)
}
