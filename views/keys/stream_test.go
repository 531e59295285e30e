package keys

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// inject sends keys as batches of 1000, as the scan would.
func (h *harness) inject(keys []string) {
	for i := 0; i < len(keys); i += 1000 {
		h.Dispatch(h.m.ScanBatch(keys[i:min(i+1000, len(keys))]...))
	}
}

// wantMatches is what the default (substring) filter must list.
func wantMatches(keys []string, q string) []string {
	var out []string
	for _, k := range keys {
		if strings.Contains(strings.ToLower(showKey(k)), q) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Past syncWorkMax keys the filter and the sort run in commands; keys keep
// streaming in while they run, and stale results are dropped.
func TestBackgroundFilterAndSortWhileStreaming(t *testing.T) {
	h := newHarness(t, nil, 80, 20)
	all := coldcopyKeys(60_000, 0)
	h.inject(all[:40_000])
	assert.True(t, h.m.Scanning(), "injected batches count as a running scan")

	h.Key("/")
	h.typeText("smart") // each letter starts a filter and cancels the one before
	require.NotZero(t, h.m.filter.seq, "a large store filters in a command")
	h.inject(all[40_000:50_000]) // arrive while the filter runs
	h.Until("the filter", func() bool { return h.m.filter.seq == 0 && !h.m.dirty })
	h.Dispatch(rebuildMsg{seq: h.m.buildSeq})
	assert.Equal(t, "smart", h.m.filter.query)

	h.inject(all[50_000:])
	h.Dispatch(h.m.ScanDone())
	require.NotZero(t, h.m.sortSeq, "a large store sorts in a command")
	h.settle()
	got := h.m.shownKeys()
	assert.Equal(t, wantMatches(all, "smart"), got, "every match, the late keys included, in sorted order")

	// A stale filter result (an older query) is dropped.
	h.Key("backspace")
	stale := filterMsg{seq: h.m.filter.seq - 1000, scan: h.m.scanID, n: 10, bits: make([]uint64, 1)}
	h.Dispatch(stale)
	h.settle()
	assert.Equal(t, wantMatches(all, "smar"), h.m.shownKeys())

	h.Key("esc")
	h.settle()
	assert.False(t, h.m.Capturing())
	h.Key("t")
	want := slices.Clone(all)
	slices.Sort(want)
	assert.Equal(t, want, h.m.shownKeys())
}

// The cursor stays on its key while rows move under it: batches arrive,
// counts change, and the final sort reorders everything.
func TestCursorFollowsItsKeyWhileRowsMove(t *testing.T) {
	h := newHarness(t, nil, 80, 10)
	all := coldcopyKeys(30_000, 0)
	h.inject(all[:10_000])
	h.Dispatch(rebuildMsg{seq: h.m.buildSeq})
	h.Key("t")
	for range 7 {
		h.Key("j")
	}
	sel, ok := h.m.Selected()
	require.True(t, ok)
	screenRow := h.m.cursor - h.m.offset
	h.inject(all[10_000:])
	h.Dispatch(h.m.ScanDone())
	h.settle()
	now, ok := h.m.Selected()
	require.True(t, ok)
	assert.Equal(t, sel, now, "same key after the sort")
	assert.Equal(t, screenRow, h.m.cursor-h.m.offset, "at the same place on screen")
	assert.NotEqual(t, 7, h.m.cursor, "the key moved in the list")

	// In the tree, a namespace row keeps the cursor too.
	h.Key("t")
	h.cursorTo("coldcopy:")
	h.inject(coldcopyKeys(5000, 100_000))
	h.Dispatch(h.m.ScanDone())
	h.settle()
	assert.Equal(t, "coldcopy:", h.m.nsAt(h.m.cursor).Prefix)
}

func TestStreamingViewMarksPartialCounts(t *testing.T) {
	h := newHarness(t, nil, 50, 6)
	h.inject([]string{"lead:1", "lead:2", "user:1", "plain"})
	h.Dispatch(rebuildMsg{seq: h.m.buildSeq})
	h.Until("rows", func() bool { return h.m.nrows == 3 })
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 50, 6))
	assert.Contains(t, v, "lead:")
	assert.Contains(t, v, "2+", "partial while scanning")
	assert.Contains(t, v, "scanning… 4 keys")
	h.Dispatch(h.m.ScanDone())
	h.settle()
	v = ansi.Strip(viewtest.RequireSafeView(t, h.m, 50, 6))
	assert.NotContains(t, v, "+")
	assert.Contains(t, v, "4 keys")
	// No client: no metadata requests, no ticks.
	assert.Zero(t, h.m.metaSeq)
	assert.Zero(t, h.m.tickSeq)
}

func TestStaleAndPausedMessages(t *testing.T) {
	h := newHarness(t, nil, 40, 5)
	cur := h.m.scanID
	h.Dispatch(ScanBatchMsg{Scan: cur + 999, Keys: []redisops.ScannedKey{{Key: "stale"}}})
	h.Dispatch(ScanDoneMsg{Scan: cur + 999})
	assert.Zero(t, h.m.Loaded(), "messages of another scan are dropped")
	assert.False(t, h.m.Complete())
	h.Dispatch(scanPausedMsg{scan: cur})
	assert.True(t, h.m.Paused())
	assert.Contains(t, ansi.Strip(h.m.View()), "(L: load more)")
}

// The job hands out no more than its allowance, says it paused, and goes
// on from where it stopped when the allowance is raised.
func TestScanJobPauseProtocol(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, srv.URL())
	ctx := context.Background()
	for i := range 250 {
		require.NoError(t, c.Redis().Set(ctx, fmt.Sprintf("k:%d", i), "v", 0).Err())
	}
	j := startScanJob(c, 42, redisops.ScanOptions{Count: 10}, 100)
	t.Cleanup(j.cancel)
	seen := map[string]bool{}
	next := func() any {
		select {
		case msg := <-j.events:
			return msg
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
			return nil
		}
	}
	collect := func() any {
		for {
			switch msg := next().(type) {
			case ScanBatchMsg:
				require.Equal(t, uint64(42), msg.Scan)
				for _, k := range msg.Keys {
					require.False(t, seen[k.Key], "dup %q", k.Key)
					seen[k.Key] = true
				}
			default:
				return msg
			}
		}
	}
	assert.Equal(t, scanPausedMsg{scan: 42}, collect())
	assert.Len(t, seen, 100, "stops exactly at the allowance")
	select {
	case msg := <-j.events:
		t.Fatalf("paused job sent %T", msg)
	case <-time.After(50 * time.Millisecond):
	}
	j.raise(200)
	assert.Equal(t, scanPausedMsg{scan: 42}, collect())
	assert.Len(t, seen, 200)
	j.raise(300)
	done, ok := collect().(ScanDoneMsg)
	require.True(t, ok)
	require.NoError(t, done.Err)
	assert.True(t, done.Result.Complete)
	assert.Len(t, seen, 250, "every key exactly once across the pauses")
	_, open := <-j.events
	assert.False(t, open, "the job closes its channel when it ends")
}
