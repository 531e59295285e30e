package invalidate

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

type harness struct {
	*viewtest.Harness
	m *Model
}

func newHarness(t testing.TB, c *redisops.Client, w, h int, readOnly bool, opts ...func(*Model)) *harness {
	t.Helper()
	m := New(viewtest.NewCommon(c, readOnly))
	return &harness{Harness: viewtest.Start(t, m, w, h, opts...), m: m}
}

// server writes n keys "temp:<i>" and n keys "keep:<i>".
func server(t *testing.T, temp, keep int) *redisops.Client {
	t.Helper()
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	r := c.Redis()
	for _, set := range []struct {
		prefix string
		n      int
	}{{"temp:", temp}, {"keep:", keep}} {
		for i := 0; i < set.n; i += 1000 {
			p := r.Pipeline()
			for j := i; j < min(i+1000, set.n); j++ {
				p.Set(ctx, fmt.Sprintf("%s%d", set.prefix, j), "v", 0)
			}
			_, err := p.Exec(ctx)
			require.NoError(t, err)
		}
	}
	return c
}

func count(t *testing.T, c *redisops.Client, pattern string) int64 {
	t.Helper()
	var n int64
	ctx := context.Background()
	iter := c.Redis().Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		n++
	}
	require.NoError(t, iter.Err())
	return n
}

func typeText(h *harness, s string) {
	for _, r := range s {
		h.Key(string(r))
	}
}

func auditLines(t *testing.T) []audit.Entry {
	t.Helper()
	f, err := os.Open(audit.DefaultPath())
	require.NoError(t, err)
	defer f.Close()
	var out []audit.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e audit.Entry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
		out = append(out, e)
	}
	return out
}

func previewOf(t *testing.T, h *harness, patterns ...string) {
	t.Helper()
	h.m.SetPatterns(patterns...)
	h.Key("p")
	h.Until("the preview", func() bool { return h.m.Preview() != nil || h.m.PreviewErr() != nil })
	require.NoError(t, h.m.PreviewErr())
}

func TestPreviewCounts(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 300, 50)
	h := newHarness(t, c, 90, 30, false)
	previewOf(t, h, "temp:*")
	p := h.m.Preview()
	assert.Equal(t, int64(300), p.Matched)
	assert.Equal(t, int64(300), p.Namespaces["temp:"])
	assert.NotEmpty(t, p.Sample)
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 30))
	assert.Contains(t, v, "300 keys match (exact)")
	assert.Contains(t, v, "temp:")

	// Several patterns and the leading-wildcard warning.
	previewOf(t, h, "temp:1*", "*:4*")
	assert.NotEmpty(t, h.m.Preview().Warnings)
	v = ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 30))
	assert.Contains(t, v, "! ")
	assert.Equal(t, int64(350), count(t, c, "*"), "a preview deletes nothing")
}

func TestTypedConfirmationGate(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 100, 20)
	h := newHarness(t, c, 90, 24, false)
	h.m.SetPatterns("temp:*")
	h.Key("x")
	assert.False(t, h.m.Confirming(), "no confirmation before a preview")
	previewOf(t, h, "temp:*")
	h.Key("x")
	require.True(t, h.m.Confirming())
	assert.True(t, h.m.Capturing())
	var help []string
	for _, b := range h.m.ShortHelp() {
		help = append(help, b.Help().Key)
	}
	assert.Equal(t, []string{"enter", "esc"}, help, "the footer says how to answer, not the form's keys")
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 24))
	assert.Contains(t, v, "Type the pattern(s)")

	typeText(h, "temp:")
	h.Key("enter")
	h.Drain()
	assert.True(t, h.m.Confirming(), "wrong text keeps the dialog")
	assert.False(t, h.m.Running())
	assert.Equal(t, int64(100), count(t, c, "temp:*"))
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), "nothing deleted")

	h.Key("esc")
	assert.False(t, h.m.Confirming())
	assert.False(t, h.m.Running())
	assert.Equal(t, int64(100), count(t, c, "temp:*"))
	_, err := os.Stat(audit.DefaultPath())
	assert.True(t, os.IsNotExist(err), "nothing attempted, nothing audited")
}

func TestRunDeletesExactlyTheMatchAndAudits(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 2000, 300)
	h := newHarness(t, c, 90, 24, false, func(m *Model) { m.c.Profile = "test" })
	previewOf(t, h, "temp:1*", "temp:2*")
	want := h.m.Preview().Matched
	require.Equal(t, int64(1111+111), want) // temp:1… (1, 1x, 1xx, 1xxx) and temp:2… (2, 2x, 2xx) among 0..1999
	h.Key("b")
	require.True(t, h.m.BackupOn())
	stateDir := filepath.Join(os.Getenv("XDG_STATE_HOME"), "cachedeck")
	assert.Contains(t, wideView(t, h), "backup: on (next to the audit log in "+stateDir+")")
	h.m.SetSize(90, 24)
	h.Key("x")
	typeText(h, "temp:1* temp:2*")
	h.Key("enter")
	require.True(t, h.m.Running())
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 24))
	assert.Contains(t, v, "esc cancels")
	h.Until("the run", func() bool { return !h.m.Running() })
	require.NoError(t, h.m.RunErr())
	r := h.m.Result()
	require.NotNil(t, r)
	assert.Equal(t, want, r.Deleted)
	assert.Equal(t, want, r.Matched)
	assert.Zero(t, count(t, c, "temp:1*")+count(t, c, "temp:2*"))
	assert.Equal(t, 2000-want, count(t, c, "temp:*"))
	assert.Equal(t, int64(300), count(t, c, "keep:*"))
	v = ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 24))
	assert.Contains(t, v, "done: "+commas(want)+" keys deleted")

	backup := h.m.LastBackup()
	assert.Equal(t, filepath.Join(stateDir, "backup-20261125T120000Z.ndjson"), backup, "named after the pane clock when the run started")
	v = wideView(t, h)
	assert.Contains(t, v, "backup written to "+backup+" (R restores it)")
	st, err := os.Stat(backup)
	require.NoError(t, err)
	assert.Positive(t, st.Size())

	lines := auditLines(t)
	require.Len(t, lines, 2)
	assert.Equal(t, audit.Attempted, lines[0].Outcome)
	assert.Equal(t, audit.Done, lines[1].Outcome)
	for _, e := range lines {
		assert.Equal(t, "invalidate", e.Action)
		assert.Equal(t, []string{"temp:1*", "temp:2*"}, e.Patterns)
		assert.Equal(t, "test", e.Profile)
	}
	assert.Equal(t, want, lines[1].Matched)
	assert.Equal(t, want, lines[1].Deleted)
}

func TestCancelReportsExactCount(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	const n = 20000
	c := server(t, n, 100)
	h := newHarness(t, c, 90, 24, false, func(m *Model) { m.rate.SetValue("4000") })
	previewOf(t, h, "temp:*")
	h.Key("x")
	typeText(h, "temp:*")
	h.Key("enter")
	require.True(t, h.m.Running())
	h.Until("some progress", func() bool { return h.m.progress.Deleted > 0 })
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 24))
	assert.Contains(t, v, "keys/s")
	assert.Contains(t, v, "ETA")
	h.Key("esc")
	h.Until("the cancelled run", func() bool { return !h.m.Running() })
	r := h.m.Result()
	require.NotNil(t, r)
	assert.True(t, r.Cancelled)
	assert.Less(t, r.Deleted, int64(n))
	assert.Equal(t, int64(n)-r.Deleted, count(t, c, "temp:*"), "the count is exact")
	want := fmt.Sprintf("cancelled: %s keys deleted (exact)", commas(r.Deleted))
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 24)), want)
	assert.Contains(t, h.Flashes(), want)
	lines := auditLines(t)
	require.Len(t, lines, 2)
	assert.Equal(t, audit.Cancelled, lines[1].Outcome)
	assert.Equal(t, r.Deleted, lines[1].Deleted)
}

// Quitting the console mid-run (q, Ctrl-C) stops the pane: the run is
// cancelled and its outcome is in the audit log before Stop returns.
func TestStopMidRunWritesTheOutcome(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	const n = 20000
	c := server(t, n, 0)
	h := newHarness(t, c, 90, 24, false, func(m *Model) { m.rate.SetValue("4000") })
	previewOf(t, h, "temp:*")
	h.Key("x")
	typeText(h, "temp:*")
	h.Key("enter")
	h.Until("some progress", func() bool { return h.m.progress.Deleted > 0 })
	h.m.Stop()
	lines := auditLines(t)
	require.Len(t, lines, 2)
	assert.Equal(t, audit.Attempted, lines[0].Outcome)
	assert.Equal(t, audit.Cancelled, lines[1].Outcome)
	assert.Equal(t, int64(n)-lines[1].Deleted, count(t, c, "temp:*"), "the logged count is exact")
}

func TestReadOnlyRefuses(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := server(t, 50, 0)
	h := newHarness(t, c, 80, 20, true)
	previewOf(t, h, "temp:*")
	assert.Equal(t, int64(50), h.m.Preview().Matched)
	h.Key("x")
	assert.False(t, h.m.Confirming())
	assert.Contains(t, strings.Join(h.Flashes(), "\n"), "read-only session")
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 80, 20)), "read-only session: preview only")
	assert.Equal(t, int64(50), count(t, c, "temp:*"))
}

func TestRecipeFormAndViewSizes(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	h := newHarness(t, nil, 60, 12, false)
	// The lead recipe, picked by name: it takes two ids.
	const name = "lead"
	names := redisops.RecipeNames()
	at := slices.Index(names, name)
	require.GreaterOrEqual(t, at, 0, "recipes: %v", names)
	for range at + 1 { // r goes to the first recipe, then on
		h.Key("r")
	}
	v := ansi.Strip(viewtest.RequireSafeView(t, h.m, 60, 12))
	assert.Contains(t, v, "recipe "+name)
	args := map[string]string{}
	for i, a := range redisops.RecipeArgs(name) {
		if i > 0 {
			h.Key("down")
		}
		h.Key("enter")
		typeText(h, a+"1")
		h.Key("enter")
		args[a] = a + "1"
	}
	require.Len(t, args, 2)
	want, err := redisops.Recipe(name, args)
	require.NoError(t, err)
	ps, err := h.m.Patterns()
	require.NoError(t, err)
	assert.Equal(t, want, ps)
	v = wideView(t, h)
	assert.Contains(t, v, "→ "+strings.Join(want, " "))
	assert.Contains(t, v, "rate: 0 (keys/s; 0 = governor only)", "the rate line follows the ids")
	for _, size := range [][2]int{{0, 0}, {1, 1}, {10, 3}, {40, 8}, {200, 50}} {
		h.m.SetSize(size[0], size[1])
		viewtest.RequireSafeView(t, h.m, size[0], size[1])
	}
	// Back to typed patterns after the last recipe.
	for range len(names) - at {
		h.Key("r")
	}
	h.m.SetSize(60, 12)
	assert.Contains(t, ansi.Strip(h.m.View()), "patterns")
	assert.Equal(t, -1, h.m.recipe)
}

// wideView is the pane's view, plain, at a width where temporary paths
// fit on one line. The pane keeps that size.
func wideView(t *testing.T, h *harness) string {
	t.Helper()
	h.m.SetSize(240, 40)
	return ansi.Strip(viewtest.RequireSafeView(t, h.m, 240, 40))
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// esc ends a preview in flight: a paced walk of a big keyspace takes a
// while, and the operator may have typed the wrong pattern.
func TestEscCancelsAPreview(t *testing.T) {
	c := server(t, 0, 200_000)
	h := newHarness(t, c, 90, 24, false)
	h.m.SetPatterns("*:nomatch:*")
	h.Key("p")
	assert.Contains(t, ansi.Strip(viewtest.RequireSafeView(t, h.m, 90, 24)), "previewing… (esc cancels)")
	h.Key("esc") // 200 paced SCAN calls cannot all have run by now
	h.Until("the cancelled preview", func() bool { return h.m.previewSeq == 0 })
	assert.Nil(t, h.m.Preview())
	assert.NoError(t, h.m.PreviewErr())
	assert.Contains(t, h.Flashes(), "preview cancelled")
}
