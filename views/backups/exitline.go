package backups

import (
	"fmt"

	"github.com/coldcopy/cachedeck/redisops"
)

// exitLine is a backup's outcome as the terminal shows it after the
// console quit mid-run: the same words as the pane's last line.
func exitLine(kind string, done doneMsg, ended bool, auditPath string) string {
	what := map[string]string{KindBGSave: "BGSAVE", KindDownload: "RDB download", KindLogical: "logical backup"}[kind]
	tail := "; audit log: " + auditPath
	if !ended {
		return what + ": the console exited before the backup ended; its outcome is unknown" + tail
	}
	o := done.out
	var line string
	switch {
	case o.Blocked != nil:
		line = what + ": no backup was made: " + o.Blocked.Error()
	case o.Refused != nil:
		line = what + ": " + o.Refused.Error()
	case o.Err != nil:
		line = what + " failed: " + redisops.Describe(o.Err)
	case o.Cancelled && kind == KindLogical:
		// The pane's "l resumes it" means nothing once the screen is gone.
		line = fmt.Sprintf("%s cancelled: %d keys saved so far; l in the Backups tab or `cachedeck backup --logical` (same profile) resumes it", what, o.Keys)
	case o.Cancelled:
		line = what + " cancelled: " + o.Summary
	default:
		line = what + " done: " + o.Summary
	}
	return line + tail
}
