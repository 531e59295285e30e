package invalidate

import (
	"fmt"
	"strconv"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

func (m *Model) restoreLines(w int) []string {
	s, f := m.c.Styles, m.restore
	out := []string{s.Label.Render("restore a backup") + s.Dim.Render("  (esc: back to invalidation)")}
	switch {
	case f.editing:
		out = append(out, "> "+f.path.View(s, w-2)+s.Dim.Render("  enter previews"))
	case f.path.Value() == "":
		out = append(out, "  "+s.Label.Render(f.path.Prompt)+s.Dim.Render(f.path.Placeholder))
	default:
		out = append(out, "  "+s.Label.Render(f.path.Prompt)+f.path.Value())
	}
	if f.replace {
		out = append(out, s.Warning.Render("replace: ON, keys that exist now are overwritten")+s.Dim.Render("  (o: skip them)"))
	} else {
		out = append(out, "replace: off, keys that exist now are skipped"+s.Dim.Render("  (o: replace them)"))
	}
	// The rate is set on the invalidation form (esc goes back to it).
	out = append(out, ratePrompt+strconv.Itoa(m.rateValue())+s.Dim.Render(rateNote))
	out = append(out, "")
	switch {
	case m.job != nil:
		out = append(out, m.restoreProgressLines(w)...)
	case f.result != nil || f.runErr != nil:
		out = append(out, widgets.WrapText(m.restoreResultLine(), w)...)
	}
	switch {
	case f.previewSeq != 0:
		out = append(out, s.Dim.Render("reading the backup…"))
	case f.previewErr != nil:
		// Wrapped rather than cut: the remedy is at the end.
		out = append(out, widgets.WrapText(s.FlashErr.Render("restore preview failed: "+redisops.Describe(f.previewErr)), w)...)
	case f.preview != nil && m.job == nil:
		out = append(out, m.restorePreviewLines(w)...)
	}
	return out
}

func (m *Model) restorePreviewLines(w int) []string {
	s, f := m.c.Styles, m.restore
	p := f.preview
	existing := "skipped"
	if f.replace {
		existing = "REPLACED"
	}
	out := widgets.WrapText(fmt.Sprintf("preview: %s keys in the backup · %s to restore · %s exist now (%s) · %s expired since the backup (left out)",
		views.Commas(p.Records), views.Commas(f.toRestore()), views.Commas(p.ExistNow), existing, views.Commas(p.Expired)), w)
	out = append(out, s.Dim.Render(views.Bytes(p.PayloadBytes(f.replace))+" of DUMP payload to write"))
	if len(p.Sample) > 0 {
		out = append(out, s.Label.Render("sample"))
		for _, k := range p.Sample {
			out = append(out, "  "+decode.DisplayKey(k))
		}
	}
	if !m.c.ReadOnly {
		out = append(out, s.Dim.Render("x: restore · o: replace on/off"))
	}
	return out
}

func (m *Model) restoreProgressLines(w int) []string {
	s, f := m.c.Styles, m.restore
	r := f.progress
	seen := r.Restored + r.Skipped + r.Expired + r.Failed
	total := max(f.total, seen)
	share := 0.0
	if total > 0 {
		share = float64(seen) / float64(total)
	}
	barW := min(30, max(5, w-50))
	return []string{
		fmt.Sprintf("restoring %s %s/%s", m.bar(share, barW), views.Commas(seen), views.Commas(total)),
		fmt.Sprintf("%s restored · %s skipped · %s expired · %s failed · paced (p99 %s%s)",
			views.Commas(r.Restored), views.Commas(r.Skipped), views.Commas(r.Expired), views.Commas(r.Failed), GovernorBudget, rateText(m.runRate)),
		s.Dim.Render("esc cancels (the batch in flight finishes)"),
	}
}

func (m *Model) restoreResultLine() string {
	s, f := m.c.Styles, m.restore
	r := f.result
	switch {
	case r == nil:
		return s.FlashErr.Render("nothing restored: " + decode.SafeLine(f.runErr.Error()))
	case f.runErr != nil:
		return s.FlashErr.Render("restore failed: " + restoreCounts(*r) + ": " + redisops.Describe(f.runErr))
	case r.Cancelled:
		return s.Warning.Render(restoreCancelledText(*r))
	}
	return "restore done in " + shortDur(f.elapsed) + ": " + restoreCounts(*r)
}

func (m *Model) restoreDialog(w int) []string {
	s, f := m.c.Styles, m.restore
	inner := min(max(w-4, 10), 70)
	text := m.restoreEffect() + ".\nType " + restoreWord + " to confirm:\n" + f.confirm.View(s, inner)
	return widgets.Dialog(s, "Restore keys", text, "enter confirms · esc cancels", w, 70)
}

// restoreEffect is what confirming the restore does, in one sentence.
func (m *Model) restoreEffect() string {
	f := m.restore
	p := f.preview
	effect := fmt.Sprintf("RESTORE %s %s from %s on %s", views.Commas(f.toRestore()), plural(f.toRestore(), "key", "keys"), f.previewPath, m.c.Client.Addr)
	if p.ExistNow > 0 {
		verb := "skipping"
		if f.replace {
			verb = "REPLACING"
		}
		effect += fmt.Sprintf(", %s %s %s now", verb, views.Commas(p.ExistNow), plural(p.ExistNow, "that exists", "that exist"))
	}
	if p.Expired > 0 {
		effect += fmt.Sprintf("; %s expired since the backup %s left out", views.Commas(p.Expired), plural(p.Expired, "is", "are"))
	}
	return effect
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
