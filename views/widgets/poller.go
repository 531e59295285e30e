package widgets

import (
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Poller is a pane's reload-while-shown chain. Shown, it ticks every
// Every; hidden, the chain ends: the tick still in flight carries an old
// sequence number and is dropped. Showing a shown pane does nothing, so
// there is never more than one chain.
type Poller struct {
	Every time.Duration
	shown bool
	seq   uint64 // the live chain, 0 while hidden
}

// PollMsg is a tick of a Poller's chain.
type PollMsg struct{ Seq uint64 }

var pollSeq atomic.Uint64

// SetShown starts or ends the chain. It returns the first tick when the
// chain starts (the pane loads at once alongside it), nil otherwise.
func (p *Poller) SetShown(shown bool) (start tea.Cmd) {
	if shown == p.shown {
		return nil
	}
	p.shown, p.seq = shown, 0
	if !shown {
		return nil
	}
	p.seq = pollSeq.Add(1)
	return p.tick()
}

// Shown reports whether the chain runs.
func (p *Poller) Shown() bool { return p.shown }

// Next handles msg if it is this chain's live tick: it returns true and
// the next tick (the pane reloads alongside it). A tick of another pane's
// chain, or of a chain ended by hiding, is not this chain's.
func (p *Poller) Next(msg tea.Msg) (bool, tea.Cmd) {
	tick, ok := msg.(PollMsg)
	if !ok || p.seq == 0 || tick.Seq != p.seq {
		return false, nil
	}
	return true, p.tick()
}

func (p *Poller) tick() tea.Cmd {
	seq := p.seq
	return tea.Tick(p.Every, func(time.Time) tea.Msg { return PollMsg{Seq: seq} })
}
