package policy

import (
	"errors"
	"fmt"
	"time"

	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
)

// stopWait bounds how long quitting waits for a cancelled fix to write its
// outcome (the batch in flight finishes first).
const stopWait = 10 * time.Second

// Stop cancels an audit or a fix in flight (the frame calls it on quit)
// and waits, bounded, for the fix to write its outcome, which ExitReport
// then tells the terminal.
func (m *Model) Stop() {
	if m.runSeq != 0 {
		if m.cancel != nil {
			m.cancel()
		}
		m.exitLines = append(m.exitLines, fmt.Sprintf("policy audit stopped by quitting after %s keys scanned: an audit only reads, nothing was changed",
			views.Commas(m.last.Scanned)))
		m.runSeq, m.cancel = 0, nil
	}
	if m.fixSeq == 0 {
		return
	}
	if m.fixCancel != nil {
		m.fixCancel()
	}
	t := time.NewTimer(stopWait)
	defer t.Stop()
	select {
	case <-m.fixEnded:
		m.exitLines = append(m.exitLines, fixExitLine(*m.fixFinal, m.c.AuditFile()))
	case <-t.C:
		m.exitLines = append(m.exitLines, "policy fix: the console exited before the fix ended; its outcome is unknown; audit log: "+m.c.AuditFile())
	}
	m.fixSeq, m.fixCancel = 0, nil
}

// ExitReport is the outcome of the runs that quitting the console
// stopped, one line each, for the terminal once the screen is gone.
func (m *Model) ExitReport() []string { return m.exitLines }

// fixExitLine is a fix's outcome in the words of its flash.
func fixExitLine(msg fixedMsg, auditPath string) string {
	what := "policy fix " + msg.name
	var line string
	switch {
	case msg.Blocked != nil:
		line = what + " not run: cannot write the audit log: " + msg.Blocked.Error()
	case msg.Log == nil && msg.Err != nil:
		line = what + " not run: " + redisops.Describe(msg.Err)
	case errors.Is(msg.Err, errFixCancelled):
		line = fmt.Sprintf("%s cancelled: %s keys changed", what, views.Commas(msg.changed))
	case msg.Err != nil:
		line = fmt.Sprintf("%s failed after %s keys: %s", what, views.Commas(msg.changed), redisops.Describe(msg.Err))
	default:
		done := "TTLs set"
		if msg.name == redisops.FixDamagedLZ {
			done = "damaged keys deleted"
		}
		line = fmt.Sprintf("%s done: %s %s", what, views.Commas(msg.changed), done)
	}
	return line + "; audit log: " + auditPath
}
