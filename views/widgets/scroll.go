package widgets

// Scroll is a cursor over n rows of which h are shown at a time, with the
// first shown row in Offset. Tables in every pane keep one.
type Scroll struct {
	Cursor int
	Offset int
}

// Move moves the cursor by d rows (negative is up) and keeps it shown.
func (s *Scroll) Move(d, n, h int) {
	if n == 0 {
		return
	}
	s.Cursor = min(max(s.Cursor+d, 0), n-1)
	s.Clamp(n, h)
}

// Clamp keeps the cursor within the n rows and on screen after the rows
// or the height changed.
func (s *Scroll) Clamp(n, h int) {
	s.Cursor = min(max(s.Cursor, 0), max(n-1, 0))
	if s.Cursor < s.Offset {
		s.Offset = s.Cursor
	}
	if h > 0 && s.Cursor >= s.Offset+h {
		s.Offset = s.Cursor - h + 1
	}
	s.Offset = max(0, min(s.Offset, n-h))
}
