package redisproc_test

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/internal/redisproc"
)

func TestGenerateTLS(t *testing.T) {
	t.Parallel()
	b, err := redisproc.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ca := readCert(t, b.CAFile)
	server := readCert(t, b.ServerCert)
	client := readCert(t, b.ClientCert)
	if !ca.IsCA {
		t.Error("CA certificate is not a CA")
	}
	if err := server.CheckSignatureFrom(ca); err != nil {
		t.Errorf("server cert not signed by CA: %v", err)
	}
	if err := client.CheckSignatureFrom(ca); err != nil {
		t.Errorf("client cert not signed by CA: %v", err)
	}
	if err := server.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if err := server.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	if life := server.NotAfter.Sub(time.Now()); life > 25*time.Hour || life < 23*time.Hour {
		t.Errorf("server cert valid for another %v, want about 1 day", life)
	}
	if info, err := os.Stat(b.ClientKey); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("client key mode: %v %v, want 0600", info.Mode(), err)
	}
}

// With tls-auth-clients yes only a client presenting a certificate gets in.
func TestStartTLSRequiringClientCert(t *testing.T) {
	t.Parallel()
	b, err := redisproc.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, redisproc.Config{TLS: b.Files(redisproc.ClientAuthYes)})
	if want := "rediss://" + s.Addr; s.URL() != want {
		t.Errorf("URL() = %q, want %q", s.URL(), want)
	}

	withCert, err := b.ClientConfig(true)
	if err != nil {
		t.Fatal(err)
	}
	if err := ping(t.Context(), client(t, &redis.Options{Addr: s.Addr, TLSConfig: withCert})); err != nil {
		t.Errorf("PING with client cert: %v", err)
	}

	caOnly, err := b.ClientConfig(false)
	if err != nil {
		t.Fatal(err)
	}
	// TLS 1.3: the client's handshake completes before the server checks
	// for a certificate, so the refusal arrives on the first read as
	// "remote error: tls: certificate required".
	err = ping(t.Context(), client(t, &redis.Options{Addr: s.Addr, TLSConfig: caOnly}))
	t.Logf("CA-only client, tls-auth-clients yes: %v", err)
	if err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Errorf("PING without client cert: got %v, want a certificate required error", err)
	}
}

// If the readiness probe cannot verify the server (CAFile did not sign the
// server certificate) Start gives up after StartTimeout and quotes both sides:
// the probe's x509 error and the server log's "sslv3 alert bad certificate".
func TestStartTLSTimeoutNamesProbeError(t *testing.T) {
	t.Parallel()
	good, err := redisproc.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other, err := redisproc.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files := good.Files(redisproc.ClientAuthNo)
	files.CAFile = other.CAFile
	_, err = redisproc.Start(t.Context(), redisproc.Config{TLS: files, StartTimeout: 500 * time.Millisecond})
	if err == nil {
		t.Fatal("Start succeeded although the probe cannot verify the server certificate")
	}
	for _, want := range []string{"did not accept connections", "x509: certificate signed by unknown authority", "alert bad certificate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cert
}
