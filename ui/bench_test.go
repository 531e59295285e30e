package ui_test

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
	"github.com/coldcopy/cachedeck/ui"
	"github.com/coldcopy/cachedeck/ui/styles"
)

// terminal stands in for the SSH session: it counts the bytes the
// program writes and when it wrote them.
type terminal struct {
	mu        sync.Mutex
	bytes     int
	lastWrite time.Time
	writes    []time.Time
}

func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.bytes += len(p)
	t.lastWrite = time.Now()
	t.writes = append(t.writes, t.lastWrite)
	return len(p), nil
}

func (t *terminal) snapshot() (int, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bytes, t.lastWrite
}

// firstWriteAfter is when the first frame after since was written.
func (t *terminal) firstWriteAfter(since time.Time) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, w := range t.writes {
		if w.After(since) {
			return w, true
		}
	}
	return time.Time{}, false
}

// quiet waits until nothing was written for d.
func (t *terminal) quiet(d time.Duration) {
	for {
		_, last := t.snapshot()
		if time.Since(last) >= d {
			return
		}
		time.Sleep(d / 4)
	}
}

func startConsole(b *testing.B, c *redisops.Client, term *terminal) *tea.Program {
	m := ui.NewConsole(ui.Options{Client: c, ProfileName: "bench", Styles: styles.Options{Dark: true}})
	p := tea.NewProgram(m, tea.WithOutput(term), tea.WithInput(nil), tea.WithWindowSize(120, 40),
		tea.WithColorProfile(colorprofile.ANSI), tea.WithFPS(120), tea.WithoutSignalHandler())
	go func() { _, _ = p.Run() }()
	b.Cleanup(func() { p.Quit(); p.Wait() })
	return p
}

func benchClient(b *testing.B, keys int) *redisops.Client {
	srv := redistest.Standalone(b)
	c, err := redisops.Connect(context.Background(), redisops.ConnOptions{URL: srv.URL(), DB: -1})
	require.NoError(b, err)
	b.Cleanup(func() { _ = c.Close() })
	if keys > 0 {
		_, err = seed.Seed(context.Background(), c.Redis(), seed.Options{Keys: keys, Seed: 1})
		require.NoError(b, err)
	}
	return c
}

var down = tea.KeyPressMsg{Code: tea.KeyDown}

// BenchmarkSelectionMoveBytes counts what one row of cursor movement costs
// over the wire at 120x40 with colours: the frame of the move itself, and
// that frame plus the inspector following the selection (debounced).
func BenchmarkSelectionMoveBytes(b *testing.B) {
	c := benchClient(b, 20_000)
	term := &terminal{}
	p := startConsole(b, c, term)
	p.Send(tea.KeyPressMsg{Code: 't', Text: "t"}) // flat list: every move lands on a key
	term.quiet(time.Second)
	var moveBytes, followBytes []int
	for i := 0; i < b.N; i++ {
		before, _ := term.snapshot()
		p.Send(down)
		time.Sleep(60 * time.Millisecond) // the move's frame; the inspector waits 150 ms
		mid, _ := term.snapshot()
		term.quiet(400 * time.Millisecond)
		after, _ := term.snapshot()
		moveBytes = append(moveBytes, mid-before)
		followBytes = append(followBytes, after-before)
	}
	b.ReportMetric(median(moveBytes), "bytes/move")
	b.ReportMetric(median(followBytes), "bytes/move+inspector")
}

// BenchmarkKeypressWhileScanning measures keypress to next frame while a
// 1M-key scan streams into the keys pane.
func BenchmarkKeypressWhileScanning(b *testing.B) {
	c := benchClient(b, 0)
	fillKeys(b, c.Redis(), 1_000_000)
	var lat []int
	for i := 0; i < b.N; i++ {
		term := &terminal{}
		p := startConsole(b, c, term)
		time.Sleep(100 * time.Millisecond) // the scan is streaming now
		for j := 0; j < 20; j++ {
			sent := time.Now()
			p.Send(down)
			for {
				if w, ok := term.firstWriteAfter(sent); ok {
					lat = append(lat, int(w.Sub(sent).Microseconds()))
					break
				}
				if time.Since(sent) > time.Second {
					b.Fatal("no frame within 1 s of a keypress")
				}
				time.Sleep(200 * time.Microsecond)
			}
			time.Sleep(20 * time.Millisecond)
		}
		p.Quit()
		p.Wait()
	}
	sort.Ints(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1000, "ms-p50")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1000, "ms-p99")
}

// BenchmarkResidentMemory2MKeys browses a 2M-key database in tree mode and
// reports the process's resident memory.
func BenchmarkResidentMemory2MKeys(b *testing.B) {
	c := benchClient(b, 0)
	fillKeys(b, c.Redis(), 2_000_000)
	runtime.GC()
	debug.FreeOSMemory()
	base := rssMiB(b)
	for i := 0; i < b.N; i++ {
		term := &terminal{}
		p := startConsole(b, c, term)
		time.Sleep(500 * time.Millisecond)
		for _, k := range []string{"l", "j", "l", "j", "j"} {
			p.Send(tea.KeyPressMsg{Code: rune(k[0]), Text: k})
			time.Sleep(50 * time.Millisecond)
		}
		term.quiet(1500 * time.Millisecond) // the scan has finished or paused at its cap (the header redraws every 2 s)
		b.ReportMetric(rssMiB(b), "MiB-rss")
		p.Quit()
		p.Wait()
	}
	b.ReportMetric(base, "MiB-rss-before")
}

// fillKeys writes n ColdCopy-shaped keys quickly (MSET in pipelines).
func fillKeys(b *testing.B, rdb redis.UniversalClient, n int) {
	ctx := context.Background()
	shapes := []string{"lead:%d:enrichment", "user:%d", "analytics:workspace:%d:daily", "ai:gpt4:%d", "temp:%d"}
	const batch = 2000
	for start := 0; start < n; start += batch {
		args := make([]any, 0, 2*batch)
		for i := start; i < min(start+batch, n); i++ {
			k := strings.Replace(shapes[i%len(shapes)], "%d", strconv.Itoa(i), 1)
			args = append(args, k, "v")
		}
		require.NoError(b, rdb.MSet(ctx, args...).Err())
	}
}

func rssMiB(b *testing.B) float64 {
	data, err := os.ReadFile("/proc/self/status")
	require.NoError(b, err)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

func median(v []int) float64 {
	s := append([]int{}, v...)
	sort.Ints(s)
	return float64(s[len(s)/2])
}
