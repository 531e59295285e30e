package dobackend

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Token is a DigitalOcean API token and where it came from. Its value is
// unexported and every way of printing it (fmt's %v/%s/%#v, JSON) shows the
// source only, so a token cannot reach output, a log, the audit log or an
// error by accident.
type Token struct {
	value string
	// Source says where the token was found, e.g. "DIGITALOCEAN_TOKEN" or
	// "doctl config /home/op/.config/doctl/config.yaml (context default)".
	Source string
}

// NewToken wraps a token value (tests, and callers that read it elsewhere).
func NewToken(value, source string) Token {
	return Token{value: strings.TrimSpace(value), Source: source}
}

// IsZero reports that no token was found.
func (t Token) IsZero() bool { return t.value == "" }

func (t Token) String() string   { return "DigitalOcean token from " + t.Source }
func (t Token) GoString() string { return t.String() }

// MarshalJSON never writes the value.
func (t Token) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%q", "token from "+t.Source)), nil
}

// TokenSources are the places ResolveToken looks, in order after the
// environment. Empty fields are skipped.
type TokenSources struct {
	// DoctlConfig is doctl's config.yaml; "" means doctl's default place
	// ($XDG_CONFIG_HOME/doctl/config.yaml, else ~/.config/doctl/config.yaml).
	DoctlConfig string
	// ProfileEnv and ProfileFile are the profile's do_token_env and
	// do_token_file settings.
	ProfileEnv  string
	ProfileFile string
}

// ErrNoToken says where to put a token; the console shows it as the reason
// the Cluster tab is empty.
var ErrNoToken = errors.New("no DigitalOcean token: set DIGITALOCEAN_TOKEN, log in with 'doctl auth init', or give the profile do_token_env/do_token_file")

// ResolveToken finds the token: $DIGITALOCEAN_TOKEN (then doctl's own
// $DIGITALOCEAN_ACCESS_TOKEN), else doctl's config.yaml honouring its
// context ($DIGITALOCEAN_CONTEXT overrides the file's), else the profile's
// do_token_env / do_token_file. Errors name the file or variable, never the
// value.
func ResolveToken(src TokenSources) (Token, error) {
	for _, env := range []string{"DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"} {
		if v := strings.TrimSpace(os.Getenv(env)); v != "" {
			return NewToken(v, env), nil
		}
	}
	path := src.DoctlConfig
	if path == "" {
		path = DoctlConfigPath()
	}
	if path != "" {
		tok, err := doctlToken(path)
		if err != nil {
			return Token{}, err
		}
		if !tok.IsZero() {
			return tok, nil
		}
	}
	switch {
	case src.ProfileFile != "":
		p := src.ProfileFile
		if strings.HasPrefix(p, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				p = filepath.Join(home, p[2:])
			}
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return Token{}, fmt.Errorf("do_token_file: %w (fix the path in the profile)", err)
		}
		if v := strings.TrimSpace(string(data)); v != "" {
			return NewToken(v, "do_token_file "+p), nil
		}
		return Token{}, fmt.Errorf("do_token_file %s is empty (write the token into it)", p)
	case src.ProfileEnv != "":
		v, ok := os.LookupEnv(src.ProfileEnv)
		if !ok || strings.TrimSpace(v) == "" {
			return Token{}, fmt.Errorf("do_token_env %s is not set in the environment (export it, or use do_token_file)", src.ProfileEnv)
		}
		return NewToken(v, "do_token_env "+src.ProfileEnv), nil
	}
	return Token{}, ErrNoToken
}

// DoctlConfigPath is where doctl keeps its config on Linux:
// $XDG_CONFIG_HOME/doctl/config.yaml, else ~/.config/doctl/config.yaml.
func DoctlConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "doctl", "config.yaml")
}

// doctlConfig is the part of doctl's config.yaml cachedeck reads. doctl
// keeps the default context's token in access-token and the others in
// auth-contexts.
type doctlConfig struct {
	AccessToken  string            `yaml:"access-token"`
	AuthContexts map[string]string `yaml:"auth-contexts"`
	Context      string            `yaml:"context"`
}

// doctlToken reads path; a missing file is no token, not an error.
func doctlToken(path string) (Token, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Token{}, nil
	}
	if err != nil {
		return Token{}, fmt.Errorf("doctl config %s: %w", path, err)
	}
	var cfg doctlConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		// yaml's message can quote the line, and the line can be the token.
		return Token{}, fmt.Errorf("doctl config %s is not valid YAML (run 'doctl auth init' again, or set DIGITALOCEAN_TOKEN)", path)
	}
	name := firstNonEmpty(os.Getenv("DIGITALOCEAN_CONTEXT"), cfg.Context, "default")
	if name == "default" {
		if v := strings.TrimSpace(cfg.AccessToken); v != "" {
			return NewToken(v, fmt.Sprintf("doctl config %s (context default)", path)), nil
		}
		return Token{}, nil
	}
	v := strings.TrimSpace(cfg.AuthContexts[name])
	if v == "" {
		return Token{}, fmt.Errorf("doctl config %s: context %q has no token (run 'doctl auth init --context %s' or 'doctl auth switch')", path, name, name)
	}
	return NewToken(v, fmt.Sprintf("doctl config %s (context %s)", path, name)), nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
