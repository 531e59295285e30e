package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/dobackend"
	"github.com/coldcopy/cachedeck/redisops"
)

// connFlags are the connection flags every command takes.
type connFlags struct {
	url           string
	user          string
	passwordFile  string
	db            int
	profile       string
	configPath    string
	tlsCA         string
	tlsCert       string
	tlsKey        string
	tlsSkipVerify bool
	dialTimeout   time.Duration
	readTimeout   time.Duration
	readOnly      bool
	auditLog      string
	do            doFlags
	flags         *pflag.FlagSet
}

func (f *connFlags) register(fs *pflag.FlagSet) {
	f.flags = fs
	fs.StringVar(&f.url, "url", "", "server URL: redis://, rediss:// (TLS) or unix:// (default $REDIS_URL, else "+redisops.DefaultURL+")")
	fs.StringVar(&f.user, "user", "", "ACL user name")
	fs.StringVar(&f.passwordFile, "password-file", "", "read the password from this file (else the URL, the profile, or $REDISCLI_AUTH)")
	fs.IntVar(&f.db, "db", 0, "database number (standalone servers)")
	fs.StringVar(&f.profile, "profile", "", "named profile from the config file")
	fs.StringVar(&f.configPath, "config", "", "config file (default "+config.DefaultPath()+")")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "CA certificate (PEM) to verify the server")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "client certificate (PEM)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "client private key (PEM)")
	fs.BoolVar(&f.tlsSkipVerify, "tls-skip-verify", false, "INSECURE: do not verify the server certificate")
	fs.DurationVar(&f.dialTimeout, "dial-timeout", 5*time.Second, "give up connecting after this long")
	fs.DurationVar(&f.readTimeout, "read-timeout", 10*time.Second, "give up on a reply after this long; the command is then reported, never resent blindly")
	fs.BoolVar(&f.readOnly, "read-only", false, "never change anything on the server")
	fs.StringVar(&f.auditLog, "audit-log", "", "append the record of every mutation to this file (default "+audit.DefaultPath()+")")
	f.do.register(fs)
}

// session is the resolved connection: options plus what the profile says
// about how to treat the server.
type session struct {
	opts        redisops.ConnOptions
	profileName string
	readOnly    bool
	production  bool
	// do drives the console's Cluster tab; doUnavailable says why not.
	do            *dobackend.Client
	doUnavailable string
	profile       config.Profile // as written (warmers)
}

// resolve merges flags, the profile and the environment. Precedence:
// flags, then an explicitly named profile, then $REDIS_URL, then the
// config's default profile, then the built-in default.
func (f *connFlags) resolve(stderr io.Writer) (*session, error) {
	path, explicit := f.configPath, f.configPath != ""
	if !explicit {
		path = config.DefaultPath()
	}
	cfg, err := config.Load(path, explicit)
	if err != nil {
		return nil, usageError{err}
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "cachedeck: warning: "+w)
	}
	name := f.profile
	envURL := os.Getenv("REDIS_URL")
	if name == "" && envURL != "" && !f.changed("url") {
		name = "-" // REDIS_URL beats the default profile
	}
	var prof config.Profile
	if name != "-" {
		prof, name, err = cfg.Profile(name)
		if err != nil {
			return nil, usageError{err}
		}
	} else {
		name = ""
	}

	s := &session{profileName: name, readOnly: f.readOnly || prof.ReadOnly, production: prof.Production, profile: prof}
	if f.dialTimeout <= 0 || f.readTimeout <= 0 {
		return nil, usagef("--dial-timeout and --read-timeout must be positive")
	}
	o := redisops.ConnOptions{DB: -1, DialTimeout: f.dialTimeout, ReadTimeout: f.readTimeout}
	o.URL = firstNonEmpty(f.url, prof.URL, envURL, redisops.DefaultURL)
	o.User = firstNonEmpty(f.user, prof.User)
	o.TLSCA = firstNonEmpty(f.tlsCA, prof.TLSCA)
	o.TLSCert = firstNonEmpty(f.tlsCert, prof.TLSCert)
	o.TLSKey = firstNonEmpty(f.tlsKey, prof.TLSKey)
	o.TLSSkipVerify = f.tlsSkipVerify || prof.TLSSkipVerify
	switch {
	case f.changed("db"):
		if f.db < 0 {
			return nil, usagef("--db must be 0 or more")
		}
		o.DB = f.db
	case prof.DB != nil:
		o.DB = *prof.DB
	}

	o.Password, err = f.password(o.URL, prof)
	if err != nil {
		return nil, err
	}
	if o.TLSSkipVerify {
		fmt.Fprintln(stderr, "cachedeck: WARNING: TLS certificate verification is OFF (--tls-skip-verify): anyone on the network path can read and change this session, password included")
	}
	s.opts = o
	return s, nil
}

// password follows: --password-file, the URL's own, the profile's, then
// $REDISCLI_AUTH (redis-cli's variable, so runbooks can share it).
func (f *connFlags) password(rawURL string, prof config.Profile) (string, error) {
	if f.passwordFile != "" {
		p, err := config.ReadPasswordFile(f.passwordFile)
		if err != nil {
			return "", usagef("--password-file: %v", err)
		}
		return p, nil
	}
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if _, set := u.User.Password(); set {
			return "", nil // ParseURL takes it from the URL
		}
	}
	p, err := prof.ResolvePassword()
	if err != nil {
		return "", usageError{err}
	}
	if p != "" {
		return p, nil
	}
	return os.Getenv("REDISCLI_AUTH"), nil
}

func (f *connFlags) changed(name string) bool {
	fl := f.flags.Lookup(name)
	return fl != nil && fl.Changed
}

// connect resolves the flags and connects, printing connection notes.
func (a *app) connect(ctx context.Context) (*redisops.Client, *session, error) {
	s, err := a.resolveConn(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := redisops.Connect(ctx, s.opts)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range c.Notes {
		fmt.Fprintln(a.stderr, "cachedeck: note: "+n)
	}
	return c, s, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// connectToWrite connects; when write is set it then refuses a read-only
// session (the flag or the profile, a replica, or an ACL user that cannot
// write) before anything changes. does says what the command would do
// ("invalidate deletes keys"), unchanged what the refusal leaves alone.
func (a *app) connectToWrite(ctx context.Context, write bool, does, unchanged string) (*redisops.Client, *session, error) {
	c, s, err := a.connect(ctx)
	if err != nil || !write {
		return c, s, err
	}
	if s.readOnly {
		c.Close()
		return nil, nil, fmt.Errorf("read-only mode: %s, so it is not run (drop --read-only or use another profile)", does)
	}
	if ok, why := c.WriteAccess(ctx); !ok {
		c.Close()
		return nil, nil, fmt.Errorf("read-only: %s; %s", why, unchanged)
	}
	return c, s, nil
}
