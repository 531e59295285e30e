package ui

import (
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/auditlog"
	"github.com/coldcopy/cachedeck/views/backups"
	"github.com/coldcopy/cachedeck/views/clients"
	"github.com/coldcopy/cachedeck/views/cluster"
	"github.com/coldcopy/cachedeck/views/doctor"
	"github.com/coldcopy/cachedeck/views/inspector"
	"github.com/coldcopy/cachedeck/views/invalidate"
	"github.com/coldcopy/cachedeck/views/keys"
	"github.com/coldcopy/cachedeck/views/memory"
	policyview "github.com/coldcopy/cachedeck/views/policy"
	"github.com/coldcopy/cachedeck/views/slowlog"
	"github.com/coldcopy/cachedeck/views/stats"
	"github.com/coldcopy/cachedeck/views/warm"
)

// NewConsole is the console as shipped: the Keys tab first, with the keys
// pane on the left and the inspector on the right, then one full-width
// tab per live-operations pane, the audit log, and the invalidation pane
// last.
func NewConsole(o Options) *Model {
	m := New(o)
	c := m.Common()
	insp := inspector.New(c)
	m.AddTab(Tab{
		Title:   "Keys",
		Panes:   []views.Pane{keys.New(c), insp},
		Titles:  []string{"Keys", "Inspector"},
		Weights: []int{2, 3},
	})

	for _, t := range []struct {
		title string
		pane  views.Pane
	}{
		{"Stats", stats.New(c)},
		{"Slowlog", slowlog.New(c)},
		{"Memory", memory.New(c)},
		{"Clients", clients.New(c)},
		{"Audit", auditlog.New(c)},
		{"Invalidate", invalidate.New(c)},
		{"Backups", backups.New(c)},
		{"Warm", warm.New(c, o.Warmers, o.WarmersErr)},
		{"Policy", policyview.New(c)},
		{"Doctor", doctor.New(c)},
		{"Cluster", cluster.New(c, o.DO, o.DOUnavailable)},
	} {
		m.AddTab(Tab{Title: t.title, Panes: []views.Pane{t.pane}, Titles: []string{t.title}})
	}
	return m
}
