package invalidate

import (
	"strconv"

	tea "charm.land/bubbletea/v2"
)

// The form's last line is the rate, in keys/s, of the next invalidation
// or restore: a cap on top of the governor, for a server whose latency
// alone does not show the load (replicas, a cache shared with a batch job).

const (
	ratePrompt = "rate: "
	rateNote   = " (keys/s; 0 = governor only)"
	// rateDigits bounds the rate to what an int holds on every platform.
	rateDigits = 9
)

// fieldCount is the form's lines: the patterns (or the recipe's ids), then
// the rate.
func (m *Model) fieldCount() int { return len(m.fields()) + 1 }

// onRate: the rate line is the selected one.
func (m *Model) onRate() bool { return m.field == len(m.fields()) }

// rateValue is the typed rate; 0 (empty) leaves the pace to the governor.
func (m *Model) rateValue() int {
	n, _ := strconv.Atoi(m.rate.Value())
	return n
}

// typeInField gives a key or a paste to the selected line. The rate takes
// digits only; a pattern or an id typed makes the preview stale.
func (m *Model) typeInField(msg tea.Msg) {
	if !m.onRate() {
		m.fields()[m.field].Update(msg)
		m.preview, m.previewErr = nil, nil
		return
	}
	if !digitsOnly(msg) {
		return
	}
	before := m.rate.Value()
	m.rate.Update(msg)
	if len(m.rate.Value()) > rateDigits {
		m.rate.SetValue(before)
	}
}

// digitsOnly: msg types nothing but digits (editing keys type nothing).
func digitsOnly(msg tea.Msg) bool {
	var text string
	switch msg := msg.(type) {
	case tea.PasteMsg:
		text = msg.Content
	case tea.KeyPressMsg:
		text = msg.Text
	}
	for _, r := range text {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// rateLine draws the rate line of the form; mark is the selection mark.
func (m *Model) rateLine(mark string, w int) string {
	s := m.c.Styles
	if m.onRate() && m.editing {
		return mark + m.rate.View(s, w-2-len(rateNote)) + s.Dim.Render(rateNote)
	}
	return mark + s.Label.Render(ratePrompt) + strconv.Itoa(m.rateValue()) + s.Dim.Render(rateNote)
}

// rateText is the pace of a run at rate keys/s, for its progress line.
func rateText(rate int) string {
	if rate <= 0 {
		return ""
	}
	return ", ≤ " + strconv.Itoa(rate) + " keys/s"
}
