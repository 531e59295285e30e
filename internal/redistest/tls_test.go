package redistest_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/internal/redisproc"
	"github.com/coldcopy/cachedeck/internal/redistest"
)

func TestTLSClientsWithAndWithoutCert(t *testing.T) {
	t.Parallel()
	s := redistest.TLS(t)
	ctx := t.Context()

	caOnly := client(t, &redis.Options{Addr: s.Addr, TLSConfig: s.ClientTLS(t, false)})
	if err := caOnly.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Errorf("client with only the CA: %v", err)
	}
	withCert := client(t, &redis.Options{Addr: s.Addr, TLSConfig: s.ClientTLS(t, true)})
	if got, err := withCert.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Errorf("client with a client cert: GET = %q, %v", got, err)
	}

	// rediss:// URL: go-redis sets ServerName from the host; add our CA.
	opt, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.TLSConfig.RootCAs = s.ClientTLS(t, false).RootCAs
	if err := client(t, opt).Ping(ctx).Err(); err != nil {
		t.Errorf("client from %s: %v", s.URL(), err)
	}
}

// Each way a TLS connection can go wrong, with the error go-redis returns;
// the texts are recorded in the package doc for error classification.
func TestTLSMismatchErrors(t *testing.T) {
	t.Parallel()
	tlsSrv := redistest.TLS(t)
	plainSrv := redistest.Standalone(t)
	stranger, err := redisproc.GenerateTLS(t.TempDir()) // certificates from another CA
	if err != nil {
		t.Fatal(err)
	}
	strangerConf, err := stranger.ClientConfig(true)
	if err != nil {
		t.Fatal(err)
	}
	caOnly := tlsSrv.ClientTLS(t, false)
	// A client trusting the right CA but presenting a certificate from another.
	wrongClientCert := caOnly.Clone()
	wrongClientCert.Certificates = strangerConf.Certificates

	cases := []struct {
		name string
		opt  *redis.Options
		ok   func(error) bool
	}{
		{"plain client -> TLS port", &redis.Options{Addr: tlsSrv.Addr},
			func(err error) bool { return errors.Is(err, io.EOF) }},
		// redis-server reads the ClientHello as an inline command that never
		// ends, so only the dial timeout ends this (once per dial attempt).
		{"TLS client -> plain port", &redis.Options{Addr: plainSrv.Addr, TLSConfig: caOnly,
			DialTimeout: 300 * time.Millisecond, DialerRetries: 1},
			func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{"server cert from an unknown CA", &redis.Options{Addr: tlsSrv.Addr, TLSConfig: strangerConf},
			func(err error) bool {
				return strings.Contains(err.Error(), "x509: certificate signed by unknown authority")
			}},
		{"client cert from an unknown CA", &redis.Options{Addr: tlsSrv.Addr, TLSConfig: wrongClientCert},
			func(err error) bool {
				return strings.Contains(err.Error(), "remote error: tls: unknown certificate authority")
			}},
	}
	for _, c := range cases {
		begin := time.Now()
		err := client(t, c.opt).Ping(t.Context()).Err()
		t.Logf("%s (%v): %T %q", c.name, time.Since(begin).Round(time.Millisecond), err, errText(err))
		if err == nil || !c.ok(err) {
			t.Errorf("%s: unexpected error %v", c.name, err)
		}
	}
}
