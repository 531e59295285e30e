package seed

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWeightsSumTo1000(t *testing.T) {
	sum := 0
	for _, ns := range namespaces {
		sum += ns.weight
	}
	assert.Equal(t, 1000, sum)
	assert.Len(t, BulkNamespaces(), 29)
}

func TestAppendJSONString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":             "plain",
		`q"b\`:              `q"b\`,
		"ctl\n\r\t\b\f\x01": "ctl\n\r\t\b\f\x01",
		"Zoë 東京 😀":          "Zoë 東京 😀",
		"bad\xffutf8":       "bad\uFFFDutf8",
	} {
		out := appendJSONString(nil, in)
		var got string
		require.NoError(t, json.Unmarshal(out, &got), "%s", out)
		assert.Equal(t, want, got)
	}
	assert.Equal(t, `"a\u0001\n"`, string(appendJSONString(nil, "a\x01\n")))
}

func TestIDs(t *testing.T) {
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	d := ids{seed: 1}
	seen := map[string]bool{}
	for ord := range 20000 {
		u := string(d.leadID(nil, ord))
		require.Regexp(t, uuidRE, u)
		require.False(t, seen[u], "duplicate uuid")
		seen[u] = true
	}
	assert.NotEqual(t, string(d.leadID(nil, 5)), string(d.userID(nil, 5)), "salts separate entities")
	assert.NotEqual(t, string(d.leadID(nil, 5)), string(ids{seed: 2}.leadID(nil, 5)), "seeds separate datasets")
}

func TestAppendISO(t *testing.T) {
	ts := time.Date(2025, 3, 9, 7, 5, 3, 45_000_000, time.UTC)
	assert.Equal(t, "2025-03-09T07:05:03.045Z", string(appendISO(nil, ts)))
	assert.Equal(t, "x2025-03-09", string(appendDate([]byte("x"), ts)))
}

func TestJSLen(t *testing.T) {
	assert.Equal(t, 4, jsLen([]byte("abcd")))
	assert.Equal(t, 3, jsLen([]byte("é😀")), "an astral character is two UTF-16 units")
}
