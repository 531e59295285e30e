package inspector

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
)

// The key shown can change behind the console's back: another client
// deletes it, sets a TTL, or empties the database. Every watchEvery while
// the pane is shown, one TYPE+PTTL round trip (no value) checks it; when
// the server disagrees with what is on screen, the key is reloaded, and a
// key that is gone says so.
const (
	watchEvery = 5 * time.Second
	// ttlDrift is how far the server's TTL may be from the countdown
	// before the key counts as changed (round trips, rounding).
	ttlDrift = 2 * time.Second
)

// watchState is the inspector's check of the key shown.
type watchState struct {
	armed bool   // a tick is pending
	gen   uint64 // the tick chain; a stale tick is dropped
	// tick schedules the checks (tea.Tick; tests replace it).
	tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
}

// watchTickMsg starts one check; watchMsg is its answer.
type watchTickMsg struct{ gen uint64 }

type watchMsg struct {
	seq uint64 // the request the shown report came from
	typ string
	ttl int64 // ms; -1 none, -2 missing
	err error
}

func (watchTickMsg) inspectorMsg() {}
func (watchMsg) inspectorMsg()     {}

// ensureWatch arms the next check unless one is pending or there is
// nothing to check.
func (m *Model) ensureWatch() tea.Cmd {
	if m.watch.armed || !m.shown || m.report == nil || m.c.Client == nil || m.watch.tick == nil {
		return nil
	}
	m.watch.armed = true
	m.watch.gen++
	gen := m.watch.gen
	return m.watch.tick(watchEvery, func(time.Time) tea.Msg { return watchTickMsg{gen: gen} })
}

func (m *Model) onWatchTick(msg watchTickMsg) tea.Cmd {
	if msg.gen != m.watch.gen {
		return nil
	}
	m.watch.armed = false
	if !m.shown || m.report == nil || m.c.Client == nil {
		return nil // SetShown(true) or the next load re-arms it
	}
	if m.loading || m.Editing() || m.ed.seq != 0 {
		return m.ensureWatch() // a load or an edit in flight says more
	}
	client, key, seq := m.c.Client, m.key, m.seq
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), watchEvery)
		defer cancel()
		res, err := client.KeyMeta(ctx, []string{key})
		if err != nil || len(res) != 1 {
			return watchMsg{seq: seq, err: err}
		}
		return watchMsg{seq: seq, typ: res[0].Type, ttl: res[0].TTL}
	}
}

func (m *Model) onWatch(msg watchMsg) tea.Cmd {
	if msg.seq != m.seq || m.report == nil || msg.err != nil {
		// Another load since, or no answer (the header reports a lost
		// connection; the reconnect reloads the key).
		return m.ensureWatch()
	}
	if m.changedOnServer(msg.typ, msg.ttl) {
		return m.refreshShown()
	}
	return m.ensureWatch()
}

// changedOnServer compares the server's type and TTL with what is shown.
func (m *Model) changedOnServer(typ string, ttlMs int64) bool {
	switch {
	case ttlMs == -2 || typ != m.report.Type:
		return true
	case m.expiresAt.IsZero() && !m.noTTL:
		return false // the TTL is not shown (refused): nothing to compare
	case ttlMs == -1:
		return !m.noTTL
	case m.noTTL:
		return true
	}
	diff := time.Duration(ttlMs)*time.Millisecond - m.expiresAt.Sub(m.now())
	return diff > ttlDrift || diff < -ttlDrift
}
