package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// Warmer is one HTTP endpoint that fills the cache, as configured under
// [[profiles.NAME.warmers]]. Empty fields take the app's warmer shape
// (AppWarmer): GET, a 60 s timeout and the three namespaces the app's
// cron job fills. The token is named (an environment variable or a file),
// never written here.
type Warmer struct {
	Name       string        `toml:"name"`
	URL        string        `toml:"url"`
	Method     string        `toml:"method"`
	TokenEnv   string        `toml:"token_env"`
	TokenFile  string        `toml:"token_file"`
	Timeout    time.Duration `toml:"timeout"` // per attempt, e.g. "30s"
	Namespaces []string      `toml:"namespaces"`
}

// The app's warmer (GET /api/cron/cache-warming, see
// docs/coldcopy-app-facts.md): what it fills, with the TTL it writes.
var AppWarmNamespaces = []string{
	"coldcopy:lead_score:*",
	"coldcopy:campaign_analytics:*",
	"coldcopy:workspace_dashboard:*",
}

// Defaults of a warmer's fields.
const (
	DefaultWarmerName    = "app"
	DefaultWarmerMethod  = "GET"
	DefaultWarmerTimeout = 60 * time.Second
)

// WarmerList is the profile's warmers with their defaults applied: the
// one named by warm_url first (name "app", the profile's token_env or
// token_file), then each [[warmers]] entry. A warmer without a token of
// its own takes the profile's. It fails on a warmer that could not run:
// no URL, a scheme other than http(s), plain http to a host that is not
// local (the token would cross the network in clear), a method other
// than GET or POST, both token sources, or a duplicate name.
func (p Profile) WarmerList() ([]Warmer, error) {
	var out []Warmer
	if p.WarmURL != "" {
		out = append(out, Warmer{Name: DefaultWarmerName, URL: p.WarmURL, TokenEnv: p.TokenEnv, TokenFile: p.TokenFile})
	}
	for _, w := range p.Warmers {
		if w.TokenEnv == "" && w.TokenFile == "" {
			w.TokenEnv, w.TokenFile = p.TokenEnv, p.TokenFile
		}
		out = append(out, w)
	}
	seen := map[string]bool{}
	for i := range out {
		w, err := out[i].WithDefaults()
		if err != nil {
			return nil, err
		}
		if seen[w.Name] {
			return nil, fmt.Errorf("warmer %q is configured twice (give each [[warmers]] a distinct name)", w.Name)
		}
		seen[w.Name] = true
		out[i] = w
	}
	return out, nil
}

// WithDefaults fills the empty fields from the app's warmer shape and
// checks the result (see WarmerList).
func (w Warmer) WithDefaults() (Warmer, error) {
	if w.Name == "" {
		w.Name = DefaultWarmerName
	}
	if w.Method == "" {
		w.Method = DefaultWarmerMethod
	}
	w.Method = strings.ToUpper(w.Method)
	if w.Timeout <= 0 {
		w.Timeout = DefaultWarmerTimeout
	}
	if len(w.Namespaces) == 0 {
		w.Namespaces = AppWarmNamespaces
	}
	w.Namespaces = append([]string(nil), w.Namespaces...) // the profile's stay as written
	for i, ns := range w.Namespaces {
		if ns == "" {
			return w, fmt.Errorf("warmer %q: empty namespace", w.Name)
		}
		// "coldcopy:lead_score:" means the keys under it.
		if !strings.ContainsAny(ns, "*?[") {
			w.Namespaces[i] = ns + "*"
		}
	}
	if w.Method != "GET" && w.Method != "POST" {
		return w, fmt.Errorf("warmer %q: method %q: use GET or POST", w.Name, w.Method)
	}
	if w.TokenEnv != "" && w.TokenFile != "" {
		return w, fmt.Errorf("warmer %q: both token_env and token_file are set: keep one", w.Name)
	}
	if w.URL == "" {
		return w, fmt.Errorf("warmer %q: no url", w.Name)
	}
	u, err := url.Parse(w.URL)
	if err != nil || u.Host == "" {
		return w, fmt.Errorf("warmer %q: url is not an http(s) URL", w.Name)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !localHost(u.Hostname()) {
			return w, fmt.Errorf("warmer %q: plain http to %s would send the token in clear: use https", w.Name, u.Hostname())
		}
	default:
		return w, fmt.Errorf("warmer %q: url scheme %q: use https", w.Name, u.Scheme)
	}
	return w, nil
}

func localHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// ErrNoToken is returned by ResolveToken when the warmer names no token.
var ErrNoToken = errors.New("no token configured (set token_env or token_file)")

// ResolveToken reads the warmer's bearer token from its environment
// variable or file. The errors name the variable or file, never a value.
func (w Warmer) ResolveToken() (string, error) {
	switch {
	case w.TokenFile != "":
		t, err := ReadPasswordFile(w.TokenFile)
		if err != nil {
			return "", fmt.Errorf("warmer %q: token_file: %v", w.Name, errors.Unwrap(err))
		}
		if t == "" {
			return "", fmt.Errorf("warmer %q: token_file %s is empty", w.Name, w.TokenFile)
		}
		return t, nil
	case w.TokenEnv != "":
		t, ok := os.LookupEnv(w.TokenEnv)
		if !ok || t == "" {
			return "", fmt.Errorf("warmer %q: token_env %s is not set in the environment (export it, or use token_file)", w.Name, w.TokenEnv)
		}
		return t, nil
	}
	return "", fmt.Errorf("warmer %q: %w", w.Name, ErrNoToken)
}

// TokenSource names where the token comes from, for messages: "$CRON_SECRET",
// "file ~/.cron-secret" or "no token".
func (w Warmer) TokenSource() string {
	switch {
	case w.TokenFile != "":
		return "file " + w.TokenFile
	case w.TokenEnv != "":
		return "$" + w.TokenEnv
	}
	return "no token"
}
