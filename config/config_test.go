package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/config"
)

func write(t *testing.T, body string, mode os.FileMode) string {
	p := filepath.Join(t.TempDir(), "config.toml")
	require.NoError(t, os.WriteFile(p, []byte(body), mode))
	return p
}

func TestLoadProfiles(t *testing.T) {
	p := write(t, `
default_profile = "local"
[profiles.local]
url = "redis://127.0.0.1:6379"
[profiles.prod]
url = "rediss://h:25061"
user = "default"
password_env = "PROD_PW"
db = 0
read_only = true
production = true
`, 0o600)
	f, err := config.Load(p, true)
	require.NoError(t, err)
	assert.Equal(t, []string{"local", "prod"}, f.Names())
	assert.Empty(t, f.Warnings)

	prof, name, err := f.Profile("")
	require.NoError(t, err)
	assert.Equal(t, "local", name, "the default profile applies when none is named")
	assert.Equal(t, "redis://127.0.0.1:6379", prof.URL)

	prof, _, err = f.Profile("prod")
	require.NoError(t, err)
	assert.True(t, prof.ReadOnly)
	assert.True(t, prof.Production)
	require.NotNil(t, prof.DB)

	t.Setenv("PROD_PW", "from-env")
	pw, err := prof.ResolvePassword()
	require.NoError(t, err)
	assert.Equal(t, "from-env", pw)

	_, _, err = f.Profile("nope")
	assert.ErrorContains(t, err, `profile "nope" not found`)
}

func TestMissingFiles(t *testing.T) {
	f, err := config.Load(filepath.Join(t.TempDir(), "none.toml"), false)
	require.NoError(t, err, "no config at the default path is fine")
	assert.Empty(t, f.Profiles)

	_, err = config.Load(filepath.Join(t.TempDir(), "none.toml"), true)
	assert.Error(t, err, "a --config file that does not exist is an error")
}

func TestPasswordSources(t *testing.T) {
	pf := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pf, []byte("s3cret\n"), 0o600))
	pw, err := config.Profile{PasswordFile: pf}.ResolvePassword()
	require.NoError(t, err)
	assert.Equal(t, "s3cret", pw, "one trailing newline is dropped")

	_, err = config.Profile{PasswordEnv: "CACHEDECK_SURELY_UNSET"}.ResolvePassword()
	assert.ErrorContains(t, err, "CACHEDECK_SURELY_UNSET is not set")
}

func TestWarnsAboutReadablePassword(t *testing.T) {
	p := write(t, "[profiles.x]\nurl = \"redis://h\"\npassword = \"inline\"\n", 0o644)
	f, err := config.Load(p, true)
	require.NoError(t, err)
	require.Len(t, f.Warnings, 1)
	assert.Contains(t, f.Warnings[0], "chmod 600")
	assert.NotContains(t, f.Warnings[0], "inline", "the warning never quotes the password")
}

func TestRejectsBadFiles(t *testing.T) {
	_, err := config.Load(write(t, "[profiles.x\n", 0o600), true)
	assert.ErrorContains(t, err, "TOML")
	_, err = config.Load(write(t, "[profiles.x]\nurl = \"redis://h\"\ntls_verify = false\n", 0o600), true)
	assert.ErrorContains(t, err, "unknown setting profiles.x.tls_verify")
}
