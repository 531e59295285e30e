package inspector

import (
	"strconv"

	"github.com/charmbracelet/x/ansi"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/views"
)

func cellWidth(s string) int { return ansi.StringWidth(s) }

// formatName is how the breadcrumb names what a value turned out to be.
func formatName(f string) string {
	switch f {
	case decode.FormatJSON:
		return "JSON"
	case decode.FormatMsgpack:
		return "MessagePack"
	case "":
		return "?"
	}
	return f
}

// lengthText says what a key's length counts.
func lengthText(typ string, n int64) string {
	switch typ {
	case "string":
		return views.Bytes(n)
	case "hash":
		return plural(n, "field")
	case "list":
		return plural(n, "item")
	case "set", "zset":
		return plural(n, "member")
	case "stream":
		return plural(n, "entry")
	}
	return strconv.FormatInt(n, 10)
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if what == "entry" {
		return strconv.FormatInt(n, 10) + " entries"
	}
	return strconv.FormatInt(n, 10) + " " + what + "s"
}

// fieldLabels names the report's Unavailable keys, in display order.
var fieldLabels = []struct{ key, label string }{
	{"ttl", "ttl"},
	{"encoding", "enc"},
	{"memory_bytes", "mem"},
	{"length", "len"},
	{"value", "value"},
}
