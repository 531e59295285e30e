package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/dobackend"
	"github.com/coldcopy/cachedeck/redisops"
)

// doFlags are the DigitalOcean flags every command takes.
type doFlags struct {
	api     string
	cluster string
	private bool
}

func (d *doFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&d.api, "do-api", "", "DigitalOcean API base URL (default $CACHEDECK_DO_API, else "+dobackend.DefaultBaseURL+"; plain http only to loopback)")
	fs.StringVar(&d.cluster, "do-cluster", "", "connect to this DigitalOcean managed cluster: its CA and password come from the API")
	fs.BoolVar(&d.private, "do-private", false, "with --do-cluster: use the cluster's private (VPC) host")
}

// doProfile is what the DigitalOcean commands take from the profile.
type doProfile struct {
	name       string
	tokenEnv   string
	tokenFile  string
	readOnly   bool
	production bool
}

// doProfileFor loads the config the way resolve does (--config, --profile
// or the default profile) without needing a server URL.
func (a *app) doProfileFor() (doProfile, error) {
	f := &a.conn
	path, explicit := f.configPath, f.configPath != ""
	if !explicit {
		path = config.DefaultPath()
	}
	cfg, err := config.Load(path, explicit)
	if err != nil {
		return doProfile{}, usageError{err}
	}
	prof, name, err := cfg.Profile(f.profile)
	if err != nil {
		return doProfile{}, usageError{err}
	}
	return doProfile{name: name, tokenEnv: prof.DOTokenEnv, tokenFile: prof.DOTokenFile,
		readOnly: f.readOnly || prof.ReadOnly, production: prof.Production}, nil
}

// doClient resolves the token and the API URL. Waits for the rate limit
// and retries are told on stderr.
func (a *app) doClient() (*dobackend.Client, doProfile, error) {
	return a.doClientNotify(func(s string) { fmt.Fprintln(a.stderr, "cachedeck: note: "+s) })
}

// doClientNotify is doClient telling waits to notify (nil: to no one, as
// in the console, where stderr would tear the screen).
func (a *app) doClientNotify(notify func(string)) (*dobackend.Client, doProfile, error) {
	p, err := a.doProfileFor()
	if err != nil {
		return nil, p, err
	}
	tok, err := dobackend.ResolveToken(dobackend.TokenSources{ProfileEnv: p.tokenEnv, ProfileFile: p.tokenFile})
	if err != nil {
		return nil, p, err
	}
	base := firstNonEmpty(a.conn.do.api, os.Getenv("CACHEDECK_DO_API"))
	c, err := dobackend.New(dobackend.Options{Token: tok, BaseURL: base, Notify: notify})
	if err != nil {
		return nil, p, usageError{err}
	}
	return c, p, nil
}

// doStateDir is where fetched CA certificates live:
// $XDG_STATE_HOME/cachedeck/do (beside the audit log).
func doStateDir() (string, error) {
	p := audit.DefaultPath()
	if p == "" {
		return "", errors.New("no state directory for the CA certificate (set XDG_STATE_HOME or HOME)")
	}
	return filepath.Join(filepath.Dir(p), "do"), nil
}

// saveCA writes the cluster's CA into the state dir (new temp file, fsync,
// rename) and returns its path.
func saveCA(clusterID string, pem []byte) (string, error) {
	dir, err := doStateDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("CA certificate: %w", err)
	}
	path := filepath.Join(dir, filepath.Base(clusterID)+"-ca.pem")
	tmp, err := os.CreateTemp(dir, ".ca-*")
	if err != nil {
		return "", fmt.Errorf("CA certificate: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(pem); err != nil {
		tmp.Close()
		return "", fmt.Errorf("CA certificate: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("CA certificate: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("CA certificate: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("CA certificate: %w", err)
	}
	return path, nil
}

// clusterConnOptions turns a cluster's API connection into connection
// options: rediss:// with the fetched CA, the password in memory only.
func clusterConnOptions(ctx context.Context, dc *dobackend.Client, cl *dobackend.Cluster, private bool, o redisops.ConnOptions) (redisops.ConnOptions, error) {
	ep, err := cl.Endpoint(private)
	if err != nil {
		return o, err
	}
	scheme := "redis"
	if ep.TLS {
		scheme = "rediss"
		if o.TLSCA == "" {
			pem, err := dc.CA(ctx, cl.ID)
			if err != nil {
				return o, err
			}
			if o.TLSCA, err = saveCA(cl.ID, pem); err != nil {
				return o, err
			}
		}
	}
	o.URL = fmt.Sprintf("%s://%s:%d", scheme, ep.Host, ep.Port)
	o.User = ep.User
	o.Password = cl.Password(private)
	if o.DB < 0 {
		o.DB = 0
	}
	return o, nil
}

// resolveConn is resolve, then --do-cluster's address, CA and password.
// It also makes the API client the console's Cluster tab uses: a missing
// token is no error here, only the tab's reason.
func (a *app) resolveConn(ctx context.Context) (*session, error) {
	s, err := a.conn.resolve(a.stderr)
	if err != nil {
		return s, err
	}
	if a.conn.do.cluster != "" {
		if err := a.applyDOCluster(ctx, s); err != nil {
			return nil, err
		}
	}
	if dc, _, err := a.doClientNotify(nil); err != nil {
		s.doUnavailable = err.Error()
	} else {
		s.do = dc
	}
	return s, nil
}

// applyDOCluster rewrites a resolved session for --do-cluster NAME.
func (a *app) applyDOCluster(ctx context.Context, s *session) error {
	f := &a.conn
	if f.changed("url") || f.changed("user") || f.changed("password-file") {
		return usagef("--do-cluster takes the address, user and password from the API: drop --url, --user and --password-file")
	}
	dc, _, err := a.doClient()
	if err != nil {
		return err
	}
	cl, err := dc.Find(ctx, f.do.cluster)
	if err != nil {
		return err
	}
	o := s.opts
	if !f.changed("tls-ca") {
		o.TLSCA = ""
	}
	o, err = clusterConnOptions(ctx, dc, cl, f.do.private, o)
	if err != nil {
		return err
	}
	s.opts = o
	return nil
}
