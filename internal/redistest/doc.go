// Package redistest starts real redis-server processes for tests: Standalone,
// Cluster, Restricted (production-like ACLs and renamed commands) and TLS.
// Each helper stops its server and removes its files in t.Cleanup, also when
// the test fails or panics. A missing redis-server fails the test with
// "... install it with `apt-get install redis-server`"; it is never skipped.
//
// # Error texts
//
// Recorded with go-redis v9.23.0 against redis-server 7.0.15 (checked by
// TestRestrictedErrorTexts, TestTLSMismatchErrors, TestFreePortRefusesConnections
// and, in redisproc, TestStartTLSRequiringClientCert). Match on prefixes or
// error types, not on whole strings:
//
//   - Refused port: "dial tcp 127.0.0.1:<port>: connect: connection refused"
//     (*net.OpError, syscall.ECONNREFUSED), after go-redis's 5 dial attempts
//     (DialerRetries, ~0.4 s).
//   - Wrong password: "WRONGPASS invalid username-password pair or user is disabled."
//   - No password where one is required: "NOAUTH Authentication required."
//   - ACL denial: "NOPERM this user has no permissions to run the 'set' command"
//     (subcommands as 'object|encoding', 'memory|usage'). Note: 7.0 says "this
//     user"; "User <name> has no permissions" is the 7.2+ wording. Use
//     redis.IsPermissionError or the "NOPERM" prefix.
//   - Renamed command: "ERR unknown command 'keys', with args beginning with: '*' ".
//     The name is echoed as the client sent it: go-redis's helpers send
//     lower case ('keys', 'flushdb'), Do("CONFIG", ...) gives 'CONFIG'.
//   - Plain client to a TLS-only port: "EOF" (io.EOF, right away): the server
//     drops the connection when the TLS handshake fails.
//   - TLS client to a plain port: no answer at all. redis-server takes the
//     ClientHello for an unfinished inline command and waits, so the dial
//     times out: "context deadline exceeded" (context.DeadlineExceeded) after
//     DialTimeout (5 s default) per dial attempt, 25 s with the defaults.
//   - Server certificate not signed by the trusted CA: "tls: failed to verify
//     certificate: x509: certificate signed by unknown authority (...)"
//     (*tls.CertificateVerificationError).
//   - Client certificate from an unknown CA: "remote error: tls: unknown
//     certificate authority" (*net.OpError, on the first command: with TLS 1.3
//     the client's handshake ends before the server checks its certificate).
//   - No client certificate with tls-auth-clients yes: "remote error: tls:
//     certificate required" (also on the first command).
//
// go-redis also logs some of these through its own logger ("redis: ...
// connection pool: failed to dial after 5 attempts: ...").
package redistest
