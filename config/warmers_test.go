package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/config"
)

func TestWarmURLAloneIsTheAppsWarmer(t *testing.T) {
	p := write(t, `
[profiles.prod]
url = "rediss://h:25061"
warm_url = "https://app.example/api/cron/cache-warming"
token_env = "CRON_SECRET"
`, 0o600)
	f, err := config.Load(p, true)
	require.NoError(t, err)
	prof, _, err := f.Profile("prod")
	require.NoError(t, err)
	ws, err := prof.WarmerList()
	require.NoError(t, err)
	require.Len(t, ws, 1)
	w := ws[0]
	assert.Equal(t, "app", w.Name)
	assert.Equal(t, "GET", w.Method)
	assert.Equal(t, config.DefaultWarmerTimeout, w.Timeout)
	assert.Equal(t, config.AppWarmNamespaces, w.Namespaces)
	assert.Equal(t, "$CRON_SECRET", w.TokenSource())

	t.Setenv("CRON_SECRET", "s3cret")
	tok, err := w.ResolveToken()
	require.NoError(t, err)
	assert.Equal(t, "s3cret", tok)
}

func TestWarmersTable(t *testing.T) {
	tokFile := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(tokFile, []byte("from-file\n"), 0o600))
	p := write(t, `
[profiles.prod]
url = "rediss://h:25061"
token_env = "CRON_SECRET"
[[profiles.prod.warmers]]
name = "leads"
url = "https://app.example/api/cron/leads"
method = "post"
timeout = "15s"
namespaces = ["coldcopy:lead_score:", "lead:*"]
[[profiles.prod.warmers]]
name = "local"
url = "http://127.0.0.1:3000/api/cron/cache-warming"
token_file = "`+tokFile+`"
`, 0o600)
	f, err := config.Load(p, true)
	require.NoError(t, err)
	prof, _, err := f.Profile("prod")
	require.NoError(t, err)
	ws, err := prof.WarmerList()
	require.NoError(t, err)
	require.Len(t, ws, 2)
	assert.Equal(t, "POST", ws[0].Method)
	assert.Equal(t, 15*time.Second, ws[0].Timeout)
	assert.Equal(t, []string{"coldcopy:lead_score:*", "lead:*"}, ws[0].Namespaces, "a prefix means the keys under it")
	assert.Equal(t, "CRON_SECRET", ws[0].TokenEnv, "a warmer without a token takes the profile's")
	assert.Equal(t, []string{"coldcopy:lead_score:", "lead:*"}, prof.Warmers[0].Namespaces, "the profile is left as written")

	tok, err := ws[1].ResolveToken()
	require.NoError(t, err)
	assert.Equal(t, "from-file", tok)
}

func TestWarmerRefusals(t *testing.T) {
	for _, tc := range []struct {
		w    config.Warmer
		want string
	}{
		{config.Warmer{}, "no url"},
		{config.Warmer{URL: "http://app.example/x"}, "would send the token in clear: use https"},
		{config.Warmer{URL: "ftp://app.example/x"}, `scheme "ftp"`},
		{config.Warmer{URL: "https://app.example/x", Method: "DELETE"}, `method "DELETE"`},
		{config.Warmer{URL: "https://app.example/x", TokenEnv: "A", TokenFile: "/b"}, "both token_env and token_file"},
		{config.Warmer{URL: "https://app.example/x", Namespaces: []string{""}}, "empty namespace"},
	} {
		_, err := tc.w.WithDefaults()
		assert.ErrorContains(t, err, tc.want)
	}
	_, err := config.Profile{WarmURL: "https://a/x", Warmers: []config.Warmer{{URL: "https://b/y"}}}.WarmerList()
	assert.ErrorContains(t, err, `warmer "app" is configured twice`)
}

func TestWarmerTokenErrorsNameTheSourceNotAValue(t *testing.T) {
	_, err := config.Warmer{Name: "app", TokenEnv: "CACHEDECK_SURELY_UNSET_TOKEN"}.ResolveToken()
	assert.ErrorContains(t, err, "token_env CACHEDECK_SURELY_UNSET_TOKEN is not set")
	_, err = config.Warmer{Name: "app"}.ResolveToken()
	assert.ErrorIs(t, err, config.ErrNoToken)
	_, err = config.Warmer{Name: "app", TokenFile: filepath.Join(t.TempDir(), "none")}.ResolveToken()
	assert.ErrorContains(t, err, "token_file")
}
