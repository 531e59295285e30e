package invalidate

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
	"github.com/coldcopy/cachedeck/views/widgets"
)

// View is exactly width × height cells.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return widgets.Screen(nil, w, h)
	}
	if m.restore != nil {
		lines := m.restoreLines(w)
		if m.restore.confirming {
			lines = widgets.Overlay(lines, m.restoreDialog(w), w, h)
		}
		return widgets.Screen(lines, w, h)
	}
	lines := m.lines_(w)
	if m.confirming {
		lines = widgets.Overlay(lines, m.dialog(w), w, h)
	}
	return widgets.Screen(lines, w, h)
}

func (m *Model) lines_(w int) []string {
	s := m.c.Styles
	var out []string
	if m.recipe >= 0 {
		out = append(out, s.Label.Render("recipe ")+redisops.RecipeNames()[m.recipe]+s.Dim.Render("  (r: next recipe)"))
	} else {
		out = append(out, s.Label.Render("patterns")+s.Dim.Render("  (a: add line · d: remove · r: recipes)"))
	}
	for i, in := range m.fields() {
		mark := "  "
		if i == m.field {
			mark = "> "
		}
		if i == m.field && m.editing {
			out = append(out, mark+in.View(s, w-2))
		} else {
			v := in.Value()
			if v == "" {
				v = s.Dim.Render(in.Placeholder)
			}
			out = append(out, mark+s.Label.Render(in.Prompt)+v)
		}
	}
	if m.recipe >= 0 {
		if ps, err := m.Patterns(); err == nil {
			out = append(out, s.Dim.Render("  → "+strings.Join(ps, " ")))
		}
	}
	mark := "  "
	if m.onRate() {
		mark = "> "
	}
	out = append(out, m.rateLine(mark, w))
	switch {
	case m.c.ReadOnly:
		out = append(out, s.Warning.Render("read-only session: preview only"))
	case m.backupOn:
		out = append(out, "backup: on (next to the audit log in "+m.backupDir()+")"+s.Dim.Render("  (b: off)"))
	default:
		out = append(out, s.Dim.Render("backup: off (b: save every key to a file before deleting it)"))
	}
	out = append(out, "")
	switch {
	case m.job != nil:
		out = append(out, m.progressLines(w)...)
	case m.result != nil || m.runErr != nil:
		out = append(out, m.resultLines(w)...)
		if m.resultBackup != "" && m.result != nil {
			restore := "cachedeck restore"
			if !m.c.ReadOnly {
				restore = "R restores it"
			}
			// Wrapped: the file name at the end of a long path is what matters.
			out = append(out, widgets.WrapText("backup written to "+m.resultBackup+s.Dim.Render(" ("+restore+")"), w)...)
		}
	}
	if m.previewSeq != 0 {
		out = append(out, s.Dim.Render("previewing… (esc cancels)"))
	} else if m.previewErr != nil {
		out = append(out, s.FlashErr.Render("preview failed: "+redisops.Describe(m.previewErr)))
	} else if m.preview != nil && m.job == nil {
		out = append(out, m.previewLines()...)
	}
	return out
}

func (m *Model) previewLines() []string {
	s, p := m.c.Styles, m.preview
	var out []string
	for _, warn := range p.Warnings {
		out = append(out, s.Warning.Render("! "+warn))
	}
	est := "unknown"
	if p.BytesEstimate >= 0 {
		est = "~" + views.Bytes(p.BytesEstimate)
	}
	out = append(out, fmt.Sprintf("preview: %s keys match (exact) · %s", views.Commas(p.Matched), est))
	names := slices.Collect(maps.Keys(p.Namespaces))
	slices.SortFunc(names, func(a, b string) int {
		if p.Namespaces[a] != p.Namespaces[b] {
			return int(p.Namespaces[b] - p.Namespaces[a])
		}
		return strings.Compare(a, b)
	})
	for _, n := range names {
		label := n
		if label == "" {
			label = "(no prefix)"
		}
		out = append(out, "  "+s.Namespace.Render(decode.DisplayKey(label))+" "+s.Count.Render(views.Commas(p.Namespaces[n])))
	}
	if len(p.Sample) > 0 {
		out = append(out, s.Label.Render("sample"))
		for _, k := range p.Sample {
			out = append(out, "  "+decode.DisplayKey(k))
		}
	}
	return out
}

func (m *Model) progressLines(w int) []string {
	s, p := m.c.Styles, m.progress
	total := max(m.total, p.Matched)
	share := 0.0
	if total > 0 {
		share = float64(p.Deleted) / float64(total)
	}
	rate := 0.0
	if p.Elapsed > 0 {
		rate = float64(p.Deleted) / p.Elapsed.Seconds()
	}
	eta := "ETA –"
	if rate > 0 && total > p.Deleted {
		eta = "ETA " + shortDur(time.Duration(float64(total-p.Deleted)/rate*float64(time.Second)))
	}
	barW := min(30, max(5, w-50))
	return []string{
		fmt.Sprintf("deleting %s %s/%s", m.bar(share, barW), views.Commas(p.Deleted), views.Commas(total)),
		fmt.Sprintf("%s keys/s · %s · paced (p99 %s%s)", views.Commas(int64(math.Round(rate))), eta, GovernorBudget, rateText(m.runRate)),
		s.Dim.Render("esc cancels (the batch in flight finishes)"),
	}
}

// resultLines are the outcome of the last run, wrapped: the unconfirmed
// count and an error's remedy come at the end.
func (m *Model) resultLines(w int) []string {
	s := m.c.Styles
	r := m.result
	var line string
	switch {
	case r == nil:
		line = s.FlashErr.Render("nothing deleted: " + decode.SafeLine(m.runErr.Error()))
	case m.runErr != nil:
		line = s.FlashErr.Render(fmt.Sprintf("failed: %s keys deleted (exact)%s: %s", views.Commas(r.Deleted), unconfirmedNote(r.Unconfirmed), redisops.Describe(m.runErr)))
	case r.Cancelled:
		line = s.Warning.Render(cancelledText(r))
	default:
		line = fmt.Sprintf("done: %s deleted of %s matched in %s", deletedText(r), views.Commas(r.Matched), shortDur(r.Duration))
	}
	return widgets.WrapText(line, w)
}

func (m *Model) dialog(w int) []string {
	s := m.c.Styles
	ps, _ := m.Patterns()
	want := strings.Join(ps, " ")
	n := "?"
	if m.preview != nil {
		n = views.Commas(m.preview.Matched)
	}
	inner := min(max(w-4, 10), 70)
	text := fmt.Sprintf("This deletes %s keys. Type the pattern(s) exactly to confirm:\n%s\n%s", n, want, m.confirm.View(s, inner))
	return widgets.Dialog(s, "Delete matching keys", text, "enter confirms · esc cancels", w, 70)
}

func (m *Model) bar(share float64, width int) string {
	lv := m.c.Styles.Glyphs.SparkLevels
	full, empty := "#", "."
	if len(lv) > 0 {
		full, empty = lv[len(lv)-1], lv[0]
	}
	n := int(math.Round(min(max(share, 0), 1) * float64(width)))
	return strings.Repeat(full, n) + strings.Repeat(empty, width-n)
}

func shortDur(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return views.TTLLong(d)
}
