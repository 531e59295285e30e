package redistest

import (
	"crypto/tls"
	"testing"

	"github.com/coldcopy/cachedeck/internal/redisproc"
)

// TLSServer is a TLS-only redis-server (no plain port) with tls-auth-clients
// optional: a client trusting Bundle.CAFile gets in with or without the
// client certificate, but a certificate it presents must be signed by the CA.
type TLSServer struct {
	*redisproc.Server
	Bundle *redisproc.TLSBundle
}

// TLS runs a TLS-only redis-server with certificates freshly generated in the
// test's temp dir, and stops it when the test ends.
func TLS(t testing.TB) *TLSServer {
	t.Helper()
	bundle, err := redisproc.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	s := start(t, redisproc.Config{TLS: bundle.Files(redisproc.ClientAuthOptional)})
	return &TLSServer{Server: s, Bundle: bundle}
}

// ClientTLS is a client tls.Config trusting the test CA, presenting the
// client certificate if withClientCert, for redis.Options.TLSConfig.
func (s *TLSServer) ClientTLS(t testing.TB, withClientCert bool) *tls.Config {
	t.Helper()
	conf, err := s.Bundle.ClientConfig(withClientCert)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return conf
}
