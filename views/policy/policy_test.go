package policy

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
	"github.com/coldcopy/cachedeck/internal/redistest"
	cachepolicy "github.com/coldcopy/cachedeck/policy"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/seed"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/viewtest"
	"github.com/coldcopy/cachedeck/views/widgets"
)

type root struct{ pane *Model }

func (r root) Init() tea.Cmd { return nil }

func (r root) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		r.pane.SetSize(msg.Width, msg.Height)
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" {
			return r, tea.Quit
		}
	}
	return r, r.pane.Update(msg)
}

func (r root) View() tea.View { return tea.NewView(r.pane.View()) }

func builtIn(string) (*cachepolicy.Policy, error) { return cachepolicy.Default(), nil }

func seeded(t *testing.T, keys int) *redisops.Client {
	t.Helper()
	srv := redistest.Standalone(t)
	c := viewtest.Connect(t, redisops.ConnOptions{URL: srv.URL()})
	_, err := seed.Seed(context.Background(), c.Redis(), seed.Options{Keys: keys})
	require.NoError(t, err)
	return c
}

func TestPolicyPaneInProgram(t *testing.T) {
	c := seeded(t, 3000)
	pane := New(viewtest.NewCommon(c, true))
	pane.Load = builtIn
	tm := teatest.NewTestModel(t, root{pane: pane}, teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("r: audit")) }, teatest.WithDuration(5*time.Second))
	tm.Type("r")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("findings")) }, teatest.WithDuration(20*time.Second))
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	final := tm.FinalModel(t).(root).pane
	r := final.Report()
	require.NotNil(t, r)
	assert.Equal(t, int64(3000), r.ScannedKeys)
	view := ansi.Strip(viewtest.RequireSafeView(t, final, 100, 30))
	assert.Contains(t, view, "3,000 keys")
	assert.Contains(t, view, "payment and billing data")
	assert.Contains(t, view, "never")
	assert.Regexp(t, `user profiles +5m +[0-9,]+ +[0-9.]+ (B|KiB|MiB) `, view, "columns never run together")

	// Scrolled to the end: the findings and their fixes.
	final.Update(viewtest.KeyMsg("G"))
	view = ansi.Strip(viewtest.RequireSafeView(t, final, 100, 30))
	assert.Contains(t, view, "[unknown-namespace]")
	final.top = 0
	var all string
	for range 40 {
		all += ansi.Strip(final.View())
		final.Update(viewtest.KeyMsg("pgdown"))
	}
	assert.Contains(t, all, "fix (not in a read-only session): cachedeck policy fix --damaged-lz")
	assert.Contains(t, all, `"   "`, "an unprintable or blank key is escaped")
}

func TestPolicyPaneCancelAndBadPolicy(t *testing.T) {
	c := seeded(t, 200)
	pane := New(viewtest.NewCommon(c, false))
	pane.Load = func(string) (*cachepolicy.Policy, error) {
		return cachepolicy.Parse("version = 1\ntypo = 1\n", "bad.toml")
	}
	h := viewtest.Start(t, pane, 80, 12)
	h.Key("r")
	h.Until("the failure", func() bool { return !pane.Running() })
	require.Error(t, pane.Err())
	assert.Contains(t, ansi.Strip(pane.View()), "unknown setting typo")

	// Ctrl-C (Interrupt) cancels a running audit; the pane reports partial.
	pane.Load = builtIn
	h.Key("r")
	require.True(t, pane.Running())
	_, ok := pane.Interrupt()
	assert.True(t, ok)
	h.Until("the cancelled audit", func() bool { return !pane.Running() })
	for _, size := range [][2]int{{10, 2}, {1, 1}, {140, 50}} {
		pane.SetSize(size[0], size[1])
		viewtest.RequireSafeView(t, pane, size[0], size[1])
	}
}

// audited is a read-write pane on 1,500 seeded keys, its audit log in a
// temporary directory, after a complete audit.
func audited(t *testing.T) (*redisops.Client, *views.Common, *Model, *viewtest.Harness) {
	t.Helper()
	c := seeded(t, 1500)
	common := viewtest.NewCommon(c, false)
	common.AuditPath = filepath.Join(t.TempDir(), "audit.jsonl")
	pane := New(common)
	pane.Load = builtIn
	h := viewtest.Start(t, pane, 100, 30)
	h.Key("r")
	h.Until("the audit", func() bool { return !pane.Running() && pane.Report() != nil })
	return c, common, pane, h
}

func TestPolicyPaneFixesAreConfirmedAndAudited(t *testing.T) {
	c, common, pane, h := audited(t)
	noTTL := pane.fixCounts(redisops.FixTTL)
	damaged := pane.fixCounts(redisops.FixDamagedLZ)
	require.Positive(t, noTTL)
	require.Positive(t, damaged)

	// n answers no: nothing changes, nothing is logged.
	h.Key("T")
	require.True(t, pane.Confirming())
	assert.Contains(t, ansi.Strip(pane.View()), "Set the policy's TTL on")
	h.Key("n")
	assert.False(t, pane.Confirming())
	assert.NoFileExists(t, common.AuditPath)
	assert.Empty(t, h.KeysChanged(), "an audit and a fix answered no change no key")

	h.Key("T")
	h.Key("y")
	h.Until("the TTL fix", func() bool { return !pane.Fixing() })
	// The keys pane and the inspector are told to refresh.
	assert.Equal(t, []views.KeysChangedMsg{{All: true}}, h.KeysChanged())
	h.Key("D")
	h.Key("y")
	h.Until("the damaged LZ: fix", func() bool { return !pane.Fixing() })
	assert.Len(t, h.KeysChanged(), 2, "each fix tells the panes showing keys")
	h.Key("r")
	h.Until("the audit after the fixes", func() bool { return !pane.Running() })
	assert.Zero(t, pane.fixCounts(redisops.FixTTL))
	assert.Zero(t, pane.fixCounts(redisops.FixDamagedLZ))

	data, err := os.ReadFile(common.AuditPath)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 4, "attempted and done, for each fix")
	assert.Contains(t, lines[1], `"action":"policy fix ttl"`)
	assert.Contains(t, lines[1], `"outcome":"done"`)
	assert.Contains(t, lines[3], `"deleted":`+strconv.FormatInt(damaged, 10))

	// Read-only: the fixes are not offered.
	ro := New(viewtest.NewCommon(c, true))
	ro.report = pane.Report()
	ro.report.Findings = append(ro.report.Findings, redisops.Finding{Kind: redisops.FindNoTTL, Fix: redisops.FixTTL, Keys: 1})
	hr := viewtest.Start(t, ro, 80, 20)
	hr.Key("T")
	assert.False(t, ro.Confirming())
	assert.Contains(t, strings.Join(hr.Flashes(), "\n"), "read-only")
}

// Quitting mid-fix: Stop cancels the fix and waits for its outcome, which
// is the line the terminal gets once the screen is gone; a stopped audit
// says it changed nothing.
func TestQuitMidRunReportsTheOutcomeForTheTerminal(t *testing.T) {
	_, common, pane, h := audited(t)
	assert.Empty(t, pane.ExitReport(), "a finished audit is not reported")

	h.Key("T")
	h.Key("y")
	require.True(t, pane.Fixing())
	pane.Stop()
	assert.False(t, pane.Fixing())
	data, err := os.ReadFile(common.AuditPath)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 2, "the outcome is logged before Stop returns")
	report := pane.ExitReport()
	require.Len(t, report, 1)
	assert.Regexp(t, `^policy fix ttl (cancelled: [0-9,]+ keys changed|done: [0-9,]+ TTLs set); audit log: `+regexp.QuoteMeta(common.AuditPath)+`$`, report[0])
	if strings.Contains(lines[1], `"outcome":"cancelled"`) {
		assert.Contains(t, report[0], "cancelled")
	} else {
		assert.Contains(t, report[0], "done")
	}

	h.Key("r")
	require.True(t, pane.Running())
	pane.Stop()
	require.Len(t, pane.ExitReport(), 2)
	assert.Regexp(t, `^policy audit stopped by quitting after [0-9,]+ keys scanned: an audit only reads, nothing was changed$`, pane.ExitReport()[1])
	pane.Stop()
	assert.Len(t, pane.ExitReport(), 2, "a second Stop adds nothing")
}

func TestFixExitLineWords(t *testing.T) {
	assert.Equal(t, "policy fix damaged-lz failed after 3 keys: boom; audit log: a.jsonl",
		fixExitLine(fixedMsg{name: redisops.FixDamagedLZ, changed: 3, Audited: widgets.Audited{Log: &audit.Log{}, Err: errors.New("boom")}}, "a.jsonl"))
	assert.Equal(t, "policy fix ttl not run: no policy; audit log: a.jsonl",
		fixExitLine(fixedMsg{name: redisops.FixTTL, Audited: widgets.Audited{Err: errors.New("no policy")}}, "a.jsonl"))
	assert.Equal(t, "policy fix damaged-lz done: 1,200 damaged keys deleted; audit log: a.jsonl",
		fixExitLine(fixedMsg{name: redisops.FixDamagedLZ, changed: 1200, Audited: widgets.Audited{Log: &audit.Log{}}}, "a.jsonl"))
}

// The full help lists both fixes (not in read-only mode) before an audit
// has found work for them; the short help only those the audit offers.
func TestHelpListsTheFixes(t *testing.T) {
	rw := New(viewtest.NewCommon(nil, false))
	keys := viewtest.HelpKeys(t, rw.FullHelp()...)
	assert.Equal(t, "fix TTLs…", keys["T"])
	assert.Equal(t, "delete damaged LZ:…", keys["D"])
	assert.Equal(t, "audit", keys["r"])
	assert.Contains(t, keys, "pgdown")
	assert.NotContains(t, viewtest.HelpKeys(t, rw.ShortHelp()), "T", "no audit has found work for it")
	ro := New(viewtest.NewCommon(nil, true))
	keys = viewtest.HelpKeys(t, ro.FullHelp()...)
	assert.NotContains(t, keys, "T")
	assert.NotContains(t, keys, "D")
}
