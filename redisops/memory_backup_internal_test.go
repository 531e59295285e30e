package redisops

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quickRecord must read exactly what encoding/json reads from the lines
// BackupRecord's encoder writes, and step aside for anything else.
func TestQuickRecordAgreesWithEncodingJSON(t *testing.T) {
	for _, rec := range []BackupRecord{
		{KeyB64: "a2V5", TTLMs: -1, SavedMs: 1700000000000, DumpB64: "AAVoZWxsbwoAAAAAAAAAAAA="},
		{KeyB64: "", TTLMs: 1234, SavedMs: 1, DumpB64: "AAA="},
		{KeyB64: "eA==", TTLMs: 5, DumpB64: "AAE="}, // no saved_ms (older files)
	} {
		var buf bytes.Buffer
		require.NoError(t, json.NewEncoder(&buf).Encode(rec))
		got, ok := quickRecord(bytes.TrimSpace(buf.Bytes()))
		require.True(t, ok, buf.String())
		assert.Equal(t, rec.KeyB64, string(got.key))
		assert.Equal(t, rec.DumpB64, string(got.dump))
		assert.Equal(t, rec.TTLMs, got.ttlMs)
	}
	for _, other := range []string{
		`{"dump_b64":"AAA=","key_b64":"eA==","ttl_ms":-1}`, // another field order
		`{"key_b64":"eA==","ttl_ms":-1,"dump_b64":"AAA=","extra":1}`,
		`{"key_b64":"eA==","ttl_ms":x,"dump_b64":"AAA="}`,
		`{"kind":"header"}`,
		`{"key_b64":"e\"A==","ttl_ms":-1,"dump_b64":"AAA="}`,
	} {
		_, ok := quickRecord([]byte(other))
		assert.False(t, ok, other)
	}
}
