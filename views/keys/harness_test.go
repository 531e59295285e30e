package keys

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/keymap"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/ui/styles"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// pinned is the clock of every test: tests move it by hand.
var pinned = viewtest.Pinned

// harness runs the pane with viewtest's harness, which also collects the
// messages meant for the frame (OpenKeyMsg, FlashMsg) in Out. now is the
// pane's clock.
type harness struct {
	*viewtest.Harness
	m   *Model
	now time.Time
}

func newCommon(h *harness, c *redisops.Client, color bool) *views.Common {
	km := keymap.Default()
	return &views.Common{
		Styles: styles.New(styles.Options{Dark: true, NoColor: !color}),
		Keys:   &km,
		Client: c,
		Now:    func() time.Time { return h.now },
	}
}

func newHarness(t testing.TB, c *redisops.Client, w, hgt int, opts ...func(*Model)) *harness {
	t.Helper()
	h := &harness{now: pinned}
	h.m = New(newCommon(h, c, false))
	h.Harness = viewtest.New(t, h.m.Update,
		viewtest.Timeout(30*time.Second),
		viewtest.MaxSteps(5_000_000),
		viewtest.Detail(func() string { return fmt.Sprintf(" (state %d, loaded %d)", h.m.state, h.m.Loaded()) }),
		viewtest.Outbound(func(msg tea.Msg) bool {
			switch msg.(type) {
			case views.OpenKeyMsg, views.FlashMsg:
				return true
			}
			return false
		}))
	h.m.SetSize(w, hgt)
	h.m.SetFocused(true)
	for _, o := range opts {
		o(h.m)
	}
	t.Cleanup(func() {
		h.m.Stop()
		h.Close()
	})
	h.Run(h.m.Init())
	return h
}

// settle waits until the scan has stopped (done, failed or paused) and no
// background work (sort, filter, metadata, debounce) is pending.
func (h *harness) settle() {
	h.T.Helper()
	for {
		h.Until("the pane to settle", h.m.settled)
		// Give commands that answer at once (OpenKeyMsg, flashes) a moment.
		if !h.Next(30 * time.Millisecond) {
			return
		}
	}
}

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.Dispatch(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// openKeys is what the pane asked the frame to open, in order.
func (h *harness) openKeys() []views.OpenKeyMsg {
	var out []views.OpenKeyMsg
	for _, m := range h.Out {
		if o, ok := m.(views.OpenKeyMsg); ok {
			out = append(out, o)
		}
	}
	return out
}

// settled: nothing streaming, nothing pending.
func (m *Model) settled() bool {
	return m.state != scanRunning && m.sortSeq == 0 && m.metaSeq == 0 && m.filter.seq == 0 &&
		m.selSeq == 0 && m.buildSeq == 0 && !m.dirty && !m.dbsizeBusy
}

// scanCounts counts keys per top-level namespace with a direct SCAN.
func scanCounts(t testing.TB, c *redisops.Client, opts redisops.ScanOptions) (map[string]int, []string) {
	t.Helper()
	counts := map[string]int{}
	var all []string
	_, err := c.Scan(context.Background(), opts, func(b []redisops.ScannedKey) error {
		for _, k := range b {
			all = append(all, k.Key)
			if i := strings.Index(k.Key, ":"); i >= 0 {
				counts[k.Key[:i+1]]++
			} else {
				counts[""]++
			}
		}
		return nil
	})
	require.NoError(t, err)
	return counts, all
}
