package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/redisops"
)

// pingInterval is how often the header's latency is measured; a lost
// connection is noticed within one interval.
const pingInterval = 2 * time.Second

// pingTickMsg starts the next latency probe.
type pingTickMsg struct{}

// pingResultMsg is one probe's outcome.
type pingResultMsg struct {
	latency time.Duration
	err     error
}

func pingTick() tea.Cmd {
	return tea.Tick(pingInterval, func(time.Time) tea.Msg { return pingTickMsg{} })
}

// ping measures one PING round trip. Timeouts are short: the header must
// say "disconnected" quickly rather than wait for the read timeout.
func ping(c *redisops.Client) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		lat, err := c.Ping(ctx)
		return pingResultMsg{latency: lat, err: err}
	}
}
