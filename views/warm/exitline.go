package warm

import (
	"fmt"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
)

// exitLine is a run's outcome as the terminal shows it after the console
// quit mid-run: what (e.g. "warmer app"), how it ended, its counts and
// where the audit log is. done is nil when the run did not end in time.
func exitLine(what string, done *doneMsg, auditPath string) string {
	tail := "; audit log: " + auditPath
	if done == nil {
		return what + ": the console exited before the run ended; its outcome is unknown" + tail
	}
	a := done.audited
	if a.Blocked != nil {
		return what + " not run: " + a.Blocked.Error() + tail
	}
	outcome, counts := audit.Done, ""
	switch {
	case done.what == "warm":
		if done.entry.Outcome == audit.Cancelled {
			outcome = audit.Cancelled
		}
		if r := done.report; r != nil {
			rounds := "rounds"
			if len(r.Rounds) == 1 {
				rounds = "round"
			}
			counts = fmt.Sprintf("%s keys added in %d %s, app warmed %s", signed(r.Added()), len(r.Rounds), rounds, views.Commas(r.Warmed))
		}
	case done.restore != nil:
		r := done.restore
		if r.Cancelled {
			outcome = audit.Cancelled
		}
		counts = fmt.Sprintf("%s keys restored, %s skipped", views.Commas(r.Restored), views.Commas(r.Skipped))
	case done.spread != nil:
		r := done.spread
		if r.Cancelled {
			outcome = audit.Cancelled
		}
		counts = fmt.Sprintf("%s of %s TTLs set", views.Commas(r.Updated), views.Commas(r.Matched))
	}
	if a.Err != nil && outcome != audit.Cancelled {
		outcome = audit.Failed
	}
	line := what + " " + outcome
	if counts != "" {
		line += ": " + counts
	}
	if a.Err != nil && outcome == audit.Failed {
		line += ": " + redisops.Describe(a.Err)
	}
	return line + tail
}

func signed(n int64) string {
	if n >= 0 {
		return "+" + views.Commas(n)
	}
	return "-" + views.Commas(-n)
}
