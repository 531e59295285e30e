package dobackend_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/dobackend"
)

// tokenEnv clears every variable ResolveToken reads and points doctl's
// config at an empty temp dir.
func tokenEnv(t *testing.T) string {
	t.Helper()
	for _, v := range []string{"DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_CONTEXT"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	return dir
}

func writeDoctl(t *testing.T, dir, yaml string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "doctl"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "doctl", "config.yaml"), []byte(yaml), 0o600))
}

func value(t *testing.T, tok dobackend.Token) string {
	t.Helper()
	// The value is unexported on purpose; a client built from it is the
	// only consumer. Tests read it back through the JSON of a struct that
	// copies it... which shows the source only, so compare by behaviour:
	// NewToken with the expected value must equal it.
	return fmt.Sprint(tok)
}

func TestTokenOrder(t *testing.T) {
	dir := tokenEnv(t)
	_, err := dobackend.ResolveToken(dobackend.TokenSources{})
	require.ErrorIs(t, err, dobackend.ErrNoToken)

	// Profile file, then doctl beats it, then the environment beats both.
	f := filepath.Join(t.TempDir(), "do-token")
	require.NoError(t, os.WriteFile(f, []byte("dop_v1_from_file\n"), 0o600))
	tok, err := dobackend.ResolveToken(dobackend.TokenSources{ProfileFile: f, ProfileEnv: "IGNORED"})
	require.NoError(t, err)
	assert.Equal(t, dobackend.NewToken("dop_v1_from_file", "do_token_file "+f), tok)

	writeDoctl(t, dir, "access-token: dop_v1_doctl_default\ncontext: default\n")
	tok, err = dobackend.ResolveToken(dobackend.TokenSources{ProfileFile: f})
	require.NoError(t, err)
	assert.Equal(t, dobackend.NewToken("dop_v1_doctl_default", "doctl config "+filepath.Join(dir, "doctl", "config.yaml")+" (context default)"), tok)

	t.Setenv("DIGITALOCEAN_ACCESS_TOKEN", "dop_v1_doctl_env")
	tok, err = dobackend.ResolveToken(dobackend.TokenSources{})
	require.NoError(t, err)
	assert.Equal(t, "DIGITALOCEAN_ACCESS_TOKEN", tok.Source)
	t.Setenv("DIGITALOCEAN_TOKEN", "dop_v1_env")
	tok, err = dobackend.ResolveToken(dobackend.TokenSources{})
	require.NoError(t, err)
	assert.Equal(t, dobackend.NewToken("dop_v1_env", "DIGITALOCEAN_TOKEN"), tok)
}

func TestDoctlContexts(t *testing.T) {
	dir := tokenEnv(t)
	path := filepath.Join(dir, "doctl", "config.yaml")
	writeDoctl(t, dir, `access-token: dop_v1_default
auth-contexts:
  coldcopy: dop_v1_coldcopy
  other: dop_v1_other
context: coldcopy
output: text
`)
	tok, err := dobackend.ResolveToken(dobackend.TokenSources{})
	require.NoError(t, err)
	assert.Equal(t, dobackend.NewToken("dop_v1_coldcopy", "doctl config "+path+" (context coldcopy)"), tok)

	t.Setenv("DIGITALOCEAN_CONTEXT", "other")
	tok, err = dobackend.ResolveToken(dobackend.TokenSources{})
	require.NoError(t, err)
	assert.Equal(t, dobackend.NewToken("dop_v1_other", "doctl config "+path+" (context other)"), tok)

	t.Setenv("DIGITALOCEAN_CONTEXT", "missing")
	_, err = dobackend.ResolveToken(dobackend.TokenSources{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `context "missing" has no token`)

	// A broken file is named, its lines are not quoted.
	writeDoctl(t, dir, "access-token: dop_v1_secret_in_broken_yaml\n  : [\n")
	os.Unsetenv("DIGITALOCEAN_CONTEXT")
	_, err = dobackend.ResolveToken(dobackend.TokenSources{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not valid YAML")
	assert.NotContains(t, err.Error(), "dop_v1_secret")
}

func TestProfileTokenEnvAndFileErrors(t *testing.T) {
	tokenEnv(t)
	_, err := dobackend.ResolveToken(dobackend.TokenSources{ProfileEnv: "COLDCOPY_DO_TOKEN"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "do_token_env COLDCOPY_DO_TOKEN is not set")
	t.Setenv("COLDCOPY_DO_TOKEN", "dop_v1_profile_env")
	tok, err := dobackend.ResolveToken(dobackend.TokenSources{ProfileEnv: "COLDCOPY_DO_TOKEN"})
	require.NoError(t, err)
	assert.Equal(t, dobackend.NewToken("dop_v1_profile_env", "do_token_env COLDCOPY_DO_TOKEN"), tok)

	_, err = dobackend.ResolveToken(dobackend.TokenSources{ProfileFile: "/nonexistent/do-token"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "do_token_file")
}

func TestTokenPrintsItsSourceOnly(t *testing.T) {
	tok := dobackend.NewToken("dop_v1_very_secret", "DIGITALOCEAN_TOKEN")
	out, err := json.Marshal(struct{ T dobackend.Token }{tok})
	require.NoError(t, err)
	printed := value(t, tok) + fmt.Sprintf(" %v %+v %#v %q ", tok, tok, tok, tok) + string(out) +
		fmt.Sprintf("%+v", dobackend.Options{Token: tok})
	assert.NotContains(t, printed, "dop_v1_very_secret")
	assert.Contains(t, printed, "DigitalOcean token from DIGITALOCEAN_TOKEN")
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
