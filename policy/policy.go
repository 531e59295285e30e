// Package policy holds the cache policy cachedeck audits a live cache
// against: the TTL of each namespace, the namespaces that must never be
// cached, the size above which values should be compressed and the largest
// value allowed. It is read from TOML; the built-in default follows
// ColdCopy's infrastructure document (default.toml).
package policy

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/coldcopy/cachedeck/config"
)

//go:embed default.toml
var defaultTOML string

// DefaultTOML is the built-in policy, comments included, as `policy init`
// writes it.
func DefaultTOML() string { return defaultTOML }

// Policy is a parsed, validated policy.
type Policy struct {
	Version       int          `toml:"version"`
	CompressAbove Size         `toml:"compress_above"`
	MaxValue      Size         `toml:"max_value"`
	TTLTolerance  float64      `toml:"ttl_tolerance"`
	Namespaces    []Namespace  `toml:"namespace"`
	NeverCache    []NeverCache `toml:"never_cache"`

	// Source says where the policy came from: a path, or "built-in".
	Source string `toml:"-"`

	// rules is every rule in matching order: never-cache first.
	rules []rule
}

// Namespace is a group of keys with the TTL the strategy gives them.
type Namespace struct {
	Name     string   `toml:"name"`
	Patterns []string `toml:"patterns"`
	// TTL is the longest expiry the strategy allows; 0 ("none") means the
	// keys may live without expiry and their TTL is not checked.
	TTL Duration `toml:"ttl"`
}

// NeverCache is a group of keys that must not be in the cache at all.
type NeverCache struct {
	Name     string   `toml:"name"`
	Patterns []string `toml:"patterns"`
}

// Rule is what a key matched: a namespace or a never-cache group.
type Rule struct {
	Name       string
	NeverCache bool
	TTL        time.Duration // 0: no expiry required (and never for NeverCache)
	Index      int           // position in Rules()
}

type rule struct {
	Rule
	patterns []glob
}

// Supported policy version.
const Version = 1

// Default returns the built-in policy.
func Default() *Policy {
	p, err := Parse(defaultTOML, "built-in")
	if err != nil {
		panic("policy: the built-in policy is invalid: " + err.Error()) // caught by the tests
	}
	return p
}

// Parse reads a policy from TOML text; source names it in errors.
func Parse(text, source string) (*Policy, error) {
	p := &Policy{}
	meta, err := toml.Decode(text, p)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %v (fix the TOML syntax)", source, err)
	}
	if undecoded := meta.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("policy %s: unknown setting %s (see `cachedeck policy init` for the settings)", source, strings.Join(keys, ", "))
	}
	p.Source = source
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("policy %s: %w", source, err)
	}
	return p, nil
}

// Load reads the policy file at path.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return Parse(string(data), path)
}

func (p *Policy) validate() error {
	if p.Version != Version {
		return fmt.Errorf("version = %d is not supported (this cachedeck reads version = %d)", p.Version, Version)
	}
	if p.CompressAbove <= 0 {
		return errors.New("compress_above must be a size above 0, e.g. \"1KB\"")
	}
	if p.MaxValue <= 0 {
		return errors.New("max_value must be a size above 0, e.g. \"1MB\"")
	}
	if p.TTLTolerance < 0 || p.TTLTolerance > 10 {
		return fmt.Errorf("ttl_tolerance = %g must be a fraction between 0 and 10 (0.10 is 10%%)", p.TTLTolerance)
	}
	if len(p.Namespaces) == 0 && len(p.NeverCache) == 0 {
		return errors.New("no [[namespace]] and no [[never_cache]]: nothing to audit")
	}
	names := map[string]bool{}
	add := func(kind, name string, patterns []string, r Rule) error {
		if strings.TrimSpace(name) == "" {
			return fmt.Errorf("a [[%s]] has no name", kind)
		}
		if names[name] {
			return fmt.Errorf("two rules are named %q: names must be unique", name)
		}
		names[name] = true
		if len(patterns) == 0 {
			return fmt.Errorf("[[%s]] %q has no patterns", kind, name)
		}
		rl := rule{Rule: r}
		rl.Name = name
		rl.Index = len(p.rules)
		for _, pat := range patterns {
			if pat == "" {
				return fmt.Errorf("[[%s]] %q: empty pattern", kind, name)
			}
			g, err := compileGlob(pat)
			if err != nil {
				return fmt.Errorf("[[%s]] %q: pattern %q: %w", kind, name, pat, err)
			}
			rl.patterns = append(rl.patterns, g)
		}
		p.rules = append(p.rules, rl)
		return nil
	}
	for _, n := range p.NeverCache {
		if err := add("never_cache", n.Name, n.Patterns, Rule{NeverCache: true}); err != nil {
			return err
		}
	}
	for _, n := range p.Namespaces {
		if n.TTL < 0 {
			return fmt.Errorf("[[namespace]] %q: ttl must not be negative", n.Name)
		}
		if err := add("namespace", n.Name, n.Patterns, Rule{TTL: time.Duration(n.TTL)}); err != nil {
			return err
		}
	}
	return nil
}

// Rules lists every rule in matching order (never-cache first).
func (p *Policy) Rules() []Rule {
	out := make([]Rule, len(p.rules))
	for i, r := range p.rules {
		out[i] = r.Rule
	}
	return out
}

// Patterns returns the glob patterns of rule i.
func (p *Policy) Patterns(i int) []string {
	out := make([]string, len(p.rules[i].patterns))
	for j, g := range p.rules[i].patterns {
		out[j] = g.pattern
	}
	return out
}

// Match returns the index in Rules() of the first rule whose pattern
// matches key, or -1 when none does.
func (p *Policy) Match(key string) int {
	for i := range p.rules {
		for _, g := range p.rules[i].patterns {
			if g.match(key) {
				return i
			}
		}
	}
	return -1
}

// TTLLimit is the longest remaining TTL a key of rule i may have before it
// is above the policy: the rule's TTL plus the tolerance. 0 when the rule
// sets no TTL.
func (p *Policy) TTLLimit(i int) time.Duration {
	ttl := p.rules[i].TTL
	if ttl <= 0 {
		return 0
	}
	return ttl + time.Duration(float64(ttl)*p.TTLTolerance)
}

// Size is a byte count written as a number or as "1KB", "64 KiB", "1MB"
// (binary units: 1KB = 1024 bytes, the app's own compression threshold).
type Size int64

// UnmarshalTOML accepts an integer or a size string.
func (s *Size) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		*s = Size(v)
		return nil
	case string:
		n, err := ParseSize(v)
		if err != nil {
			return err
		}
		*s = Size(n)
		return nil
	}
	return fmt.Errorf("a size is a number of bytes or a string like \"1KB\", not %T", v)
}

// ParseSize reads "1024", "1KB", "1 KiB", "1MB", "2GB" (binary units).
func ParseSize(text string) (int64, error) {
	t := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(text), " ", ""))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size (write e.g. 1024, \"1KB\" or \"1MB\")", text)
	}
	return n * mult, nil
}

// String renders the size the way the policy file writes it.
func (s Size) String() string {
	switch {
	case s >= 1<<20 && s%(1<<20) == 0:
		return fmt.Sprintf("%dMB", s>>20)
	case s >= 1<<10 && s%(1<<10) == 0:
		return fmt.Sprintf("%dKB", s>>10)
	}
	return fmt.Sprintf("%dB", int64(s))
}

// Duration is a TTL written as "30s", "5m", "24h", "7d", "none" or a
// number of seconds.
type Duration time.Duration

// UnmarshalTOML accepts a duration string or a number of seconds.
func (d *Duration) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		*d = Duration(time.Duration(v) * time.Second)
		return nil
	case string:
		x, err := ParseDuration(v)
		if err != nil {
			return err
		}
		*d = Duration(x)
		return nil
	}
	return fmt.Errorf("a ttl is a string like \"5m\" or \"7d\", or a number of seconds, not %T", v)
}

// ParseDuration reads Go durations plus a "d" (day) unit and "none" (0).
func ParseDuration(text string) (time.Duration, error) {
	t := strings.TrimSpace(text)
	switch strings.ToLower(t) {
	case "none", "0", "":
		return 0, nil
	}
	if days, ok := strings.CutSuffix(t, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err == nil && n >= 0 && n < 1e5 {
			return time.Duration(n * float64(24*time.Hour)), nil
		}
	}
	x, err := time.ParseDuration(t)
	if err != nil || x < 0 {
		return 0, fmt.Errorf("%q is not a TTL (write e.g. \"30s\", \"5m\", \"24h\", \"7d\" or \"none\")", text)
	}
	return x, nil
}

// FormatTTL renders a TTL compactly: 7d, 24h, 5m, 90s; 29.9d or 5.5h
// for long ones that are not whole.
func FormatTTL(d time.Duration) string {
	switch {
	case d <= 0:
		return "none"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= 24*time.Hour:
		return fmt.Sprintf("%.1fd", d.Hours()/24) // a remaining TTL: the exact seconds say nothing more
	case d >= time.Hour:
		return fmt.Sprintf("%.1fh", d.Hours())
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.Round(time.Millisecond).String()
}

// DefaultPath is where `policy init` writes and where the policy of a
// profile is looked for: policy.toml next to the config file, or
// policy-<profile>.toml for a named profile.
func DefaultPath(configDir, profile string) string {
	name := "policy.toml"
	if profile != "" {
		name = "policy-" + profile + ".toml"
	}
	return filepath.Join(configDir, name)
}

// Resolve loads the policy at path, or the built-in one when path is ""
// or, unless explicit, names a file that does not exist.
func Resolve(path string, explicit bool) (*Policy, error) {
	if path == "" {
		return Default(), nil
	}
	p, err := Load(path)
	if err != nil && !explicit && errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	return p, err
}

// WriteDefault writes the built-in policy to path for editing. It refuses
// to replace an existing file unless force is set.
func WriteDefault(path string, force bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("policy init: %w", err)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("policy init: %s already exists (edit it, or add --force to replace it with the default)", path)
	}
	if err != nil {
		return fmt.Errorf("policy init: %w", err)
	}
	if _, err := f.WriteString(defaultTOML); err != nil {
		f.Close()
		return fmt.Errorf("policy init: %w", err)
	}
	return f.Close()
}

// Locate is where the policy of a session lives and whether it was named
// explicitly (a named file must exist): flag when given, else the
// profile's policy setting, else DefaultPath next to the config file.
// cfgPath is the config file ("" when none), cfgExplicit whether the user
// named it, profile the profile asked for ("" for the default one).
func Locate(flag, cfgPath string, cfgExplicit bool, profile string) (string, bool, error) {
	if flag != "" {
		return flag, true, nil
	}
	cfg, err := config.Load(cfgPath, cfgExplicit)
	if err != nil {
		return "", false, err
	}
	prof, name, err := cfg.Profile(profile)
	if err != nil {
		return "", false, err
	}
	if prof.Policy != "" {
		return prof.Policy, true, nil
	}
	if cfgPath == "" {
		return "", false, nil
	}
	return DefaultPath(filepath.Dir(cfgPath), name), false, nil
}
