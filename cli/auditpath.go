package cli

import (
	"github.com/coldcopy/cachedeck/audit"
)

// auditPath is where mutations are recorded: --audit-log, else
// audit.DefaultPath().
func (a *app) auditPath() string {
	if a.conn.auditLog != "" {
		return a.conn.auditLog
	}
	return audit.DefaultPath()
}
