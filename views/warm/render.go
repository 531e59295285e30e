package warm

import (
	"fmt"
	"strings"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
	"github.com/coldcopy/cachedeck/warmer"
)

// View is exactly width × height cells.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return widgets.Screen(nil, w, h)
	}
	var lines []string
	if m.mode == modeList {
		lines = m.listLines(w)
	} else {
		lines = m.formLines(w)
	}
	lines = append(lines, "")
	lines = append(lines, m.resultLines(w)...)
	if m.confirm.Active() {
		lines = widgets.Overlay(lines, m.confirm.View(m.c.Styles, w), w, h)
	}
	return widgets.Screen(lines, w, h)
}

func (m *Model) listLines(w int) []string {
	s := m.c.Styles
	title := s.Label.Render("warmers")
	if m.untilStable {
		title += s.Dim.Render("  (until stable: on)")
	}
	if m.c.ReadOnly {
		title += s.Dim.Render("  read-only: runs are turned off")
	}
	out := []string{widgets.Fit(title, w)}
	if m.warmersErr != nil {
		out = append(out, widgets.WrapText(s.Error.Render("config: "+m.warmersErr.Error()), w)...)
	}
	if len(m.warmers) == 0 {
		out = append(out, widgets.WrapText(s.Dim.Render("no warmer configured: set warm_url and token_env in the profile, or [[profiles.NAME.warmers]] (README: Cache warming)"), w)...)
	}
	for i, wm := range m.warmers {
		mark := "  "
		if i == m.cursor {
			mark = "> "
		}
		last := s.Dim.Render("never run")
		if e, ok := m.lastRuns[wm.Name]; ok {
			last = lastRun(e)
		}
		line := mark + widgets.PadRight(decode.DisplayKey(wm.Name), 12) + " " + widgets.PadRight(last, 34) + " " + s.Dim.Render(warmer.ShownURL(wm.URL))
		if i == m.cursor && m.focused && m.mode == modeList {
			line = s.Selected.Render(widgets.Fit(line, w))
		}
		out = append(out, widgets.Fit(line, w))
	}
	if wm, ok := m.selected(); ok {
		out = append(out, widgets.Fit(s.Dim.Render("  fills "+strings.Join(decode.DisplayKeys(wm.Namespaces), " ")), w))
	}
	return out
}

// lastRun is an audit outcome on one short line.
func lastRun(e audit.Entry) string {
	at := e.Time.Local().Format("01-02 15:04")
	switch e.Outcome {
	case audit.Done:
		return fmt.Sprintf("%s done %+d keys", at, e.Added)
	default:
		return fmt.Sprintf("%s %s", at, e.Outcome)
	}
}

func (m *Model) formLines(w int) []string {
	s := m.c.Styles
	title := "warm from a backup: restores only the keys missing now, with the TTL they had left"
	if m.mode == modeTTL {
		title = "TTL refresh: each key gets ttl + a random jitter, so they stop expiring together"
	}
	out := widgets.WrapText(s.Label.Render(title), w)
	for i := range m.fields {
		mark := "  "
		if i == m.field {
			mark = "> "
			out = append(out, widgets.Fit(mark+m.fields[i].View(s, w-2), w))
			continue
		}
		v := m.fields[i].Value()
		if v == "" {
			v = s.Dim.Render(m.fields[i].Placeholder)
		}
		out = append(out, widgets.Fit(mark+s.Label.Render(m.fields[i].Prompt)+v, w))
	}
	switch {
	case m.previewSeq != 0:
		out = append(out, s.Dim.Render("previewing…"))
	case m.previewErr != nil:
		out = append(out, widgets.WrapText(s.Error.Render("preview: "+m.previewErr.Error()), w)...)
	case m.backupPrev != nil:
		p := m.backupPrev
		out = append(out, widgets.WrapText(fmt.Sprintf("%s keys in the file, %s match: %s missing now to restore (%s), %s cached now (kept), %s expired (left out)",
			views.Commas(p.Records), views.Commas(p.Records-p.NotMatched), views.Commas(p.ToRestore(false)), views.Bytes(p.PayloadBytes(false)),
			views.Commas(p.ExistNow), views.Commas(p.Expired)), w)...)
		for _, k := range p.Sample {
			out = append(out, widgets.Fit("  "+decode.DisplayKey(k), w))
		}
	case m.ttlPrev != nil:
		p := m.ttlPrev
		out = append(out, widgets.WrapText(fmt.Sprintf("%s keys match: %s with a TTL, %s without (left alone)", views.Commas(p.Matched), views.Commas(p.WithTTL), views.Commas(p.Persistent)), w)...)
		if p.WithTTL > 0 {
			out = append(out, widgets.Fit(fmt.Sprintf("TTLs now %s to %s: %s apart", views.TTLShort(p.ExpiresFirst), views.TTLShort(p.ExpiresLast), views.TTLShort(p.ExpiresLast-p.ExpiresFirst)), w))
		}
		for _, warn := range p.Warnings {
			out = append(out, widgets.Fit(s.Warning.Render("warning: "+warn), w))
		}
	}
	if m.previewKey == m.formValues() && (m.backupPrev != nil || m.ttlPrev != nil) && m.job == nil {
		out = append(out, s.Dim.Render("enter runs it (asks first)"))
	}
	return out
}

func (m *Model) resultLines(w int) []string {
	s := m.c.Styles
	var out []string
	head := func(text string) { out = append(out, widgets.Fit(s.Label.Render(text), w)) }
	switch {
	case m.job != nil && m.live.warmer.Name != "" && m.report == nil && m.restored == nil && m.spread == nil:
		l := m.live
		status := fmt.Sprintf("warmer %s, round %d: %s", l.warmer.Name, max(l.round, 1), l.phase)
		if l.phase == warmer.PhaseCalling && l.attempt > 1 {
			status += fmt.Sprintf(" (attempt %d)", l.attempt)
		}
		head(status + "…  esc cancels")
		if l.retrying != "" {
			out = append(out, widgets.WrapText(s.Warning.Render("retrying: "+l.retrying), w)...)
		}
		out = append(out, m.table(w, l.warmer.Namespaces, l.before, l.after, l.known)...)
	case m.report != nil:
		r := m.report
		head(m.resultFor + " " + r.URL)
		for i, rd := range r.Rounds {
			out = append(out, widgets.Fit(fmt.Sprintf("round %d: %s · %+d keys", i+1, warmer.RoundSummary(rd), rd.Added()), w))
		}
		before, after := make([]int64, len(r.Namespaces)), make([]int64, len(r.Namespaces))
		known := make([]bool, len(r.Namespaces))
		pats := make([]string, len(r.Namespaces))
		for i, ns := range r.Namespaces {
			pats[i], before[i], after[i], known[i] = ns.Pattern, ns.Before, ns.After, ns.After != warmer.NotCounted
		}
		out = append(out, m.table(w, pats, before, after, known)...)
		if n := len(r.Rounds); n > 0 && r.Rounds[n-1].Answer != nil {
			last := r.Rounds[n-1].Answer
			if len(last.CacheStats) > 0 {
				out = append(out, widgets.Fit(s.Dim.Render("cacheStats ")+decode.DisplayKey(string(last.CacheStats)), w))
			}
			if last.Timestamp != "" {
				out = append(out, widgets.Fit(s.Dim.Render("timestamp  ")+decode.DisplayKey(last.Timestamp), w))
			}
		}
		for _, n := range r.Notes {
			out = append(out, widgets.WrapText(s.Warning.Render("note: "+n), w)...)
		}
	case m.restored != nil:
		r := m.restored
		state := "done"
		if m.job != nil {
			state = "running…  esc cancels"
		} else if r.Cancelled {
			state = "cancelled"
		}
		head(m.resultFor + ": " + state)
		out = append(out, widgets.WrapText(fmt.Sprintf("restored %s · cached now, kept %s · expired %s · not matching %s · failed %s",
			views.Commas(r.Restored), views.Commas(r.Skipped), views.Commas(r.Expired), views.Commas(r.NotMatched), views.Commas(r.Failed)), w)...)
	case m.spread != nil:
		r := m.spread
		state := "done"
		if m.job != nil {
			state = "running…  esc cancels"
		} else if r.Cancelled {
			state = "cancelled"
		}
		head(m.resultFor + ": " + state)
		line := fmt.Sprintf("TTLs set %s of %s matched · skipped %s (no TTL or gone)", views.Commas(r.Updated), views.Commas(r.Matched), views.Commas(r.Skipped))
		if r.Updated > 0 {
			line += fmt.Sprintf(" · now %s to %s", views.TTLShort(r.MinTTL), views.TTLShort(r.MaxTTL))
		}
		out = append(out, widgets.WrapText(line, w)...)
	}
	if m.runErr != nil && m.job == nil {
		out = append(out, widgets.WrapText(s.Error.Render("error: "+m.runErr.Error()), w)...)
	}
	if m.auditErr != nil {
		out = append(out, widgets.WrapText(s.Error.Render("audit log: "+m.auditErr.Error()), w)...)
	}
	return out
}

// table is the namespaces with their before, after and added counts; an
// after not counted (yet) shows as "…".
func (m *Model) table(w int, patterns []string, before, after []int64, known []bool) []string {
	s := m.c.Styles
	nameW := max(10, min(w-30, 40))
	out := []string{widgets.Fit(s.Dim.Render(widgets.PadRight("namespace", nameW)+widgets.PadLeft("before", 9)+widgets.PadLeft("after", 9)+widgets.PadLeft("added", 9)), w)}
	for i, p := range patterns {
		a, added := "…", ""
		if known[i] {
			a, added = views.Commas(after[i]), fmt.Sprintf("%+d", after[i]-before[i])
		}
		out = append(out, widgets.Fit(widgets.PadRight(decode.DisplayKey(p), nameW)+widgets.PadLeft(views.Commas(before[i]), 9)+widgets.PadLeft(a, 9)+widgets.PadLeft(added, 9), w))
	}
	return out
}
