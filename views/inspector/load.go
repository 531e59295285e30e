package inspector

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/views"
)

// loadKind says what a request was for.
type loadKind uint8

const (
	loadOpen    loadKind = iota // a new key
	loadRefresh                 // the same key again (r)
	loadMore                    // the next page of a collection (M)
)

// msg is implemented by every message the pane sends itself; Owns lets
// the frame route them here.
type msg interface{ inspectorMsg() }

// loadedMsg answers one request. seq identifies the request: an answer to
// anything but the latest is dropped.
type loadedMsg struct {
	seq    uint64
	key    string
	kind   loadKind
	start  time.Time // when the request left: the TTL counts from here
	report *redisops.KeyReport
	err    error
	// Prepared off the UI loop: a 16 MiB value's document takes tens of
	// milliseconds to index, which would freeze the screen in Update.
	pretty *doc
	lay    *layout // pretty laid out for the width of the request
	rows   []tableRow
}

// debounceMsg fires a moment after a key was selected without focus (the
// keys pane's cursor moving): only the last of a burst is loaded.
type debounceMsg struct{ seq uint64 }

// ttlTickMsg redraws the TTL countdown; gen identifies the tick chain.
type ttlTickMsg struct{ gen uint64 }

func (loadedMsg) inspectorMsg()   {}
func (debounceMsg) inspectorMsg() {}
func (ttlTickMsg) inspectorMsg()  {}

// Owns reports whether msg is one of the inspector's own messages, which
// the frame must hand to the inspector's Update.
func Owns(m tea.Msg) bool {
	_, ok := m.(msg)
	return ok
}

// request starts a request for the current key and supersedes any other:
// the previous one is cancelled and its answer will be dropped.
func (m *Model) request(kind loadKind, cursor string, firstIndex int) tea.Cmd {
	m.seq++
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	m.loading, m.moreBusy = kind != loadMore, kind == loadMore
	client := m.c.Client
	if client == nil {
		m.loading, m.moreBusy = false, false
		m.err = fmt.Errorf("not connected")
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
	m.cancel = cancel
	seq, key, opts, start := m.seq, m.key, m.opts, m.now()
	opts.Cursor = cursor
	width, wrap := m.width, m.wrap
	return func() tea.Msg {
		defer cancel()
		r, err := client.Inspect(ctx, key, opts)
		out := loadedMsg{seq: seq, key: key, kind: kind, start: start, report: r, err: err}
		if err != nil || r == nil {
			return out
		}
		if r.Value != nil {
			out.pretty = prettyDoc(r.Value.Text, isJSONFormat(r.Value.Format))
			if kind == loadOpen && width > 0 {
				// The first frame's layout too; unused if the pane is
				// resized or the wrap toggled meanwhile.
				out.lay = newLayout(out.pretty, width, wrap)
			}
		}
		out.rows = buildRows(r.Type, r.Items, firstIndex)
		return out
	}
}

func isJSONFormat(f string) bool { return f == decode.FormatJSON || f == decode.FormatMsgpack }

// tableRow is one member of a collection as the table shows it. Every
// string in it is safe to write to a terminal.
type tableRow struct {
	id     string   // identity for dropping SCAN's repeats across pages
	col1   string   // field, index, score or entry ID ("" for sets)
	col2   string   // one-line summary of the decoded value
	layers []string // decode layers of the value, shown before the summary
	warn   bool     // damaged or with warnings
	w1     int      // cells of col1
}

// identity tells a member from the others: its field, member or entry ID,
// or a list item's index.
func (r *tableRow) identity() string {
	if r.id != "" {
		return r.id
	}
	return r.col1
}

// buildRows summarises a page of members. first is the index of the first
// (lists number their rows).
func buildRows(typ string, items []redisops.Item, first int) []tableRow {
	if len(items) == 0 {
		return nil
	}
	rows := make([]tableRow, len(items))
	for i := range items {
		it := &items[i]
		r := &rows[i]
		switch typ {
		case "hash":
			r.id = it.Field
			r.col1 = decode.DisplayKey(it.Field)
		case "list":
			r.col1 = strconv.Itoa(first + i)
		case "set":
			r.id = string(it.Raw)
		case "zset":
			r.id = string(it.Raw)
			if it.Score != nil {
				r.col1 = strconv.FormatFloat(*it.Score, 'g', -1, 64)
			}
		case "stream":
			r.id = it.Field
			r.col1 = decode.DisplayKey(it.Field)
		}
		if typ == "stream" {
			parts := make([]string, 0, len(it.Entry))
			for _, f := range it.Entry {
				parts = append(parts, decode.DisplayKey(f.Name)+"="+summarize(&f.Value, -1))
				r.warn = r.warn || f.Value.Damaged || len(f.Value.Warnings) > 0
			}
			r.col2 = strings.Join(parts, " ")
		} else {
			r.col2 = summarize(&it.Value, len(it.Raw))
			r.layers = it.Value.Layers
			r.warn = it.Value.Damaged || len(it.Value.Warnings) > 0
		}
		r.w1 = cellWidth(r.col1)
	}
	return rows
}

// summarize is a decoded value on one line: whitespace runs become one
// space, so pretty JSON reads like compact JSON. Only the start is used.
func summarize(res *decode.Result, rawLen int) string {
	if res.Format == decode.FormatBinary {
		if rawLen >= 0 {
			return "binary, " + views.Bytes(int64(rawLen))
		}
		return "binary"
	}
	t := res.Text
	const maxSummary = 512
	more := len(t) > maxSummary
	if more {
		t = t[:maxSummary]
		for len(t) > 0 && t[len(t)-1]&0xc0 == 0x80 { // do not end inside a rune
			t = t[:len(t)-1]
		}
		if len(t) > 0 && t[len(t)-1] >= 0xc0 {
			t = t[:len(t)-1]
		}
	}
	if isJSONFormat(res.Format) {
		t = compactJSON(t)
	} else {
		t = strings.Join(strings.Fields(t), " ")
	}
	t, _ = sanitize(t, true)
	if t == "" && !more {
		return `""`
	}
	return t
}

// compactJSON folds pretty JSON onto one line the way people write it by
// hand: {"a": 1, "b": [2, 3]}. Strings are copied as they are.
func compactJSON(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inString, escaped, space := false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inString {
			b.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			space = true
			continue
		}
		if space && b.Len() > 0 && c != '}' && c != ']' && c != ',' {
			if last := b.String()[b.Len()-1]; last != '{' && last != '[' {
				b.WriteByte(' ')
			}
		}
		space = false
		b.WriteByte(c)
		inString = c == '"'
	}
	return b.String()
}
