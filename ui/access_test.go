package ui

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui/styles"
)

// The start-up probe makes a session read-only when the ACL user cannot
// write, and says why; a user that can write keeps a read-write session.
func TestWriteAccessProbe(t *testing.T) {
	srv := redistest.Restricted(t)
	connect := func(user, pass string) *redisops.Client {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := redisops.Connect(ctx, redisops.ConnOptions{URL: srv.URL(), User: user, Password: pass, DB: -1})
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}

	ro := New(Options{Client: connect(srv.ReadOnlyUser, srv.ReadOnlyPassword), Styles: styles.Options{Dark: true, NoColor: true}})
	ro.Update(tea.WindowSizeMsg{Width: 100, Height: 20})
	cmd := ro.probeWriteAccess()
	require.NotNil(t, cmd)
	ro.Update(cmd())
	assert.True(t, ro.Common().ReadOnly)
	assert.Contains(t, ro.flash.text, "read-only session: ")
	assert.Contains(t, ro.flash.text, "cannot write")
	assert.Contains(t, ro.View().Content, "READ-ONLY", "the header says so")

	rw := New(Options{Client: connect(srv.AdminUser, srv.AdminPassword), Styles: styles.Options{Dark: true, NoColor: true}})
	rw.Update(rw.probeWriteAccess()())
	assert.False(t, rw.Common().ReadOnly)
	assert.Empty(t, rw.flash.text)

	// A session read-only by choice does not ask.
	already := New(Options{Client: connect(srv.AdminUser, srv.AdminPassword), ReadOnly: true})
	assert.Nil(t, already.probeWriteAccess())
}
