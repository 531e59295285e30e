package cluster_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/dobackend"
	"github.com/coldcopy/cachedeck/internal/dotest"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/cluster"
	"github.com/coldcopy/cachedeck/views/viewtest"
)

// host runs the pane as the frame would: shown, focused, and the flash
// messages it sends shown under it.
type host struct {
	pane  *cluster.Model
	flash string
	w, h  int
}

func (m *host) Init() tea.Cmd {
	m.pane.SetSize(m.w, m.h-1)
	m.pane.SetFocused(true)
	return tea.Batch(m.pane.Init(), m.pane.SetShown(true))
}

func (m *host) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case views.FlashMsg:
		m.flash = msg.Text
		return m, nil
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" {
			return m, tea.Quit
		}
	case screenProbe:
		msg.reply <- ansi.Strip(m.pane.View() + "\n" + m.flash)
		return m, nil
	}
	return m, m.pane.Update(msg)
}

func (m *host) View() tea.View { return tea.NewView(m.pane.View() + "\n" + m.flash) }

type screenProbe struct{ reply chan string }

func screen(tm *teatest.TestModel) string {
	reply := make(chan string, 1)
	tm.Send(screenProbe{reply: reply})
	select {
	case s := <-reply:
		return s
	case <-time.After(5 * time.Second):
		return ""
	}
}

func waitScreen(t *testing.T, tm *teatest.TestModel, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := screen(tm)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; screen:\n%s", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func has(subs ...string) func(string) bool {
	return func(s string) bool {
		for _, sub := range subs {
			if !strings.Contains(s, sub) {
				return false
			}
		}
		return true
	}
}

func press(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		switch k {
		case "enter":
			tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
		case "esc":
			tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
		case "ctrl+u":
			tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		default:
			tm.Send(tea.KeyPressMsg{Code: rune(k[0]), Text: k})
		}
	}
}

const mib = 1 << 20

// The Cluster tab from the list to a finished resize, on the fake API and a
// real redis-server that the fake names as the staging cluster's host.
func TestClusterTabListDetailsWizardResizeOnline(t *testing.T) {
	api := dotest.New(t)
	api.SetPhases(1, 2)
	srv := redistest.Standalone(t, "maxmemory-policy allkeys-lru")
	rc := viewtest.Connect(t, srvOpts(srv.URL()))
	val := strings.Repeat("v", 1<<20-64)
	for i := range 24 {
		require.NoError(t, rc.Redis().Set(context.Background(), fmt.Sprintf("lead:%d", i), val, 0).Err())
	}
	api.SetConnection(dotest.StagingID, "127.0.0.1", srv.Port, false, "default", "")

	dc, err := dobackend.New(dobackend.Options{Token: dobackend.NewToken(dotest.Token, "test"), BaseURL: api.BaseURL()})
	require.NoError(t, err)
	c := viewtest.NewCommon(rc, false)
	c.AuditPath = filepath.Join(t.TempDir(), "audit.jsonl")
	c.Profile = "prod"
	pane := cluster.New(c, dc, "")
	pane.PollEvery = 10 * time.Millisecond
	// About 25.5 MiB used: 1gb (30 MiB for data) lacks the headroom, 8gb fits.
	pane.Prices = dobackend.PriceTable{Date: "2026-12-03", Sizes: map[string]dobackend.SizeInfo{
		"db-s-1vcpu-1gb": {RAM: 64 * mib, Usable: 30 * mib, MonthlyUSD: 15},
		"db-s-1vcpu-2gb": {RAM: 96 * mib, Usable: 34 * mib, MonthlyUSD: 30},
		"db-s-2vcpu-4gb": {RAM: 128 * mib, Usable: 100 * mib, MonthlyUSD: 60},
		"db-s-4vcpu-8gb": {RAM: 256 * mib, Usable: 200 * mib, MonthlyUSD: 120},
	}}

	tm := teatest.NewTestModel(t, &host{pane: pane, w: 120, h: 30}, teatest.WithInitialTermSize(120, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))

	// The list: both cache clusters from both pages, not the postgres one.
	s := waitScreen(t, tm, "the list", has("coldcopy-cache", "coldcopy-staging", "2 clusters"))
	assert.NotContains(t, s, "coldcopy-pg")

	// Details of the staging cluster (second row).
	press(tm, "j", "enter")
	waitScreen(t, tm, "details", has("eviction:    allkeys_lru", "trusted:     tag coldcopy-app", "pending: Update TLS certificates",
		"live memory: used", "(the console is connected to this cluster)"))

	// The wizard: redis options with 2 nodes; the current size is 4gb.
	press(tm, "s")
	s = waitScreen(t, tm, "the wizard", has("resize coldcopy-staging (now db-s-2vcpu-4gb x2)", "db-s-4vcpu-8gb", "current size"))
	assert.Contains(t, s, "live: used")

	// Too small: refused with the reason, nothing sent.
	press(tm, "g") // home
	s = waitScreen(t, tm, "1gb row", has("db-s-1vcpu-1gb", "refused"))
	press(tm, "enter")
	waitScreen(t, tm, "refusal", has("refused: db-s-1vcpu-1gb holds 30.0 MiB for data", "under the 20 % headroom"))
	assert.Zero(t, api.Count("PUT", "/v2/databases/"+dotest.StagingID+"/resize"))

	// 8gb: the preview, a wrong name, then the right one.
	press(tm, "G", "enter")
	waitScreen(t, tm, "confirmation", has("Type the cluster's name to resize it (coldcopy-staging)",
		"resize: db-s-2vcpu-4gb x2 → db-s-4vcpu-8gb x2", `request: PUT /v2/databases/`+dotest.StagingID+`/resize {"size":"db-s-4vcpu-8gb","num_nodes":2}`,
		"cost: +$120.00/month"))
	tm.Type("coldcopy")
	press(tm, "enter")
	waitScreen(t, tm, "mismatch", has("the typed name does not match"))
	assert.Zero(t, api.Count("PUT", "/v2/databases/"+dotest.StagingID+"/resize"))
	tm.Type("-staging")
	press(tm, "enter")

	// Accepted, polled through resizing to online at the new size.
	waitScreen(t, tm, "online", has("done: online at the new size", "status online, db-s-4vcpu-8gb x2", "cache: PING"))
	size, nodes, status := api.Cluster(dotest.StagingID)
	assert.Equal(t, []any{"db-s-4vcpu-8gb", 2, "online"}, []any{size, nodes, status})
	assert.Equal(t, 1, api.Count("PUT", "/v2/databases/"+dotest.StagingID+"/resize"))

	var entries []audit.Entry
	require.Eventually(t, func() bool {
		entries, err = audit.ReadTail(c.AuditPath, 10)
		return err == nil && len(entries) == 3
	}, 10*time.Second, 20*time.Millisecond)
	for i, want := range []string{audit.Attempted, audit.Accepted, audit.Done} {
		assert.Equal(t, want, entries[i].Outcome)
		assert.Equal(t, "do:coldcopy-staging", entries[i].Server)
		assert.Equal(t, "prod", entries[i].Profile)
		assert.Equal(t, "db-s-2vcpu-4gb x2 → db-s-4vcpu-8gb x2", entries[i].Target)
	}

	press(tm, "ctrl+c")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

func TestClusterTabWithoutATokenSaysWhy(t *testing.T) {
	c := viewtest.NewCommon(nil, false)
	pane := cluster.New(c, nil, dobackend.ErrNoToken.Error())
	pane.SetSize(80, 10)
	assert.Nil(t, pane.SetShown(true), "nothing to load")
	v := ansi.Strip(pane.View())
	assert.Contains(t, v, "DigitalOcean clusters are not available")
	assert.Contains(t, v, "set DIGITALOCEAN_TOKEN")
	assert.Len(t, strings.Split(v, "\n"), 10)
}

func TestClusterTabReadOnlyRemovesResizeAndEviction(t *testing.T) {
	api := dotest.New(t)
	dc, err := dobackend.New(dobackend.Options{Token: dobackend.NewToken(dotest.Token, "test"), BaseURL: api.BaseURL()})
	require.NoError(t, err)
	c := viewtest.NewCommon(nil, true)
	pane := cluster.New(c, dc, "")
	h := viewtest.Start(t, pane, 100, 20)
	h.Until("listed", func() bool { return len(pane.Clusters()) == 2 })
	h.Dispatch(tea.KeyPressMsg{Code: tea.KeyEnter})
	h.Until("details", func() bool { return strings.Contains(ansi.Strip(pane.View()), "eviction:") })
	assert.Contains(t, ansi.Strip(pane.View()), "read-only: resize and eviction policy changes are removed")
	h.Dispatch(tea.KeyPressMsg{Code: 's', Text: "s"})
	h.Dispatch(tea.KeyPressMsg{Code: 'e', Text: "e"})
	assert.Contains(t, ansi.Strip(pane.View()), "read-only", "still on the details")
	for _, b := range pane.ShortHelp() {
		assert.NotEqual(t, "s", b.Help().Key)
	}
}

func srvOpts(url string) redisops.ConnOptions { return redisops.ConnOptions{URL: url} }

func TestClusterTabChangesTheEvictionPolicyAfterTheTypedName(t *testing.T) {
	api := dotest.New(t)
	dc, err := dobackend.New(dobackend.Options{Token: dobackend.NewToken(dotest.Token, "test"), BaseURL: api.BaseURL()})
	require.NoError(t, err)
	c := viewtest.NewCommon(nil, false)
	c.AuditPath = filepath.Join(t.TempDir(), "audit.jsonl")
	pane := cluster.New(c, dc, "")
	h := viewtest.Start(t, pane, 100, 20)
	keys := func(s string) {
		for _, r := range s {
			h.Dispatch(tea.KeyPressMsg{Code: r, Text: string(r)})
		}
	}
	h.Until("listed", func() bool { return len(pane.Clusters()) == 2 })
	h.Dispatch(tea.KeyPressMsg{Code: tea.KeyEnter})
	h.Until("details", func() bool { return strings.Contains(ansi.Strip(pane.View()), "eviction:    allkeys_lru") })
	keys("e")
	keys("G") // volatile_ttl, the last one
	h.Dispatch(tea.KeyPressMsg{Code: tea.KeyEnter})
	v := ansi.Strip(pane.View())
	assert.Contains(t, v, "Type the cluster's name to change its eviction policy (coldcopy-cache)")
	assert.Contains(t, v, "eviction policy: allkeys_lru → volatile_ttl")
	assert.True(t, pane.Capturing(), "the typed name owns the keyboard")
	keys("coldcopy-cache")
	h.Dispatch(tea.KeyPressMsg{Code: tea.KeyEnter})
	h.Until("changed", func() bool { return strings.Contains(ansi.Strip(pane.View()), "eviction:    volatile_ttl") })
	assert.Equal(t, "volatile_ttl", api.Eviction(dotest.CacheID))
	entries, err := audit.ReadTail(c.AuditPath, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Done, entries[1].Outcome)
	assert.Equal(t, "allkeys_lru → volatile_ttl", entries[1].Target)
}

// Without live memory (the console is on another server) the wizard still
// lists the sizes, n cycles the node counts on offer, and any choice is
// refused with the reason.
func TestClusterWizardWithoutLiveMemoryRefusesAndCyclesNodeCounts(t *testing.T) {
	api := dotest.New(t)
	dc, err := dobackend.New(dobackend.Options{Token: dobackend.NewToken(dotest.Token, "test"), BaseURL: api.BaseURL()})
	require.NoError(t, err)
	srv := redistest.Standalone(t)
	c := viewtest.NewCommon(viewtest.Connect(t, srvOpts(srv.URL())), false)
	pane := cluster.New(c, dc, "")
	h := viewtest.Start(t, pane, 110, 20)
	view := func() string { return ansi.Strip(pane.View()) }
	h.Until("listed", func() bool { return len(pane.Clusters()) == 2 })
	h.Dispatch(tea.KeyPressMsg{Code: tea.KeyEnter})
	h.Until("details", func() bool { return strings.Contains(view(), "eviction:") })
	h.Dispatch(tea.KeyPressMsg{Code: 's', Text: "s"})
	h.Until("wizard", func() bool { return strings.Contains(view(), "SIZE") })
	assert.Contains(t, view(), "no fit check: the console is connected to "+srv.Addr+", not to coldcopy-cache")
	assert.Contains(t, view(), "db-s-16vcpu-64gb     1")

	h.Dispatch(tea.KeyPressMsg{Code: 'n', Text: "n"})
	assert.Contains(t, view(), "db-s-16vcpu-64gb     2")
	h.Dispatch(tea.KeyPressMsg{Code: 'n', Text: "n"})
	assert.Contains(t, view(), "db-s-2vcpu-4gb       3")
	assert.NotContains(t, view(), "db-s-1vcpu-1gb       3", "not offered with 3 nodes")

	h.Dispatch(tea.KeyPressMsg{Code: tea.KeyEnter})
	assert.Contains(t, view(), "refused: the fit cannot be checked")
	assert.False(t, pane.Capturing(), "no confirmation opened")
	assert.Zero(t, api.Count("PUT", "/v2/databases/"+dotest.CacheID+"/resize"))
}

// Quitting while a resize is watched: the terminal is told the resize goes
// on at DigitalOcean, with the last status and where to read it.
func TestQuitWhileWatchingAResizeReportsItForTheTerminal(t *testing.T) {
	api := dotest.New(t)
	api.SetPhases(1, 1_000_000) // resizing until the test ends
	srv := redistest.Standalone(t)
	rc := viewtest.Connect(t, srvOpts(srv.URL()))
	api.SetConnection(dotest.StagingID, "127.0.0.1", srv.Port, false, "default", "")
	dc, err := dobackend.New(dobackend.Options{Token: dobackend.NewToken(dotest.Token, "test"), BaseURL: api.BaseURL()})
	require.NoError(t, err)
	c := viewtest.NewCommon(rc, false)
	c.AuditPath = filepath.Join(t.TempDir(), "audit.jsonl")
	pane := cluster.New(c, dc, "")
	pane.PollEvery = 10 * time.Millisecond
	pane.Prices = dobackend.PriceTable{Date: "2026-12-03", Sizes: map[string]dobackend.SizeInfo{
		"db-s-2vcpu-4gb": {RAM: 128 * mib, Usable: 100 * mib, MonthlyUSD: 60},
		"db-s-4vcpu-8gb": {RAM: 256 * mib, Usable: 200 * mib, MonthlyUSD: 120},
	}}
	assert.Empty(t, pane.ExitReport(), "nothing is watched")

	tm := teatest.NewTestModel(t, &host{pane: pane, w: 120, h: 30}, teatest.WithInitialTermSize(120, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	waitScreen(t, tm, "the list", has("coldcopy-staging"))
	press(tm, "j", "enter")
	waitScreen(t, tm, "details", has("live memory: used"))
	press(tm, "s")
	waitScreen(t, tm, "the wizard", has("db-s-4vcpu-8gb"))
	press(tm, "G", "enter")
	waitScreen(t, tm, "confirmation", has("Type the cluster's name to resize it (coldcopy-staging)"))
	tm.Type("coldcopy-staging")
	press(tm, "enter")
	waitScreen(t, tm, "resizing", has("status resizing"))
	press(tm, "ctrl+c")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))

	assert.Equal(t, "stop watching (the resize goes on)", viewtest.HelpKeys(t, pane.ShortHelp())["esc"], "the help says what esc does while watching")
	report := pane.ExitReport()
	require.Len(t, report, 1)
	assert.Regexp(t, `^resize of coldcopy-staging \(db-s-2vcpu-4gb x2 → db-s-4vcpu-8gb x2\) still in progress at DigitalOcean when the console quit \(last status resizing, db-s-2vcpu-4gb x2, \d+s elapsed\); `+
		"`cachedeck do show coldcopy-staging` reads its status; audit log: "+regexp.QuoteMeta(c.AuditPath)+`$`, report[0])
}

// The ? help lists the movement keys of the list, and esc as stopping the
// watch of a resize, not the resize.
func TestHelpListsTheKeysOfEachMode(t *testing.T) {
	api := dotest.New(t)
	dc, err := dobackend.New(dobackend.Options{Token: dobackend.NewToken(dotest.Token, "test"), BaseURL: api.BaseURL()})
	require.NoError(t, err)
	pane := cluster.New(viewtest.NewCommon(nil, false), dc, "")
	h := viewtest.Start(t, pane, 100, 20)
	h.Until("listed", func() bool { return len(pane.Clusters()) == 2 })
	keys := viewtest.HelpKeys(t, pane.FullHelp()...)
	for _, k := range []string{"up", "down", "pgup", "pgdown", "home", "end", "enter", "r"} {
		assert.Contains(t, keys, k)
	}
}
