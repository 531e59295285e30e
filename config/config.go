// Package config reads named connection profiles from cachedeck's config
// file. The file holds no secrets unless the user writes one in: profiles
// name an environment variable or a file that holds the password instead.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Profile is one named connection.
type Profile struct {
	URL           string `toml:"url"`
	User          string `toml:"user"`
	PasswordEnv   string `toml:"password_env"`
	PasswordFile  string `toml:"password_file"`
	Password      string `toml:"password"` // discouraged; see Load's warning
	DB            *int   `toml:"db"`
	TLSCA         string `toml:"tls_ca"`
	TLSCert       string `toml:"tls_cert"`
	TLSKey        string `toml:"tls_key"`
	TLSSkipVerify bool   `toml:"tls_skip_verify"`
	ReadOnly      bool   `toml:"read_only"`
	Production    bool   `toml:"production"`
	// DigitalOcean API token, when neither DIGITALOCEAN_TOKEN nor doctl has
	// one: the name of a variable holding it, or a file (see dobackend).
	DOTokenEnv  string `toml:"do_token_env"`
	DOTokenFile string `toml:"do_token_file"`
	// Policy is the cache policy file `cachedeck policy check` audits this
	// profile against (default: policy-<profile>.toml next to the config).
	Policy string `toml:"policy"`
	// Cache warming (see warmers.go): the app's warmer by its URL alone,
	// and any number of named warmers.
	WarmURL   string   `toml:"warm_url"`
	TokenEnv  string   `toml:"token_env"`
	TokenFile string   `toml:"token_file"`
	Warmers   []Warmer `toml:"warmers"`
}

// File is the whole config file.
type File struct {
	DefaultProfile string             `toml:"default_profile"`
	Profiles       map[string]Profile `toml:"profiles"`
	// Path is where the file was read from ("" when none exists).
	Path string `toml:"-"`
	// Warnings are things the user should fix, e.g. a readable password.
	Warnings []string `toml:"-"`
}

// DefaultPath is $XDG_CONFIG_HOME/cachedeck/config.toml, falling back to
// ~/.config/cachedeck/config.toml.
func DefaultPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "cachedeck", "config.toml")
}

// Load reads path. A missing file at the default path is an empty config;
// a missing file the user named explicitly is an error.
func Load(path string, explicit bool) (*File, error) {
	f := &File{Profiles: map[string]Profile{}}
	if path == "" {
		return f, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	meta, err := toml.Decode(string(data), f)
	if err != nil {
		return nil, fmt.Errorf("config %s: %v (fix the TOML syntax)", path, err)
	}
	if undecoded := meta.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("config %s: unknown setting %s (see README: Config file)", path, strings.Join(keys, ", "))
	}
	f.Path = path
	if f.Profiles == nil {
		f.Profiles = map[string]Profile{}
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		for _, name := range f.Names() {
			if f.Profiles[name].Password != "" {
				f.Warnings = append(f.Warnings, fmt.Sprintf("config %s holds a password for profile %q and is readable by others: chmod 600 it, or use password_env/password_file", path, name))
			}
		}
	}
	return f, nil
}

// Names lists the profiles, sorted.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Profiles))
	for n := range f.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Profile returns the named profile, or the default profile when name is
// empty. ok is false when no profile applies.
func (f *File) Profile(name string) (p Profile, resolved string, err error) {
	if name == "" {
		name = f.DefaultProfile
		if name == "" {
			return Profile{}, "", nil
		}
	}
	p, found := f.Profiles[name]
	if !found {
		where := "no config file"
		if f.Path != "" {
			where = f.Path
		}
		known := strings.Join(f.Names(), ", ")
		if known == "" {
			known = "none"
		}
		return Profile{}, "", fmt.Errorf("profile %q not found in %s (profiles: %s)", name, where, known)
	}
	return p, name, nil
}

// ResolvePassword reads the profile's password from its env var or file.
// It returns "" when the profile names neither.
func (p Profile) ResolvePassword() (string, error) {
	switch {
	case p.PasswordFile != "":
		return ReadPasswordFile(p.PasswordFile)
	case p.PasswordEnv != "":
		v, ok := os.LookupEnv(p.PasswordEnv)
		if !ok {
			return "", fmt.Errorf("password_env %s is not set in the environment (export it, or use password_file)", p.PasswordEnv)
		}
		return v, nil
	}
	return p.Password, nil
}

// ReadPasswordFile reads a password file, dropping one trailing newline.
func ReadPasswordFile(path string) (string, error) {
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}
