package cluster

import (
	"fmt"
	"time"

	"github.com/coldcopy/cachedeck/decode"
)

// ExitReport is, when the console quits while it watches a resize, the
// line the terminal gets once the screen is gone: the resize goes on at
// DigitalOcean, and the audit log has its acceptance but not its end.
// A watch the operator stopped (esc) or that ended is not reported: the
// pane said so already.
func (m *Model) ExitReport() []string {
	if m.watchSeq == 0 || m.watchDone || m.watchStopped || m.detail == nil {
		return nil
	}
	status := "no status read yet"
	if st := m.watchStatus; st != nil {
		status = fmt.Sprintf("last status %s, %s x%d", st.Status, st.Size, st.Nodes)
	}
	name := decode.DisplayKey(m.detail.Name)
	return []string{fmt.Sprintf("resize of %s (%s x%d → %s x%d) still in progress at DigitalOcean when the console quit (%s, %s elapsed); `cachedeck do show %s` reads its status; audit log: %s",
		name, m.watchFrom.Size, m.watchFrom.Nodes, m.watchTo.Size, m.watchTo.Nodes, status, time.Since(m.watchStart).Round(time.Second), name, m.c.AuditFile())}
}
