package cli

import (
	"slices"
	"strings"
)

// scanTypes are the types SCAN TYPE filters on. The server accepts any
// word and answers nothing for a misspelt one, which reads as "no such
// keys": cachedeck refuses it instead.
var scanTypes = []string{"string", "hash", "list", "set", "zset", "stream"}

// checkScanType accepts "" (all types) or one of scanTypes, in any case,
// and returns it in the server's lower case.
func checkScanType(t string) (string, error) {
	if t == "" {
		return "", nil
	}
	lower := strings.ToLower(t)
	if !slices.Contains(scanTypes, lower) {
		return "", usagef("--type %q is not a Redis type: use one of %s", t, strings.Join(scanTypes, ", "))
	}
	return lower, nil
}
