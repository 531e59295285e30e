package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Human forms shared by every pane, so that the same TTL or size reads the
// same everywhere. Remaining times round up to the second: a countdown
// shows 1s until the key is gone, never 0s while it still exists.

// TTLShort is a remaining time in its largest unit, for narrow columns:
// 45s, 12m, 3h, 6d, 2y.
func TTLShort(d time.Duration) string {
	sec := ceilSeconds(d)
	switch {
	case sec < 60:
		return strconv.FormatInt(sec, 10) + "s"
	case sec < 3600:
		return strconv.FormatInt(sec/60, 10) + "m"
	case sec < 86400:
		return strconv.FormatInt(sec/3600, 10) + "h"
	case sec < 365*86400:
		return strconv.FormatInt(sec/86400, 10) + "d"
	}
	return strconv.FormatInt(sec/(365*86400), 10) + "y"
}

// TTLLong is a remaining time in its two largest units: "6d 23h",
// "1h 0m", "4m 59s", "42s".
func TTLLong(d time.Duration) string {
	secs := ceilSeconds(d)
	switch {
	case secs >= 86400:
		return fmt.Sprintf("%dd %dh", secs/86400, secs%86400/3600)
	case secs >= 3600:
		return fmt.Sprintf("%dh %dm", secs/3600, secs%3600/60)
	case secs >= 60:
		return fmt.Sprintf("%dm %ds", secs/60, secs%60)
	}
	return fmt.Sprintf("%ds", secs)
}

func ceilSeconds(d time.Duration) int64 {
	return int64((max(d, 0) + time.Second - 1) / time.Second)
}

// Bytes is a size in binary units: "512 B", "2.1 KiB", "16.4 MiB".
func Bytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	v := float64(n) / 1024
	u := 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + units[u]
}

// Commas formats 1234567 as "1,234,567".
func Commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
