package redisops

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/decode"
)

// ErrNoSuchKey is returned by Inspect for a key that does not exist.
var ErrNoSuchKey = errors.New("no such key")

// ConnError is a connection failure explained in one line: where, what, and
// what to do about it. It never carries the password.
type ConnError struct {
	Addr   string
	Cause  string
	Remedy string
	Err    error
}

func (e *ConnError) Error() string {
	msg := fmt.Sprintf("%s: %s", e.Addr, e.Cause)
	if e.Remedy != "" {
		msg += " (" + e.Remedy + ")"
	}
	return msg
}

func (e *ConnError) Unwrap() error { return e.Err }

// explainConnError turns whatever the dial or handshake returned into a
// ConnError. tlsWanted says whether the client spoke TLS, which decides how
// an abrupt close is read.
func explainConnError(err error, addr string, tlsWanted bool, user string) *ConnError {
	ce := &ConnError{Addr: addr, Err: err}
	var dnsErr *net.DNSError
	var recordErr tls.RecordHeaderError
	var unknownAuthority x509.UnknownAuthorityError
	var hostnameErr x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	var protoErr *ProtocolError
	var readTimeout *ReadTimeoutError
	msg := err.Error()
	switch {
	case errors.As(err, &protoErr):
		ce.Cause = protoErr.Error()
		ce.Remedy = protoErr.Remedy()
	case errors.As(err, &readTimeout):
		ce.Cause = "timed out: connected, but " + readTimeout.Error()
		ce.Remedy = "the server may be paused (CLIENT PAUSE), busy or overloaded; raise --read-timeout to wait longer"
	case errors.As(err, &dnsErr):
		ce.Cause = fmt.Sprintf("cannot resolve host %q", dnsErr.Name)
		ce.Remedy = "check the host name in --url"
	case errors.Is(err, syscall.ECONNREFUSED):
		ce.Cause = "connection refused"
		ce.Remedy = "is the server running and is the port right?"
	case errors.Is(err, errTLSNoAnswer):
		ce.Cause = "the TLS handshake got no answer: this looks like a plain (non-TLS) port"
		ce.Remedy = "use redis:// instead of rediss://, or the TLS port"
	case errors.As(err, &recordErr):
		ce.Cause = "the server does not speak TLS on this port"
		ce.Remedy = "use redis:// instead of rediss://, or the TLS port"
	case errors.As(err, &unknownAuthority):
		ce.Cause = "TLS certificate signed by an unknown authority"
		ce.Remedy = "pass the cluster's CA certificate with --tls-ca"
	case errors.As(err, &hostnameErr):
		ce.Cause = "TLS certificate does not match the host name"
		ce.Remedy = "connect with the host name the certificate was issued for"
	case errors.As(err, &certInvalid):
		ce.Cause = "TLS certificate is invalid: " + certInvalid.Error()
		ce.Remedy = "check the server certificate and --tls-ca"
	case isAuthFailure(err):
		who := "default user"
		if user != "" {
			who = fmt.Sprintf("user %q", user)
		}
		ce.Cause = "authentication failed for " + who
		ce.Remedy = "check the password (URL, REDISCLI_AUTH, --password-file or the profile's password_env)"
	case redis.IsPermissionError(err) || redis.HasErrorPrefix(err, "NOPERM"):
		ce.Cause = "permission denied: " + firstLine(msg)
		ce.Remedy = "the ACL user lacks a command cachedeck needs to connect"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		ce.Cause = "timed out"
		ce.Remedy = "is the host reachable (firewall, trusted sources)? raise --dial-timeout on slow links"
	case !tlsWanted && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || strings.Contains(msg, "connection reset")):
		ce.Cause = "the server closed the connection during the handshake"
		ce.Remedy = "is this a TLS port? use rediss:// (DigitalOcean managed Valkey: rediss:// on port 25061)"
	case tlsWanted && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)):
		ce.Cause = "the server closed the TLS connection"
		ce.Remedy = "the server may require a client certificate (--tls-cert/--tls-key)"
	case strings.Contains(msg, "tls:"):
		ce.Cause = "TLS handshake failed: " + firstLine(msg)
		ce.Remedy = "check --tls-ca, --tls-cert and --tls-key"
	default:
		ce.Cause = firstLine(msg)
	}
	return ce
}

func isAuthFailure(err error) bool {
	if redis.IsAuthError(err) {
		return true
	}
	msg := err.Error()
	for _, p := range []string{"WRONGPASS", "NOAUTH", "ERR invalid password", "ERR AUTH", "invalid username-password"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Refusal says why the server refused a command that it understood the
// client asked for: renamed away, blocked by the provider, or denied by ACL.
// It is empty when err is not a refusal.
func Refusal(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	switch {
	// Only a direct reply counts: a NOPERM wrapped by go-redis's connection
	// set-up (SELECT denied) is a connection failure, not a refused command.
	case strings.HasPrefix(msg, "NOPERM"):
		return "denied by ACL: " + firstLine(msg)
	case strings.HasPrefix(msg, "ERR unknown command") || strings.HasPrefix(msg, "ERR unknown subcommand"):
		return "renamed or blocked on this server: " + firstLine(msg)
	}
	return ""
}

// IsRefusal reports whether err is a refused command (see Refusal).
func IsRefusal(err error) bool { return Refusal(err) != "" }

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	const max = 200
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// redact removes every occurrence of secret from msg: a last line of defence
// for messages that quote a URL or an argument list.
func redact(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "****")
}

// Describe is a short, password-free account of a failure on an
// established connection, for a status line.
func Describe(err error) string { return decode.SafeLine(describe(err)) }

func describe(err error) string {
	var dnsErr *net.DNSError
	var protoErr *ProtocolError
	var readTimeout *ReadTimeoutError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &protoErr):
		return protoErr.Error() + " (" + protoErr.Remedy() + ")"
	case errors.As(err, &readTimeout):
		return readTimeout.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr):
		return "cannot resolve host " + dnsErr.Name
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "timed out"
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed):
		return "connection closed by the server"
	}
	if why := Refusal(err); why != "" {
		return why
	}
	if hint := StateHint(err); hint != "" {
		return firstLine(err.Error()) + " (" + hint + ")"
	}
	return firstLine(err.Error())
}

// StepError is a failed step on an established connection, told in one
// line: what was being done, where, and Describe's account of the cause.
type StepError struct {
	Step string // "scan 10.0.0.5:6379"
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + Describe(e.Err) }
func (e *StepError) Unwrap() error { return e.Err }
