package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/dobackend"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// Every API call of the pane is one of these commands; the pane never
// waits on the network itself.

const callTimeout = 90 * time.Second // a call with its retries and rate-limit waits

type (
	listedMsg struct {
		pane     uint64
		clusters []dobackend.Cluster
		err      error
	}
	detailMsg struct {
		pane     uint64
		cluster  *dobackend.Cluster
		eviction string
		firewall []dobackend.FirewallRule
		err      error
		partial  map[string]string   // detail → why it is missing
		use      *redisops.MemoryUse // live, when the console is connected to it
	}
	wizardMsg struct {
		pane    uint64
		options *dobackend.SizeOptions
		use     *redisops.MemoryUse
		useErr  error // live memory could not be read: no fit, no resize
		err     error
	}
	resizedMsg struct {
		pane   uint64
		plan   dobackend.Plan
		from   dobackend.Plan
		err    error
		auditE error
	}
	watchTickMsg struct{ pane, seq uint64 }
	watchedMsg   struct {
		pane, seq uint64
		cluster   *dobackend.Cluster
		ping      time.Duration
		pingErr   error
		err       error
	}
	doneAuditMsg   struct{ pane uint64 }
	evictionSetMsg struct {
		pane   uint64
		policy string
		err    error
	}
)

func (m *Model) listCmd() tea.Cmd {
	dc, pane := m.dc, m.id
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		cls, err := dc.Clusters(ctx)
		return listedMsg{pane: pane, clusters: cls, err: err}
	}
}

func (m *Model) detailCmd(cl *dobackend.Cluster) tea.Cmd {
	dc, pane, rc, id := m.dc, m.id, m.c.Client, cl.ID
	connected := m.connectedTo(cl)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		msg := detailMsg{pane: pane, partial: map[string]string{}}
		msg.cluster, msg.err = dc.Get(ctx, id)
		if msg.err != nil {
			return msg
		}
		var err error
		if msg.eviction, err = dc.EvictionPolicy(ctx, id); err != nil {
			msg.partial["eviction policy"] = err.Error()
		}
		if msg.firewall, err = dc.Firewall(ctx, id); err != nil {
			msg.partial["trusted sources"] = err.Error()
		}
		if connected {
			if msg.use, err = rc.MemoryUse(ctx); err != nil {
				msg.partial["live memory"] = redisops.Describe(err)
			}
		}
		return msg
	}
}

// wizardCmd reads the sizes on offer and, when the console is connected to
// this very cluster, its live memory for the fit check.
func (m *Model) wizardCmd(cl *dobackend.Cluster) tea.Cmd {
	dc, pane, rc := m.dc, m.id, m.c.Client
	connected := m.connectedTo(cl)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		msg := wizardMsg{pane: pane}
		msg.options, msg.err = dc.Options(ctx, cl.Engine)
		if msg.err != nil {
			return msg
		}
		if !connected {
			msg.useErr = fmt.Errorf("the console is connected to %s, not to %s: open it with 'cachedeck --do-cluster %s' to check the fit", addrOf(rc), cl.Name, cl.Name)
			return msg
		}
		msg.use, msg.useErr = rc.MemoryUse(ctx)
		return msg
	}
}

func addrOf(c *redisops.Client) string {
	if c == nil {
		return "no server"
	}
	return c.Addr
}

// resizeCmd writes the attempted line, sends the resize and writes
// accepted or failed. No audit log, no resize.
func (m *Model) resizeCmd(cl *dobackend.Cluster, to dobackend.Plan) tea.Cmd {
	dc, pane, path := m.dc, m.id, m.c.AuditFile()
	from := dobackend.Plan{Size: cl.Size, Nodes: cl.Nodes}
	entry := m.resizeEntry(cl, from, to)
	return func() tea.Msg {
		msg := resizedMsg{pane: pane, plan: to, from: from}
		done, ok := widgets.TrackMutation()
		defer done()
		if !ok {
			msg.err = errors.New("the console is exiting: nothing was sent")
			return msg
		}
		log, err := audit.Open(path)
		if err != nil {
			msg.err = fmt.Errorf("%w: nothing was sent", err)
			return msg
		}
		defer log.Close()
		entry.Outcome = audit.Attempted
		if err := log.Append(entry); err != nil {
			msg.err = fmt.Errorf("%w: nothing was sent", err)
			return msg
		}
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		start := time.Now()
		msg.err = dc.Resize(ctx, cl.ID, to.Size, to.Nodes)
		entry.DurationMs = time.Since(start).Milliseconds()
		entry.Outcome = audit.Accepted
		if msg.err != nil {
			entry.Outcome, entry.Error = audit.Failed, msg.err.Error()
		}
		msg.auditE = log.Append(entry)
		return msg
	}
}

func (m *Model) resizeEntry(cl *dobackend.Cluster, from, to dobackend.Plan) audit.Entry {
	return audit.Entry{Profile: m.c.Profile, Server: "do:" + cl.Name, Action: "do resize",
		Target: fmt.Sprintf("%s x%d → %s x%d", from.Size, from.Nodes, to.Size, to.Nodes)}
}

// doneAuditCmd writes the done line once the watch saw the cluster online
// at the new size.
func (m *Model) doneAuditCmd(entry audit.Entry, started time.Time) tea.Cmd {
	path, pane := m.c.AuditFile(), m.id
	return func() tea.Msg {
		done, _ := widgets.TrackMutation() // the console is exiting: still write the outcome
		defer done()
		if log, err := audit.Open(path); err == nil {
			entry.Outcome, entry.DurationMs = audit.Done, time.Since(started).Milliseconds()
			_ = log.Append(entry)
			log.Close()
		}
		return doneAuditMsg{pane: pane}
	}
}

func (m *Model) watchTick(seq uint64) tea.Cmd {
	pane := m.id
	return tea.Tick(m.PollEvery, func(time.Time) tea.Msg { return watchTickMsg{pane: pane, seq: seq} })
}

// watchCmd reads the cluster's status and the cache's PING latency.
func (m *Model) watchCmd(id string, seq uint64) tea.Cmd {
	dc, pane, rc := m.dc, m.id, m.c.Client
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		msg := watchedMsg{pane: pane, seq: seq}
		msg.cluster, msg.err = dc.Get(ctx, id)
		if rc != nil {
			pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
			msg.ping, msg.pingErr = rc.Ping(pctx)
			pcancel()
		}
		return msg
	}
}

func (m *Model) evictionCmd(cl *dobackend.Cluster, from, to string) tea.Cmd {
	dc, pane, path := m.dc, m.id, m.c.AuditFile()
	entry := audit.Entry{Profile: m.c.Profile, Server: "do:" + cl.Name, Action: "do eviction", Target: from + " → " + to}
	return func() tea.Msg {
		res := widgets.RunAudited(nil, path, entry, callTimeout, func(ctx context.Context) error {
			return dc.SetEvictionPolicy(ctx, cl.ID, to)
		})
		if res.Log != nil {
			res.Log.Close()
		}
		msg := evictionSetMsg{pane: pane, policy: to, err: res.Err}
		if res.Blocked != nil {
			msg.err = fmt.Errorf("%w: the policy is unchanged", res.Blocked)
		}
		return msg
	}
}
