package policy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	cachepolicy "github.com/coldcopy/cachedeck/policy"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// fixTimeout bounds one fix run.
const fixTimeout = 30 * time.Minute

// fixedMsg is a fix's outcome.
type fixedMsg struct {
	pane, seq uint64
	name      string
	changed   int64
	widgets.Audited
}

var (
	fixTTLKey = key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "fix TTLs…"))
	fixLZKey  = key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete damaged LZ:…"))
)

// fixCounts sums what the last report found for a fix.
func (m *Model) fixCounts(fix string) (keys int64) {
	if m.report == nil {
		return 0
	}
	for _, f := range m.report.Findings {
		if f.Fix == fix {
			keys += f.Keys
		}
	}
	return keys
}

// askFix opens the confirmation of a fix the last (exact, complete) report
// calls for. The fix finds its keys again when it runs: the report only
// says how many there were.
func (m *Model) askFix(fix string) tea.Cmd {
	n := m.fixCounts(fix)
	switch {
	case m.c.ReadOnly:
		return views.Flash(views.FlashWarn, "read-only session: the policy fixes are not available")
	case m.runSeq != 0 || m.fixSeq != 0:
		return views.Flash(views.FlashInfo, "wait for the run in progress (esc cancels it)")
	case m.report == nil || m.report.Cancelled:
		return views.Flash(views.FlashInfo, "run a complete audit first (r)")
	case n == 0:
		return views.Flash(views.FlashInfo, "nothing to fix")
	}
	about := ""
	if !m.report.Exact {
		about = "about "
	}
	q := widgets.Question{Title: "policy fix", Note: "paced by the latency governor; esc cancels between batches; written to the audit log"}
	if fix == redisops.FixTTL {
		q.Text = fmt.Sprintf("Set the policy's TTL on %s%s keys without expiry or above it? (PEXPIRE NX/LT: a key rewritten meanwhile is never lengthened)", about, views.Commas(n))
	} else {
		q.Text = fmt.Sprintf("Delete %s%s damaged LZ: keys? The app cannot read them; it recomputes them on its next miss.", about, views.Commas(n))
	}
	q.Yes = func() tea.Cmd { return m.startFix(fix, n) }
	q.No = func() tea.Cmd { return views.Flash(views.FlashInfo, "policy fix cancelled: nothing was changed") }
	m.confirm.Open(q)
	return nil
}

func (m *Model) startFix(fix string, matched int64) tea.Cmd {
	m.fixSeq = nextSeq()
	ctx, cancel := context.WithCancel(context.Background())
	m.fixCancel = cancel
	pane, seq, c, load, profile := m.id, m.fixSeq, m.c.Client, m.Load, m.c.Profile
	log, path := m.log, m.c.AuditFile()
	ended, final := make(chan struct{}), new(fixedMsg)
	m.fixEnded, m.fixFinal = ended, final
	return func() tea.Msg {
		defer cancel()
		msg := fixedMsg{pane: pane, seq: seq, name: fix}
		defer func() { *final = msg; close(ended) }()
		p, err := load(profile)
		if err != nil {
			msg.Err = err
			return msg
		}
		entry := audit.Entry{Server: c.Addr, Profile: profile, Action: "policy fix " + fix, Target: "policy " + p.Source, Matched: matched}
		msg.Audited = widgets.RunAuditedCounting(log, path, entry, fixTimeout, func(tctx context.Context, out *audit.Entry) error {
			run, stop := context.WithCancel(tctx) // the timeout
			defer stop()
			defer context.AfterFunc(ctx, stop)() // and esc
			err := runFix(run, c, p, fix, out, &msg.changed)
			if errors.Is(err, errFixCancelled) {
				out.Outcome = audit.Cancelled // the audit log says cancelled, not failed
			}
			return err
		})
		return msg
	}
}

// runFix runs one fix and records its counts in out.
func runFix(ctx context.Context, c *redisops.Client, p *cachepolicy.Policy, fix string, out *audit.Entry, changed *int64) error {
	gov := redisops.NewGovernor(c, redisops.GovernorOptions{})
	gov.Start(ctx)
	defer gov.Stop()
	if fix == redisops.FixTTL {
		res, err := c.FixTTL(ctx, redisops.FixTTLOptions{Policy: p, Governor: gov})
		if res != nil {
			out.Matched, *changed = res.MissingTTL+res.AboveTTL, res.Set
			out.Target += fmt.Sprintf("; %d TTLs set", res.Set)
			if res.Cancelled && err == nil {
				err = errFixCancelled
			}
		}
		return err
	}
	var keys []string
	r, err := c.Audit(ctx, redisops.AuditOptions{Policy: p, Exact: true, Governor: gov, Collect: func(kind, key string) {
		if kind == redisops.FindDamagedLZ {
			keys = append(keys, key)
		}
	}})
	if err != nil {
		return err
	}
	if r.Cancelled {
		return errFixCancelled
	}
	if len(keys) == 0 {
		return nil
	}
	patterns := make([]string, len(keys))
	for i, k := range keys {
		patterns[i] = redisops.GlobEscape(k)
	}
	res, err := c.Invalidate(ctx, redisops.InvalidateOptions{Patterns: patterns, Governor: gov})
	if res != nil {
		out.Matched, out.Deleted, out.Unconfirmed, *changed = int64(len(keys)), res.Deleted, res.Unconfirmed, res.Deleted
		if res.Cancelled && err == nil {
			err = errFixCancelled
		}
	}
	if err == nil && ctx.Err() != nil {
		err = errFixCancelled
	}
	return err
}

// errFixCancelled: esc or Ctrl-C stopped the fix between batches; the
// audit line says so, with the counts done.
var errFixCancelled = errors.New("cancelled by the operator")

func (m *Model) fixDone(msg fixedMsg) tea.Cmd {
	m.fixSeq, m.fixCancel = 0, nil
	if msg.Log != nil {
		m.log = msg.Log
	}
	// A fix that ran (its attempted line is in the audit log), whatever it
	// ended with, may have changed keys: the keys pane and the inspector
	// refresh what they show. One that never started changed nothing.
	var changed tea.Cmd
	if msg.Blocked == nil && msg.Log != nil {
		changed = views.KeysChanged(true)
	}
	switch {
	case msg.Blocked != nil:
		return views.Flash(views.FlashError, "policy fix NOT run: cannot write the audit log: "+msg.Blocked.Error())
	case errors.Is(msg.Err, errFixCancelled):
		return tea.Batch(changed, views.Flash(views.FlashInfo, fmt.Sprintf("policy fix %s cancelled: %d keys changed", msg.name, msg.changed)))
	case msg.Err != nil:
		return tea.Batch(changed, views.Flash(views.FlashError, fmt.Sprintf("policy fix %s failed after %d keys: %s", msg.name, msg.changed, redisops.Describe(msg.Err))))
	case msg.AuditErr != nil:
		return tea.Batch(changed, views.Flash(views.FlashWarn, "policy fix done, but its outcome is not in the audit log: "+msg.AuditErr.Error()))
	}
	what := "TTLs set"
	if msg.name == redisops.FixDamagedLZ {
		what = "damaged keys deleted"
	}
	return tea.Batch(changed, views.Flash(views.FlashInfo, fmt.Sprintf("policy fix: %d %s; r audits again", msg.changed, what)))
}
