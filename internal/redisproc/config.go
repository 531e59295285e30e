package redisproc

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config describes one redis-server. The zero value is a plain, password-less
// server in a fresh temp dir.
type Config struct {
	// Directives are extra redis.conf lines, e.g. "maxmemory 512mb",
	// `rename-command KEYS ""`, "user readonly_user on >pw ~* +@read",
	// "appendonly yes". They override the defaults save "", appendonly no,
	// protected-mode no and requirepass, but not bind, port, tls-*, dir,
	// logfile, loglevel or cluster settings, which the harness relies on.
	Directives []string
	// TLS, when set, serves TLS only: tls-port is the free port, port 0.
	TLS *TLSFiles
	// Dir holds redis.conf and the logs. Empty means a new temp dir that Stop
	// removes; a caller-provided Dir is left in place.
	Dir string
	// Password sets requirepass (the default user's password).
	Password string
	// StartTimeout bounds the wait for the server to accept connections;
	// zero means DefaultStartTimeout.
	StartTimeout time.Duration

	// cluster makes the server a cluster node: cluster-enabled yes, with a
	// second free port for the cluster bus. Set only by StartCluster.
	cluster bool
}

// DefaultStartTimeout is used when Config.StartTimeout is zero.
const DefaultStartTimeout = 10 * time.Second

// ClientAuth is the value of redis.conf's tls-auth-clients.
type ClientAuth string

const (
	// ClientAuthNo does not ask clients for a certificate (the zero value).
	ClientAuthNo ClientAuth = "no"
	// ClientAuthYes rejects clients that present no certificate signed by the CA.
	ClientAuthYes ClientAuth = "yes"
	// ClientAuthOptional accepts clients without a certificate but verifies
	// one if it is presented.
	ClientAuthOptional ClientAuth = "optional"
)

// TLSFiles are the PEM files of a TLS-only server. Redis refuses to start TLS
// without a CA file, so all three files are required.
type TLSFiles struct {
	CAFile, CertFile, KeyFile string
	// AuthClients is tls-auth-clients; empty means ClientAuthNo.
	AuthClients ClientAuth
}

func (f *TLSFiles) validate() error {
	if f.CAFile == "" || f.CertFile == "" || f.KeyFile == "" {
		return errors.New("redisproc: TLS needs CAFile, CertFile and KeyFile")
	}
	switch f.AuthClients {
	case "", ClientAuthNo, ClientAuthYes, ClientAuthOptional:
		return nil
	}
	return fmt.Errorf("redisproc: tls-auth-clients must be no, yes or optional, not %q", f.AuthClients)
}

// File names inside a server's Dir.
const (
	confFileName   = "redis.conf"
	logFileName    = "redis.log"
	outputFileName = "redis-server.out" // stdout+stderr
)

// renderConfig builds redis.conf for a server on port (and busPort for a
// cluster node). For single-valued settings the last line wins, so the file
// has three parts: defaults that Directives may override (persistence off,
// protected-mode, requirepass), then Directives, then the lines the harness
// depends on and which Directives must not change: loopback-only bind, the
// ports, dir, and a notice-level log file (Start waits for its "Ready to
// accept connections" line).
func renderConfig(cfg Config, dir string, port, busPort int) string {
	var b strings.Builder
	line := func(parts ...string) { b.WriteString(strings.Join(parts, " ") + "\n") }
	itoa := strconv.Itoa

	line("# written by cachedeck internal/redisproc")
	line("# throwaway server: nothing is persisted unless Directives say so")
	line(`save ""`)
	line("appendonly no")
	line("protected-mode no") // loopback only anyway; lets tests run without a password
	if cfg.Password != "" {
		line("requirepass", quote(cfg.Password))
	}

	if len(cfg.Directives) > 0 {
		line("# Config.Directives")
		for _, d := range cfg.Directives {
			line(d)
		}
	}

	line("# harness settings, last so that they win")
	line("daemonize no")
	line("bind 127.0.0.1")
	if cfg.TLS != nil {
		line("port 0")
		line("tls-port", itoa(port))
		line("tls-cert-file", quote(cfg.TLS.CertFile))
		line("tls-key-file", quote(cfg.TLS.KeyFile))
		line("tls-ca-cert-file", quote(cfg.TLS.CAFile))
		auth := cfg.TLS.AuthClients
		if auth == "" {
			auth = ClientAuthNo
		}
		line("tls-auth-clients", string(auth))
	} else {
		line("port", itoa(port))
	}
	line("dir", quote(dir))
	line("logfile", quote(filepath.Join(dir, logFileName)))
	line("loglevel notice")
	if cfg.cluster {
		line("cluster-enabled yes")
		line("cluster-config-file", quote(filepath.Join(dir, "nodes.conf")))
		line("cluster-port", itoa(busPort))
		// Without an announced IP a node reports "" for itself in CLUSTER
		// SLOTS until it has been MEET; clients then cannot route to it.
		line("cluster-announce-ip 127.0.0.1")
	}
	return b.String()
}

// quote makes s one redis.conf argument (paths may contain spaces).
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`)
	return `"` + r.Replace(s) + `"`
}
