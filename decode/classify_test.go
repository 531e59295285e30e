package decode

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClassify(t *testing.T) {
	json := []byte(`{"leadId":"l1","history":[` + string(bytes.Repeat([]byte(`{"score":42,"at":"2025-01-01"},`), 60)) + `{}]}`)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(json)
	_ = w.Close()

	assert.Equal(t, Storage{}, Classify(json, false), "plain JSON")
	assert.Equal(t, Storage{}, Classify(json[:100], true), "a JSON prefix")
	assert.Equal(t, Storage{}, Classify([]byte("plain words, not compressed"), false))
	assert.Equal(t, Storage{Compressed: true, Layer: LayerGzip}, Classify(gz.Bytes(), false))
	assert.Equal(t, Storage{Compressed: true, Layer: LayerGzip}, Classify(gz.Bytes()[:20], true), "a gzip prefix")
	framed := append([]byte("COMPRESSED:"), base64.StdEncoding.EncodeToString(gz.Bytes())...)
	assert.Equal(t, Storage{Compressed: true, Layer: LayerColdcopyCompressed}, Classify(framed, false))
	assert.Equal(t, Storage{}, Classify([]byte(base64.StdEncoding.EncodeToString(json)), false), "base64 of JSON is not compression")

	// An intact LZ: value, then the same with a code unit replaced by
	// U+FFFD, as ioredis does to a lone surrogate.
	var units []uint16
	for n := 0; units == nil && n < 10000; n++ {
		// lz-string output without surrogates survives ioredis's UTF-8 write.
		u := LZStringCompress(fmt.Sprintf(`{"n":%d}`, n))
		if !slices.ContainsFunc(u, func(c uint16) bool { return c >= 0xD800 && c <= 0xDFFF }) {
			units = u
		}
	}
	intact := append([]byte("LZ:"), []byte(unitsToString(units))...)
	assert.Equal(t, Storage{Compressed: true, Layer: LayerColdcopyLZ}, Classify(intact, false))
	units[len(units)/3] = 0xFFFD
	damaged := append([]byte("LZ:"), []byte(unitsToString(units))...)
	assert.Equal(t, Storage{Compressed: true, Layer: LayerColdcopyLZ, Damaged: true}, Classify(damaged, false))
}
