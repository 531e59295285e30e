package inspector

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// Key edits: D deletes the key (UNLINK), E sets its TTL (PEXPIRE), P
// removes it (PERSIST). Each opens a dialog (widgets.Confirm) stating the
// exact effect and runs only on y, through widgets.RunAudited; none exists
// in a read-only session.

// editTimeout bounds one edit, its audit lines included.
const editTimeout = 10 * time.Second

// Audit actions of the key edits.
const (
	ActionDelete  = "delete-key"
	ActionSetTTL  = "set-ttl"
	ActionPersist = "persist"
)

// edits is the inspector's key-edit state: the TTL input, or the dialog
// of an edit (the TTL input leads to the set-TTL dialog).
type edits struct {
	inputTTL bool            // the TTL input is open
	confirm  widgets.Confirm // the delete, set-TTL or persist dialog
	key      string          // the raw key the input or dialog is about
	input    []rune          // the TTL being typed
	inErr    string          // why the typed TTL was refused
	seq      uint64          // the edit in flight, 0 when none
	// log is never closed: an edit still running when the console quits
	// must write its outcome after the frame stops the panes (Run waits
	// for it), and Append fsyncs every line, so the process exit loses
	// nothing when it closes the file.
	log *audit.Log
}

// editDoneMsg is an edit's outcome.
type editDoneMsg struct {
	seq    uint64
	key    string
	action string
	ttl    time.Duration
	widgets.Audited
}

func (editDoneMsg) inspectorMsg() {}

// errNoKey: the key was gone when the edit ran.
var errNoKey = errors.New("no such key")

// editSeqs numbers edits process-wide: every pane sees every message.
var editSeqs atomic.Uint64

// Editing reports whether an edit dialog or the TTL input is open.
func (m *Model) Editing() bool { return m.ed.inputTTL || m.ed.confirm.Active() }

// EditBusy reports whether an edit is running.
func (m *Model) EditBusy() bool { return m.ed.seq != 0 }

// canEdit: key edits are offered for a loaded key in a read-write session.
func (m *Model) canEdit() bool {
	return !m.c.ReadOnly && m.c.Client != nil && m.report != nil
}

// editBindings are the edits' help entries, empty when none is offered.
func (m *Model) editBindings() []key.Binding {
	if !m.canEdit() {
		return nil
	}
	return []key.Binding{m.keys.DeleteKey, m.keys.SetTTL, m.keys.Persist}
}

// isEditKey says whether k is one of the edit keys.
func (m *Model) isEditKey(k tea.KeyPressMsg) bool {
	return key.Matches(k, m.keys.DeleteKey) || key.Matches(k, m.keys.SetTTL) || key.Matches(k, m.keys.Persist)
}

// startEdit opens the dialog (or the TTL input) of the edit k asks for.
func (m *Model) startEdit(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case m.c.ReadOnly:
		return views.Flash(views.FlashWarn, "read-only session: key edits (delete, TTL) are off")
	case m.c.Client == nil:
		return nil
	case m.ed.seq != 0:
		return views.Flash(views.FlashInfo, "an edit is already running")
	case m.report == nil:
		if m.gone {
			return views.Flash(views.FlashInfo, "no such key: nothing to edit")
		}
		return nil
	}
	dk := decode.DisplayKey(m.key)
	m.ed.key = m.key
	switch {
	case key.Matches(k, m.keys.DeleteKey):
		m.askEdit("Delete key", fmt.Sprintf("Delete key %s (%s)? This runs UNLINK %s.", dk, m.sizeText(), dk), ActionDelete, "", 0)
	case key.Matches(k, m.keys.SetTTL):
		m.ed.inputTTL, m.ed.input, m.ed.inErr = true, nil, ""
	case key.Matches(k, m.keys.Persist):
		if m.noTTL {
			return views.Flash(views.FlashInfo, dk+" has no TTL: nothing to remove")
		}
		now := "unknown"
		if !m.expiresAt.IsZero() {
			now = views.TTLLong(m.expiresAt.Sub(m.now()))
		}
		m.askEdit("Remove TTL", fmt.Sprintf("PERSIST %s: remove its TTL (now %s)", dk, now), ActionPersist, "", 0)
	}
	return nil
}

// askEdit opens the dialog of an edit of m.ed.key; y runs it.
func (m *Model) askEdit(title, text, action, target string, ttl time.Duration) {
	dk := decode.DisplayKey(m.ed.key)
	m.ed.confirm.Open(widgets.Question{
		Title: title,
		Text:  text,
		Yes: func() tea.Cmd {
			m.ed.seq = editSeqs.Add(1)
			return m.runEdit(action, target, ttl)
		},
		No: func() tea.Cmd { return views.Flash(views.FlashInfo, "cancelled: "+dk+" unchanged") },
	})
}

// sizeText is the key's type and size, for the delete dialog.
func (m *Model) sizeText() string {
	r := m.report
	parts := []string{r.Type}
	if r.Length >= 0 {
		parts = append(parts, lengthText(r.Type, r.Length))
	}
	if r.MemoryBytes >= 0 {
		parts = append(parts, views.Bytes(r.MemoryBytes)+" in memory")
	}
	return strings.Join(parts, ", ")
}

// editKey handles a key while the input or a dialog is open.
func (m *Model) editKey(k tea.KeyPressMsg) tea.Cmd {
	if m.ed.inputTTL {
		return m.ttlInputKey(k)
	}
	_, cmd := m.ed.confirm.Update(k)
	return cmd
}

func (m *Model) ttlInputKey(k tea.KeyPressMsg) tea.Cmd {
	switch k.Code {
	case tea.KeyEscape:
		m.ed.inputTTL = false
		return nil
	case tea.KeyEnter:
		d, err := ParseTTL(string(m.ed.input))
		if err != nil {
			m.ed.inErr = decode.SafeLine(err.Error())
			return nil
		}
		m.ed.inputTTL = false
		dk := decode.DisplayKey(m.ed.key)
		at := m.now().Add(d).UTC()
		// The exact command EditKey sends, then what it means.
		text := fmt.Sprintf("PEXPIRE %s %d — the key will expire at %s UTC (in %s)", dk, d.Milliseconds(), at.Format(atLayout(d)), views.TTLLong(d))
		m.askEdit("Set TTL", text, ActionSetTTL, "ttl "+strconv.FormatInt(int64(d/time.Millisecond), 10)+"ms", d)
		return nil
	case tea.KeyBackspace:
		if n := len(m.ed.input); n > 0 {
			m.ed.input = m.ed.input[:n-1]
		}
		m.ed.inErr = ""
		return nil
	}
	m.insertTTL(k.Text)
	return nil
}

// atLayout shows the date too when the expiry is not today-ish.
func atLayout(d time.Duration) string {
	if d >= 20*time.Hour {
		return "2006-01-02 15:04:05"
	}
	return "15:04:05"
}

func (m *Model) insertTTL(s string) {
	for _, r := range s {
		if unicode.IsPrint(r) && len(m.ed.input) < 32 {
			m.ed.input = append(m.ed.input, r)
		}
	}
	m.ed.inErr = ""
}

// ParseTTL reads a TTL: seconds ("300"), one unit ("30s", "5m", "2h",
// "7d", "500ms") or a Go duration ("1h30m"). It must be positive: a TTL of
// 0 would delete the key.
func ParseTTL(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, errors.New("type a TTL: 30s, 5m, 2h, 7d or seconds")
	}
	var d time.Duration
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > int64((1<<62)/time.Second) {
			return 0, errors.New("TTL too large")
		}
		d = time.Duration(n) * time.Second
	} else if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseInt(strings.TrimSuffix(s, "d"), 10, 64)
		if err != nil || n > 100*365 {
			return 0, fmt.Errorf("%q is not a TTL: 30s, 5m, 2h, 7d or seconds", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a TTL: 30s, 5m, 2h, 7d or seconds", s)
		}
	}
	if d < time.Millisecond {
		return 0, errors.New("the TTL must be positive (D deletes a key)")
	}
	return d.Truncate(time.Millisecond), nil
}

// runEdit runs the confirmed edit in a command, audited.
func (m *Model) runEdit(action, target string, ttl time.Duration) tea.Cmd {
	seq, raw, c, log := m.ed.seq, m.ed.key, m.c.Client, m.ed.log
	path := m.c.AuditFile()
	entry := audit.Entry{Server: c.Addr, Profile: m.c.Profile, Action: action, Key: decode.DisplayKey(raw), Target: target}
	if action == ActionDelete {
		entry.Matched = 1
	}
	return func() tea.Msg {
		res := widgets.RunAuditedCounting(log, path, entry, editTimeout, func(ctx context.Context, outcome *audit.Entry) error {
			deleted, err := EditKey(ctx, c, action, raw, ttl)
			outcome.Deleted = deleted
			return err
		})
		return editDoneMsg{seq: seq, key: raw, action: action, ttl: ttl, Audited: res}
	}
}

// EditKey runs one key edit: UNLINK (ActionDelete), PEXPIRE ttl
// (ActionSetTTL) or PERSIST (ActionPersist). A key that is not there is an
// error, as is PERSIST on a key without a TTL. deleted is UNLINK's reply
// (1, or 0 for a key already gone), for the audit line; 0 for the others.
func EditKey(ctx context.Context, c *redisops.Client, action, k string, ttl time.Duration) (deleted int64, err error) {
	rdb := c.Redis()
	switch action {
	case ActionDelete:
		n, err := rdb.Unlink(ctx, k).Result()
		if err == nil && n == 0 {
			err = errNoKey
		}
		return n, err
	case ActionSetTTL:
		ok, err := rdb.PExpire(ctx, k, ttl).Result()
		if err == nil && !ok {
			err = errNoKey
		}
		return 0, err
	case ActionPersist:
		ok, err := rdb.Persist(ctx, k).Result()
		if err == nil && !ok {
			err = errors.New("no such key, or it has no TTL")
		}
		return 0, err
	}
	return 0, fmt.Errorf("unknown key edit %q", action)
}

// editDone flashes the outcome and reloads the key.
func (m *Model) editDone(msg editDoneMsg) tea.Cmd {
	if msg.seq != m.ed.seq || msg.seq == 0 {
		return nil
	}
	m.ed.seq = 0
	if msg.Log != nil {
		m.ed.log = msg.Log
	}
	dk := decode.DisplayKey(msg.key)
	what := map[string]string{ActionDelete: "delete", ActionSetTTL: "set TTL of", ActionPersist: "remove TTL of"}[msg.action]
	var flash tea.Cmd
	switch {
	case msg.Blocked != nil:
		return views.Flash(views.FlashError, "did NOT "+what+" "+dk+": cannot write the audit log: "+msg.Blocked.Error())
	case msg.Err != nil:
		flash = views.Flash(views.FlashError, "could not "+what+" "+dk+": "+errText(msg.Err))
	default:
		var text string
		switch msg.action {
		case ActionDelete:
			text = "deleted " + dk
		case ActionSetTTL:
			text = "TTL of " + dk + " set to " + views.TTLLong(msg.ttl)
		default:
			text = "TTL of " + dk + " removed: it no longer expires"
		}
		flash = views.Flash(views.FlashInfo, text)
		if msg.AuditErr != nil {
			flash = views.Flash(views.FlashWarn, text+", but the outcome is not in the audit log: "+msg.AuditErr.Error())
		}
	}
	// The keys pane shows the key's TTL and type too; a failed edit may
	// still have changed the key (a lost reply), so both refresh.
	changed := views.KeysChanged(false, msg.key)
	if m.opened && m.key == msg.key {
		return tea.Batch(flash, changed, m.request(loadRefresh, "", 0))
	}
	return tea.Batch(flash, changed)
}

// editOverlay draws the open dialog or input over the pane's lines.
func (m *Model) editOverlay(view string) string {
	if !m.Editing() || m.width <= 0 || m.height <= 0 {
		return view
	}
	box := m.ed.confirm.View(m.st, m.width)
	if m.ed.inputTTL {
		text := "TTL for " + decode.DisplayKey(m.ed.key) + ": " + string(m.ed.input) + "█"
		note := "30s, 5m, 2h, 7d or seconds · enter to continue · esc cancels"
		if m.ed.inErr != "" {
			note = m.ed.inErr
		}
		box = widgets.Dialog(m.st, "Set TTL", text, note, m.width, 60)
	}
	lines := widgets.Overlay(strings.Split(view, "\n"), box, m.width, m.height)
	return widgets.Screen(lines, m.width, m.height)
}

// editHelp is the help while an edit's input or dialog is open.
func (m *Model) editHelp() []key.Binding {
	if m.ed.inputTTL {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	return m.ed.confirm.Help()
}
