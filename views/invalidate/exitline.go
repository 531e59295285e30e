package invalidate

import (
	"fmt"
	"strings"
	"time"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/views"
)

// exitLine is a run's outcome as the terminal shows it after the console
// quits mid-run: the same facts as its audit line, in words.
func exitLine(e audit.Entry, auditPath string) string {
	what := e.Action
	switch e.Action {
	case "invalidate":
		what = "invalidation of " + strings.Join(e.Patterns, " ")
	case "restore":
		what = "restore of " + e.Target
	}
	took := (time.Duration(e.DurationMs) * time.Millisecond).Round(time.Millisecond)
	var counts string
	switch e.Action {
	case "restore":
		counts = fmt.Sprintf("%s of %s keys restored", views.Commas(e.Restored), views.Commas(e.Matched))
	default:
		counts = fmt.Sprintf("%s of %s matched keys deleted", views.Commas(e.Deleted), views.Commas(e.Matched))
	}
	if e.Unconfirmed > 0 {
		counts += fmt.Sprintf(" (%s unconfirmed)", views.Commas(e.Unconfirmed))
	}
	line := fmt.Sprintf("%s %s: %s in %s", what, e.Outcome, counts, took)
	if e.Error != "" {
		line = fmt.Sprintf("%s %s: %s", what, e.Outcome, e.Error)
	}
	return line + "; audit log: " + auditPath
}
