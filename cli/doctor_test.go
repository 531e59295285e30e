package cli_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
)

func TestDoctorExitCodesAndJSON(t *testing.T) {
	cleanEnv(t)
	// Production-configured and renamed like the doc: exit 0, unknowns listed.
	prod := redistest.Production(t, `rename-command FLUSHDB ""`, `rename-command FLUSHALL ""`, `rename-command KEYS ""`, `rename-command CONFIG ""`)
	t.Setenv("REDISCLI_AUTH", prod.Password)
	code, out, stderr := run(t, "doctor", "--json", "--url", "rediss://"+prod.Addr, "--tls-ca", prod.Bundle.CAFile)
	require.Equal(t, 0, code, stderr)
	var got struct {
		Clean    bool `json:"clean"`
		Findings int  `json:"findings"`
		Unknown  int  `json:"unknown"`
		Checks   []struct{ ID, Status, Why string }
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.True(t, got.Clean)
	assert.Positive(t, got.Unknown)
	assert.NotContains(t, out, prod.Password, "the password never reaches the output")

	code, out, _ = run(t, "doctor", "--url", "rediss://"+prod.Addr, "--tls-ca", prod.Bundle.CAFile)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "UNKNOWN (not guessed)")
	assert.Contains(t, out, "CONFIG renamed or blocked")

	// A password-less server: critical finding, exit 1.
	t.Setenv("REDISCLI_AUTH", "")
	plain := redistest.Standalone(t)
	code, out, stderr = run(t, "doctor", "--url", plain.URL())
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "CRITICAL default-user")
	assert.Contains(t, stderr, "findings (exit 1)")

	// No verdict: exit 2.
	code, _, _ = run(t, "doctor", "--url", "redis://127.0.0.1:"+itoa(redistest.FreePort(t)))
	assert.Equal(t, 2, code)
}
