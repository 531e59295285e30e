package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonIndentReference is what formatJSON must produce: json.Indent of the
// input after the terminal-safety rewrite, without trailing whitespace.
func jsonIndentReference(src []byte) (string, bool) {
	if !json.Valid(src) {
		return "", false
	}
	var safe []byte
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			safe = append(safe, `\ufffd`...)
		case r == 0x7f || (r >= 0x80 && r <= 0x9f):
			safe = fmt.Appendf(safe, `\u%04x`, r)
		default:
			safe = append(safe, src[i:i+size]...)
		}
		i += size
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, safe, "", "  "); err != nil {
		panic(err) // the rewrite only touches string contents
	}
	return strings.TrimRight(buf.String(), " \t\r\n"), true
}

func TestFormatJSONMatchesIndent(t *testing.T) {
	inputs := []string{
		`{}`, `[]`, `{ }`, `[ ]`, `0`, `-0.5e+10`, `"x"`, `true`, `false`, `null`,
		` {"a" : [1, 2,{"b":null}], "c":{}, "d":[[]]} `,
		`{"big":123456789012345678901234567890,"neg":-1.0E-7}`,
		`["\u00e9\n\"\\\/", "\ud83d\ude80", "tab\there"]`,
		"[\"raw \xc3\xa9 and \xf0\x9f\x9a\x80\"]",
		"[\"C1 \xc2\x9b and DEL \x7f\"]",
		"[\"bad utf8 \xff\xfe\"]",
		string(leadsJSON(3, 1)),
	}
	for _, in := range inputs {
		want, ok := jsonIndentReference([]byte(in))
		require.True(t, ok, in)
		got, err := formatJSON([]byte(in), 1<<20)
		require.NoError(t, err, in)
		assert.Equal(t, want, string(got.text), in)
	}
}

func TestFormatJSONRejects(t *testing.T) {
	tests := []struct {
		in         string
		incomplete bool
	}{
		{``, true}, {` `, true}, {`{`, true}, {`{"a"`, true}, {`{"a":`, true}, {`[1,`, true},
		{`"abc`, true}, {`"\u12`, true}, {`tr`, true}, {`-`, true}, {`1.`, true}, {`1e`, true},
		{`{"a" 1}`, false}, {`[1 2]`, false}, {`{1:2}`, false}, {`[01]`, false}, {`01`, false},
		{`[1,]`, false}, {`{"a":1,}`, false}, {`"\x"`, false}, {"\"a\x01\"", false}, {`nul`, true},
		{`nulx`, false}, {`{}}`, false}, {`[]]`, false}, {`{"a":1}x`, false}, {`.5`, false}, {`+1`, false},
		{`[1e+]`, false}, {`"\ud83d`, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.False(t, json.Valid([]byte(tt.in)))
			_, err := formatJSON([]byte(tt.in), 1<<20)
			require.Error(t, err)
			assert.Equal(t, tt.incomplete, errors.Is(err, errJSONIncomplete), "%v", err)
		})
	}
}

func TestFormatJSONDepth(t *testing.T) {
	ok := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	// Pretty output of this is 200 MB of indentation: the cap stops the
	// writing, validation goes on to the end.
	got, err := formatJSON([]byte(ok), 1<<20)
	assert.NoError(t, err)
	assert.True(t, got.capped)
	tooDeep := "[" + ok + "]"
	_, err = formatJSON([]byte(tooDeep), 1<<20)
	assert.ErrorIs(t, err, errJSONTooDeep)
	assert.False(t, json.Valid([]byte(tooDeep)))
}

func TestFormatJSONCap(t *testing.T) {
	in := []byte(`{"a":[1,2,3],"b":"a long string value here"}`)
	full, err := formatJSON(in, 1<<20)
	require.NoError(t, err)
	for limit := 0; limit < len(full.text); limit++ {
		got, err := formatJSON(in, limit)
		require.NoError(t, err, "the whole input is still validated")
		assert.True(t, got.capped)
		assert.Equal(t, string(full.text[:limit]), string(got.text))
	}
}

// formatStreaming runs the formatter against a producer that publishes src
// in chunks of the given size, as a decompressor would.
func formatStreaming(src []byte, chunk, limit int) (prettyJSON, error) {
	feed := newByteFeed()
	go func() {
		buf := make([]byte, 0, 1) // regrown as it fills, like readCapped
		for off := 0; off < len(src); off += chunk {
			buf = append(buf, src[off:min(off+chunk, len(src))]...)
			feed.publish(buf)
		}
		feed.close()
	}()
	head, _ := feed.wait(0)
	f := jsonFormatter{src: head, feed: feed, limit: limit}
	return f.run()
}

func TestFormatJSONStreaming(t *testing.T) {
	inputs := []string{string(leadsJSON(4, 9)), "[\"\xf0\x9f\x9a\x80\xc2\x9b\"]", `{"a":12345,"b":true}`, `{"a":`, `[1 2]`}
	for _, in := range inputs {
		want, wantErr := formatJSON([]byte(in), 1<<20)
		for _, chunk := range []int{1, 2, 3, 7, 64, 1 << 20} {
			got, err := formatStreaming([]byte(in), chunk, 1<<20)
			assert.Equal(t, string(want.text), string(got.text), "chunk %d", chunk)
			assert.Equal(t, wantErr == nil, err == nil, "chunk %d: %v vs %v", chunk, wantErr, err)
		}
	}
}
