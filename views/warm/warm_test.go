package warm_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/internal/warmtest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/viewtest"
	"github.com/coldcopy/cachedeck/views/warm"
)

const secret = "pane-cron-s3cret-55"

type fixture struct {
	c         *redisops.Client
	app       *warmtest.App
	m         *warm.Model
	h         *viewtest.Harness
	auditPath string
}

func setup(t *testing.T, readOnly bool) *fixture {
	t.Helper()
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	app := warmtest.Start(t, c.Redis(), secret)
	t.Setenv("WARM_TEST_SECRET", secret)
	ws, err := config.Profile{WarmURL: app.URL, TokenEnv: "WARM_TEST_SECRET"}.WarmerList()
	require.NoError(t, err)
	common := viewtest.NewCommon(c, readOnly)
	common.AuditPath = filepath.Join(t.TempDir(), "audit.jsonl")
	m := warm.New(common, ws, nil)
	h := viewtest.Start(t, m, 100, 30)
	return &fixture{c: c, app: app, m: m, h: h, auditPath: common.AuditPath}
}

func (f *fixture) view(t *testing.T) string {
	return ansi.Strip(viewtest.RequireSafeView(t, f.m, 100, 30))
}

func TestRunAWarmerWithConfirmation(t *testing.T) {
	f := setup(t, false)
	f.h.Drain()
	v := f.view(t)
	assert.Contains(t, v, "app")
	assert.Contains(t, v, "never run")
	assert.Contains(t, v, "/api/cron/cache-warming")

	f.h.Key("enter")
	v = f.view(t)
	assert.Contains(t, v, "Run warmer app?")
	assert.Contains(t, v, "$WARM_TEST_SECRET", "the dialog names where the token comes from")
	assert.EqualValues(t, 0, f.app.Calls(), "nothing before the answer")
	f.h.Key("n")
	assert.False(t, f.m.Running())

	f.h.Key("enter")
	f.h.Key("y")
	f.h.Until("the run", func() bool { return !f.m.Running() })
	require.NoError(t, f.m.RunErr())
	rep := f.m.Report()
	require.NotNil(t, rep)
	assert.EqualValues(t, 170, rep.Added())
	assert.Equal(t, []views.KeysChangedMsg{{All: true}}, f.h.KeysChanged(), "the keys pane and the inspector refresh")
	assert.EqualValues(t, 170, rep.Warmed)
	v = f.view(t)
	assert.Contains(t, v, "round 1: HTTP 200, success true, warmed 170, errors 0, 1 attempt")
	assert.Contains(t, v, "coldcopy:lead_score:*")
	assert.Contains(t, v, "+100")
	assert.Contains(t, v, "done +170 keys", "the last run column")
	assert.NotContains(t, v, secret)

	// Every size draws exactly its cells, with no control bytes.
	for _, size := range [][2]int{{80, 24}, {40, 10}, {20, 5}, {0, 0}} {
		f.m.SetSize(size[0], size[1])
		viewtest.RequireSafeView(t, f.m, size[0], size[1])
	}
	f.m.SetSize(100, 30)

	entries, err := audit.ReadTail(f.auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Attempted, entries[0].Outcome)
	assert.Equal(t, audit.Done, entries[1].Outcome)
	assert.EqualValues(t, 170, entries[1].Added)

	// A fresh pane reads the last run from the audit log.
	common := viewtest.NewCommon(f.c, false)
	common.AuditPath = f.auditPath
	m2 := warm.New(common, []config.Warmer{{Name: "app", URL: f.app.URL}, {Name: "other", URL: f.app.URL}}, nil)
	m2.Update(m2.Init()())
	e, ok := m2.LastRun("app")
	require.True(t, ok)
	assert.Equal(t, audit.Done, e.Outcome)
	assert.EqualValues(t, 170, e.Added)
	_, ok = m2.LastRun("other")
	assert.False(t, ok)
}

func TestWarmerErrorsAreShownWithoutTheToken(t *testing.T) {
	f := setup(t, false)
	f.app.SetMode(warmtest.ServerError)
	f.h.Key("u") // until stable: still stops on the error
	f.h.Key("enter")
	f.h.Key("y")
	f.h.Until("the run", func() bool { return !f.m.Running() })
	require.Error(t, f.m.RunErr())
	assert.Len(t, f.h.KeysChanged(), 1, "a failed run may have changed keys too")
	v := f.view(t)
	assert.Contains(t, v, "the app answered 500")
	assert.NotContains(t, v, secret)
	assert.Contains(t, v, "failed", "the last run column says it failed")
	b, err := os.ReadFile(f.auditPath)
	require.NoError(t, err)
	assert.NotContains(t, string(b), secret)
	assert.Contains(t, string(b), `"outcome":"failed"`)
}

func TestReadOnlyOnlyLists(t *testing.T) {
	f := setup(t, true)
	f.h.Key("enter")
	f.h.Key("b")
	f.h.Key("t")
	f.h.Drain()
	assert.False(t, f.m.Running())
	assert.False(t, f.m.Capturing(), "no form opens")
	assert.EqualValues(t, 0, f.app.Calls())
	assert.Contains(t, strings.Join(f.h.Flashes(), "\n"), "read-only")
	assert.Contains(t, f.view(t), "read-only: runs are turned off")
}

func TestWarmFromBackupAndTTLRefresh(t *testing.T) {
	f := setup(t, false)
	ctx := context.Background()
	rdb := f.c.Redis()
	for i := 0; i < 40; i++ {
		require.NoError(t, rdb.Set(ctx, warmtest.Key(0, i), "score", time.Hour).Err())
		require.NoError(t, rdb.Set(ctx, "user:"+itoa(i), "u", time.Hour).Err())
	}
	var backup bytes.Buffer
	_, err := f.c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: []string{"*"}, Backup: &backup})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "b.ndjson")
	require.NoError(t, os.WriteFile(path, backup.Bytes(), 0o600))
	require.NoError(t, rdb.Set(ctx, warmtest.Key(0, 1), "fresh", time.Hour).Err())

	// b opens the form with the warmer's namespaces as the patterns.
	f.h.Key("b")
	require.True(t, f.m.Capturing())
	f.h.Dispatch(tea.PasteMsg{Content: path})
	f.h.Key("enter")
	f.h.Until("the preview", func() bool { return strings.Contains(f.view(t), "missing now to restore") })
	v := f.view(t)
	assert.Contains(t, v, "80 keys in the file, 40 match: 39 missing now to restore")
	f.h.Key("enter")
	assert.Contains(t, f.view(t), "Warm from backup?")
	f.h.Key("y")
	f.h.Until("the restore", func() bool { return !f.m.Running() })
	require.NoError(t, f.m.RunErr())
	r := f.m.Restored()
	require.NotNil(t, r)
	assert.EqualValues(t, 39, r.Restored)
	assert.EqualValues(t, 1, r.Skipped)
	assert.EqualValues(t, 40, r.NotMatched)
	assert.Equal(t, "fresh", rdb.Get(ctx, warmtest.Key(0, 1)).Val())
	assert.Len(t, f.h.KeysChanged(), 1, "the restore tells the panes showing keys")
	assert.EqualValues(t, 0, rdb.Exists(ctx, "user:1").Val())

	// t: the TTL refresh, prefilled with the namespace and its policy TTL.
	f.h.Key("esc")
	f.h.Key("t")
	v = f.view(t)
	assert.Contains(t, v, "coldcopy:lead_score:*")
	assert.Contains(t, v, "1h")
	f.h.Key("enter")
	f.h.Until("the preview", func() bool { return strings.Contains(f.view(t), "with a TTL") })
	assert.Contains(t, f.view(t), "40 keys match: 40 with a TTL, 0 without")
	f.h.Key("enter")
	assert.Contains(t, f.view(t), "Spread TTLs?")
	f.h.Key("y")
	f.h.Until("the spread", func() bool { return !f.m.Running() })
	require.NoError(t, f.m.RunErr())
	s := f.m.Spread()
	require.NotNil(t, s)
	assert.Len(t, f.h.KeysChanged(), 2, "so does the TTL refresh")
	assert.EqualValues(t, 40, s.Updated)
	ttl := rdb.TTL(ctx, warmtest.Key(0, 7)).Val()
	assert.True(t, ttl > 59*time.Minute && ttl <= 66*time.Minute, "1h + up to 6m, got %s", ttl)

	entries, err := audit.ReadTail(f.auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 4)
	assert.Equal(t, "warm-from-backup", entries[1].Action)
	assert.EqualValues(t, 39, entries[1].Restored)
	assert.Equal(t, "ttl-spread", entries[3].Action)
	assert.EqualValues(t, 40, entries[3].Updated)
}

func TestCancelAHangingWarmer(t *testing.T) {
	f := setup(t, false)
	for i := 0; i < 12; i++ {
		require.NoError(t, f.c.Redis().Set(context.Background(), warmtest.Key(0, i), "cached", time.Hour).Err())
	}
	f.app.SetMode(warmtest.Hang)
	f.h.Key("enter")
	f.h.Key("y")
	// No message comes while the app hangs: poll.
	deadline := time.Now().Add(10 * time.Second)
	for (f.app.Calls() == 0 || !strings.Contains(f.view(t), "calling the warmer")) && time.Now().Before(deadline) {
		f.h.Next(20 * time.Millisecond)
	}
	require.EqualValues(t, 1, f.app.Calls())
	assert.True(t, f.m.Running())
	// Live: the before counts are in, the after counts still to come.
	v := f.view(t)
	assert.Contains(t, v, "warmer app, round 1: calling the warmer…  esc cancels")
	assert.Regexp(t, `coldcopy:lead_score:\*\s+12\s+…`, v)
	f.h.Key("enter")
	assert.Contains(t, strings.Join(f.h.Flashes(), "\n"), "is running: esc cancels it")
	_, interrupted := f.m.Interrupt()
	assert.True(t, interrupted)
	f.h.Until("the run to end", func() bool { return !f.m.Running() })
	assert.Len(t, f.h.KeysChanged(), 1, "a cancelled run may have changed keys")
	entries, err := audit.ReadTail(f.auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Cancelled, entries[1].Outcome)
}

func itoa(i int) string { return strconv.Itoa(i) }

// Quitting mid-run: Stop cancels the run, which writes its outcome; the
// same outcome is the line the terminal gets once the screen is gone.
func TestQuitMidRunReportsTheOutcomeForTheTerminal(t *testing.T) {
	f := setup(t, false)
	f.app.SetMode(warmtest.Hang)
	assert.Empty(t, f.m.ExitReport(), "nothing ran")
	f.h.Key("enter")
	f.h.Key("y")
	deadline := time.Now().Add(10 * time.Second)
	for f.app.Calls() == 0 && time.Now().Before(deadline) {
		f.h.Next(20 * time.Millisecond)
	}
	require.EqualValues(t, 1, f.app.Calls())
	f.m.Stop()
	assert.False(t, f.m.Running())
	entries, err := audit.ReadTail(f.auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Cancelled, entries[1].Outcome)
	report := f.m.ExitReport()
	require.Len(t, report, 1)
	assert.Contains(t, report[0], "warmer app cancelled")
	assert.Contains(t, report[0], "; audit log: "+f.auditPath)
	assert.NotContains(t, report[0], secret)
	f.m.Stop()
	assert.Len(t, f.m.ExitReport(), 1, "a second Stop adds nothing")
}

// A TTL refresh stopped by quitting reports its counts.
func TestQuitMidTTLRefreshReportsItsCounts(t *testing.T) {
	f := setup(t, false)
	ctx := context.Background()
	for i := 0; i < 3000; i++ {
		require.NoError(t, f.c.Redis().Set(ctx, warmtest.Key(0, i), "s", time.Hour).Err())
	}
	f.h.Key("t")
	f.h.Key("enter")
	f.h.Until("the preview", func() bool { return strings.Contains(f.view(t), "with a TTL") })
	f.h.Key("enter")
	f.h.Key("y")
	require.True(t, f.m.Running())
	f.m.Stop()
	report := f.m.ExitReport()
	require.Len(t, report, 1)
	assert.Regexp(t, `^TTL refresh of coldcopy:lead_score:\* (cancelled|done): [0-9,]+ of [0-9,]+ TTLs set; audit log: `, report[0])
	entries, err := audit.ReadTail(f.auditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Contains(t, report[0], " "+entries[1].Outcome+": "+commas(entries[1].Updated)+" of ")
}

func commas(n int64) string { return views.Commas(n) }

// The ? help lists the keys that work in each state: no cursor keys while
// a form types j and k, the field keys the form takes, and no conflict.
func TestHelpListsTheKeysOfEachState(t *testing.T) {
	f := setup(t, false)
	full := func() map[string]string { return viewtest.HelpKeys(t, f.m.FullHelp()...) }
	short := func() map[string]string { return viewtest.HelpKeys(t, f.m.ShortHelp()) }
	list := full()
	for _, k := range []string{"enter", "w", "u", "b", "t", "j", "k"} {
		assert.Contains(t, list, k)
	}
	f.h.Key("t")
	require.True(t, f.m.Capturing())
	form := full()
	assert.NotContains(t, form, "j", "j types into the form")
	assert.NotContains(t, form, "k")
	for k, want := range map[string]string{"tab": "next field", "down": "next field", "shift+tab": "previous field", "up": "previous field", "esc": "back"} {
		assert.Equal(t, want, form[k], k)
		assert.Equal(t, want, short()[k], k)
	}
}

// A warm run that ended before quitting read its message is reported with
// its counts.
func TestQuitAfterARunEndedReportsItsCounts(t *testing.T) {
	f := setup(t, false)
	f.h.Key("enter")
	f.h.Key("y")
	require.True(t, f.m.Running())
	// Wait for the audit log's outcome line without handing the final
	// message to the pane: the run is over, the pane has not seen it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		entries, err := audit.ReadTail(f.auditPath, 10)
		if err == nil && len(entries) == 2 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the run never logged its outcome")
		time.Sleep(10 * time.Millisecond)
	}
	f.m.Stop()
	report := f.m.ExitReport()
	require.Len(t, report, 1)
	assert.Equal(t, "warmer app done: +170 keys added in 1 round, app warmed 170; audit log: "+f.auditPath, report[0])
}
