package redisops

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ConnOptions is everything needed to reach one server or cluster. The
// caller resolves flags, profile and environment into it.
type ConnOptions struct {
	URL      string // redis://, rediss:// or unix://
	User     string // overrides the URL's user when set
	Password string // overrides the URL's password when set; never printed
	DB       int    // -1: take the URL's db (0 by default)

	TLSCA         string
	TLSCert       string
	TLSKey        string
	TLSSkipVerify bool

	DialTimeout  time.Duration // default 5 s
	ReadTimeout  time.Duration // default 10 s: a SCAN COUNT 1000 on a loaded server can be slow
	WriteTimeout time.Duration // default 5 s
	PoolSize     int           // default 8: cachedeck is one operator, not an app fleet

	// Standalone skips cluster detection (talk to this node only).
	Standalone bool
}

// DefaultURL is used when neither --url nor REDIS_URL is given.
const DefaultURL = "redis://127.0.0.1:6379"

// Client is a connected server: a single node or every master of a cluster.
type Client struct {
	rdb     redis.UniversalClient
	nodes   []*redis.Client // the single node; nil in cluster mode
	cluster *redis.ClusterClient
	Addr    string // host:port (or socket path) as given
	TLS     bool
	Server  ServerInfo
	// Notes are things the operator should know about the connection, e.g.
	// "cluster mode detected but CLUSTER is blocked: scanning this node only".
	Notes []string
	// PingRefused: PING is denied to this user; latency is unknown.
	PingRefused bool
	password    string
}

// ServerInfo is what INFO says about the server; fields stay empty when INFO
// is refused.
type ServerInfo struct {
	Product string // "redis" or "valkey"
	Version string
	Role    string // master, slave (replica)
	Cluster bool
	// InfoRefused is set when INFO itself was refused (renamed or ACL).
	InfoRefused string
}

// Redis returns the underlying client (standalone or cluster) for callers
// that need raw commands, like the seeder.
func (c *Client) Redis() redis.UniversalClient { return c.rdb }

// DB is the selected database (always 0 on a cluster).
func (c *Client) DB() int {
	if c.cluster != nil {
		return 0
	}
	return c.nodes[0].Options().DB
}

// IsCluster reports whether every scan covers several masters.
func (c *Client) IsCluster() bool { return c.cluster != nil }

// Close releases every connection.
func (c *Client) Close() error { return c.rdb.Close() }

// ForEachNode runs fn on every node that holds keys: each master of a
// cluster, concurrently, or the one server.
func (c *Client) ForEachNode(ctx context.Context, fn func(ctx context.Context, node *redis.Client) error) error {
	if c.cluster != nil {
		return c.cluster.ForEachMaster(ctx, fn)
	}
	return fn(ctx, c.nodes[0])
}

// Connect dials, authenticates, identifies the server and, unless told
// otherwise, switches to a cluster client when the server is a cluster node.
// It answers within DialTimeout (plus one INFO round trip) with a ConnError
// naming the address and the cause.
func Connect(ctx context.Context, o ConnOptions) (*Client, error) {
	opts, err := clientOptions(o)
	if err != nil {
		return nil, err
	}
	addr := displayAddr(opts)
	wantTLS := opts.TLSConfig != nil
	single := redis.NewClient(opts)
	c := &Client{rdb: single, nodes: []*redis.Client{single}, Addr: addr, TLS: wantTLS, password: opts.Password}

	// The whole handshake (dial, TLS, HELLO/AUTH, PING) answers within the
	// dial timeout, so a silent firewall never hangs the operator.
	dialCtx, cancelDial := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancelDial()
	// Dial once ourselves first: go-redis's pool hides a failed TLS
	// handshake behind the caller's deadline, and the real cause (refused,
	// DNS, a plain port, a bad certificate) is what the operator needs.
	if opts.Dialer != nil {
		probe, err := opts.Dialer(dialCtx, opts.Network, opts.Addr)
		if err != nil {
			_ = single.Close()
			return nil, c.scrub(explainConnError(err, addr, wantTLS, opts.Username))
		}
		_ = probe.Close()
	}
	if err := single.Ping(dialCtx).Err(); err != nil {
		if why := Refusal(err); why != "" && mentionsCommand(err, "ping") {
			// A NOPERM or unknown-command reply proves the handshake and the
			// login worked: a +@read ACL user may not run PING.
			c.Notes = append(c.Notes, "PING "+why+": latency cannot be measured")
			c.PingRefused = true
		} else {
			_ = single.Close()
			if isDBOutOfRange(err) {
				return nil, c.scrub(dbOutOfRange(dialCtx, opts, opts.DB, addr))
			}
			return nil, c.scrub(explainConnError(err, addr, wantTLS, opts.Username))
		}
	}
	infoCtx, cancelInfo := context.WithTimeout(ctx, opts.ReadTimeout)
	defer cancelInfo()
	c.Server = identify(infoCtx, single)
	if c.Server.InfoRefused != "" {
		c.Notes = append(c.Notes, "INFO "+c.Server.InfoRefused+": server details unknown, cluster mode not detected")
	}
	if c.Server.Cluster && !o.Standalone {
		if o.DB > 0 {
			_ = single.Close()
			return nil, &ConnError{Addr: addr, Cause: "a cluster has only database 0", Remedy: "drop --db"}
		}
		cl := redis.NewClusterClient(clusterOptions(opts))
		if err := cl.ForEachMaster(infoCtx, func(ctx context.Context, n *redis.Client) error { return n.Ping(ctx).Err() }); err != nil {
			_ = cl.Close()
			c.Notes = append(c.Notes, "cluster mode detected but the cluster topology is unavailable ("+c.scrubMsg(firstLine(err.Error()))+"): working on this node only")
			c.Server.Cluster = false
		} else {
			_ = single.Close()
			c.rdb, c.cluster, c.nodes = cl, cl, nil
		}
	}
	return c, nil
}

// mentionsCommand reports whether a refusal names cmd, so that a refusal of
// a set-up command (SELECT) is not taken for a refusal of the probe.
func mentionsCommand(err error, cmd string) bool {
	return strings.Contains(strings.ToLower(err.Error()), "'"+cmd+"'")
}

// scrub removes the password from an error's text, whatever produced it.
func (c *Client) scrub(err *ConnError) *ConnError {
	err.Cause = c.scrubMsg(err.Cause)
	return err
}

func (c *Client) scrubMsg(s string) string { return redact(s, c.password) }

func clientOptions(o ConnOptions) (*redis.Options, error) {
	raw := o.URL
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid --url: %s (expected redis://host:port, rediss://host:port or unix:///path)", redact(err.Error(), urlPassword(raw)))
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
	default:
		return nil, fmt.Errorf("invalid --url: scheme %q is not supported (use redis://, rediss:// or unix://)", u.Scheme)
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid --url: %s", redact(err.Error(), urlPassword(raw)))
	}
	if o.User != "" {
		opts.Username = o.User
	}
	if o.Password != "" {
		opts.Password = o.Password
	}
	if o.DB >= 0 {
		opts.DB = o.DB
	}
	opts.Protocol = 2 // RESP2 everywhere: managed and proxied servers agree on it
	opts.DisableIdentity = true
	opts.ContextTimeoutEnabled = true
	opts.DialTimeout = orDefault(o.DialTimeout, 5*time.Second)
	opts.ReadTimeout = orDefault(o.ReadTimeout, 10*time.Second)
	opts.WriteTimeout = orDefault(o.WriteTimeout, 5*time.Second)
	opts.PoolSize = 8
	if o.PoolSize > 0 {
		opts.PoolSize = o.PoolSize
	}
	opts.PoolTimeout = opts.ReadTimeout + time.Second
	// Reads are retried twice on network errors; go-redis never retries a
	// server error reply, so a refused command is reported at once.
	opts.MaxRetries = 2
	opts.MinRetryBackoff = 50 * time.Millisecond
	opts.MaxRetryBackoff = 500 * time.Millisecond

	if o.TLSCA != "" || o.TLSCert != "" || o.TLSKey != "" || o.TLSSkipVerify {
		if u.Scheme == "unix" {
			return nil, errors.New("TLS options do not apply to a unix:// socket")
		}
		if opts.TLSConfig == nil {
			host, _, _ := net.SplitHostPort(opts.Addr)
			opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
		}
	}
	if opts.TLSConfig != nil {
		if err := applyTLS(opts.TLSConfig, o); err != nil {
			return nil, err
		}
	}
	// Every connection go-redis makes passes through the RESP guard: a
	// hostile or wrong server fails a command in one line instead of
	// exhausting memory (respguard.go).
	dial := dialer(opts.DialTimeout, opts.TLSConfig)
	if opts.Network == "unix" {
		dial = unixDialer(opts.DialTimeout)
	}
	opts.Dialer = guardDialer(dial, opts.ReadTimeout)
	// One quick retry of a failed dial: enough for a blip, short enough that
	// "connection refused" comes back at once.
	opts.DialerRetries = 2
	opts.DialerRetryTimeout = 100 * time.Millisecond
	return opts, nil
}

func applyTLS(cfg *tls.Config, o ConnOptions) error {
	if o.TLSCA != "" {
		pem, err := os.ReadFile(o.TLSCA)
		if err != nil {
			return fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--tls-ca %s: no PEM certificate found in the file", o.TLSCA)
		}
		cfg.RootCAs = pool
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both or neither")
	}
	if o.TLSCert != "" {
		pair, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	cfg.InsecureSkipVerify = o.TLSSkipVerify
	return nil
}

func clusterOptions(o *redis.Options) *redis.ClusterOptions {
	return &redis.ClusterOptions{
		Addrs:                 []string{o.Addr},
		Username:              o.Username,
		Password:              o.Password,
		Protocol:              o.Protocol,
		DisableIdentity:       true,
		ContextTimeoutEnabled: true,
		DialTimeout:           o.DialTimeout,
		ReadTimeout:           o.ReadTimeout,
		WriteTimeout:          o.WriteTimeout,
		PoolSize:              o.PoolSize,
		PoolTimeout:           o.PoolTimeout,
		MaxRetries:            o.MaxRetries,
		MinRetryBackoff:       o.MinRetryBackoff,
		MaxRetryBackoff:       o.MaxRetryBackoff,
		TLSConfig:             o.TLSConfig,
		Dialer:                o.Dialer,
		DialerRetries:         o.DialerRetries,
		DialerRetryTimeout:    o.DialerRetryTimeout,
	}
}

func displayAddr(o *redis.Options) string {
	if o.Network == "unix" {
		return "unix:" + o.Addr
	}
	return o.Addr
}

func urlPassword(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		// An unparsable URL may still hold "user:pass@": cut what looks like it.
		if at := strings.LastIndex(raw, "@"); at > 0 {
			if i := strings.Index(raw, "://"); i >= 0 && i+3 < at {
				cred := raw[i+3 : at]
				if c := strings.Index(cred, ":"); c >= 0 {
					return cred[c+1:]
				}
			}
		}
		return ""
	}
	p, _ := u.User.Password()
	return p
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
