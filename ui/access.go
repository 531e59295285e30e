package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/views"
)

// writeAccessTimeout bounds the one write-access probe at start.
const writeAccessTimeout = 5 * time.Second

// writeAccessMsg is the answer of the start-up write-access probe.
type writeAccessMsg struct {
	ok     bool
	reason string
}

// probeWriteAccess asks the server once, at start, whether this
// connection may write (a replica or a read-only ACL user may not); a
// session that already is read-only does not ask.
func (m *Model) probeWriteAccess() tea.Cmd {
	c := m.common.Client
	if c == nil || m.common.ReadOnly {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), writeAccessTimeout)
		defer cancel()
		ok, reason := c.WriteAccess(ctx)
		return writeAccessMsg{ok: ok, reason: reason}
	}
}

// writeAccessDone makes the session read-only when the server said it
// cannot write, and says why.
func (m *Model) writeAccessDone(msg writeAccessMsg) tea.Cmd {
	if msg.ok {
		return nil
	}
	m.common.ReadOnly, m.opts.ReadOnly = true, true
	return m.flash.set(views.FlashWarn, "read-only session: "+msg.reason+" — key edits are off")
}
