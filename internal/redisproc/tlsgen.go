package redisproc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// TLSBundle is the set of PEM files written by GenerateTLS.
type TLSBundle struct {
	CAFile     string // CA certificate (trust anchor for server and clients)
	ServerCert string // for 127.0.0.1 and localhost
	ServerKey  string
	ClientCert string // for tls-auth-clients yes|optional
	ClientKey  string
}

// GenerateTLS writes a fresh CA, a server certificate for 127.0.0.1/localhost
// signed by it, and a client certificate and key into dir: ECDSA P-256, valid
// for one day. For tests; never use these files for anything real.
func GenerateTLS(dir string) (*TLSBundle, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("redisproc: CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "cachedeck test CA"},
		NotBefore:             now.Add(-time.Hour), // tolerate clock skew
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := createCert(caTmpl, caTmpl, caKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("redisproc: parse CA: %w", err)
	}

	b := &TLSBundle{
		CAFile:     filepath.Join(dir, "ca.crt"),
		ServerCert: filepath.Join(dir, "server.crt"),
		ServerKey:  filepath.Join(dir, "server.key"),
		ClientCert: filepath.Join(dir, "client.crt"),
		ClientKey:  filepath.Join(dir, "client.key"),
	}
	if err := writePEM(b.CAFile, "CERTIFICATE", caDER, 0o644); err != nil {
		return nil, err
	}
	// The server certificate also allows client auth: redis-server presents
	// it on its own outgoing TLS links (replication, cluster bus).
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if err := issueLeaf(server, caCert, caKey, now, b.ServerCert, b.ServerKey); err != nil {
		return nil, err
	}
	client := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "cachedeck test client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := issueLeaf(client, caCert, caKey, now, b.ClientCert, b.ClientKey); err != nil {
		return nil, err
	}
	return b, nil
}

// issueLeaf signs tmpl with the CA and writes the certificate and its new key.
func issueLeaf(tmpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time, certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("redisproc: key for %s: %w", certPath, err)
	}
	tmpl.NotBefore = now.Add(-time.Hour)
	tmpl.NotAfter = now.Add(24 * time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := createCert(tmpl, ca, key, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("redisproc: encode key: %w", err)
	}
	if err := writePEM(certPath, "CERTIFICATE", der, 0o644); err != nil {
		return err
	}
	return writePEM(keyPath, "PRIVATE KEY", keyDER, 0o600)
}

func createCert(tmpl, parent *x509.Certificate, key, parentKey *ecdsa.PrivateKey) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, fmt.Errorf("redisproc: serial: %w", err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, fmt.Errorf("redisproc: sign %q: %w", tmpl.Subject.CommonName, err)
	}
	return der, nil
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("redisproc: write %s: %w", path, err)
	}
	return nil
}

// loadCAPool reads a PEM CA file into a certificate pool.
func loadCAPool(caFile string) (*x509.CertPool, error) {
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("redisproc: read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New("redisproc: no PEM certificate in " + caFile)
	}
	return pool, nil
}

// ClientConfig is a client tls.Config trusting the bundle's CA, presenting
// the client certificate when withClientCert is true. ServerName is left
// empty: crypto/tls then checks the dialled host (127.0.0.1).
func (b *TLSBundle) ClientConfig(withClientCert bool) (*tls.Config, error) {
	pool, err := loadCAPool(b.CAFile)
	if err != nil {
		return nil, err
	}
	conf := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if withClientCert {
		cert, err := tls.LoadX509KeyPair(b.ClientCert, b.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("redisproc: load client cert: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

// Files returns the server side of the bundle, ready for Config.TLS.
func (b *TLSBundle) Files(auth ClientAuth) *TLSFiles {
	return &TLSFiles{CAFile: b.CAFile, CertFile: b.ServerCert, KeyFile: b.ServerKey, AuthClients: auth}
}
