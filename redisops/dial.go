package redisops

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"time"
)

// errTLSNoAnswer: the TCP connection opened but the TLS handshake got no
// answer. A plain Redis port does exactly this: it reads the ClientHello as
// an unfinished inline command and waits.
var errTLSNoAnswer = errors.New("TLS handshake got no answer")

// dialer returns a go-redis Dialer that dials TCP and does the TLS handshake
// itself, so that a handshake nobody answers is told apart from a host that
// cannot be reached.
func dialer(timeout time.Duration, tlsConf *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil || tlsConf == nil {
			return conn, err
		}
		cfg := tlsConf.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		// Half the dial timeout, and never past most of the caller's
		// deadline, so that this error, not the caller's bare "deadline
		// exceeded", is what comes back. A reachable TLS server answers a
		// ClientHello in a few round trips.
		hsTimeout := timeout / 2
		if dl, ok := ctx.Deadline(); ok {
			hsTimeout = min(hsTimeout, time.Until(dl)*4/5)
		}
		hsCtx, cancel := context.WithTimeout(ctx, hsTimeout)
		defer cancel()
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(hsCtx); err != nil {
			_ = conn.Close()
			if hsCtx.Err() != nil || isTimeout(err) {
				return nil, errTLSNoAnswer
			}
			return nil, err
		}
		return tc, nil
	}
}

// unixDialer dials a unix socket (go-redis's own default, made explicit so
// the connection can be guarded).
func unixDialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{Timeout: timeout}
		return d.DialContext(ctx, network, addr)
	}
}
