package redistest

import (
	"testing"

	"github.com/coldcopy/cachedeck/internal/redisproc"
)

// ProductionServer is a TLS-only redis-server configured like the
// "Production Configuration" of coldcopy-redis-cache.md (memory, eviction,
// persistence, protected-mode, keepalive, slowlog, output buffer limits,
// a password), for checks against that baseline.
type ProductionServer struct {
	*TLSServer
	Password string
}

// ProductionDirectives are the doc's production settings that a test
// server can take (bind, port, dir, daemonize and logging stay the
// harness's), plus a latency monitor threshold.
func ProductionDirectives() []string {
	return []string{
		"protected-mode yes",
		"tcp-keepalive 300",
		"save 900 1",
		"save 300 10",
		"save 60 10000",
		"stop-writes-on-bgsave-error yes",
		"maxmemory 512mb",
		"maxmemory-policy allkeys-lru",
		"appendonly yes",
		"appendfsync everysec",
		"slowlog-log-slower-than 10000",
		"slowlog-max-len 128",
		"latency-monitor-threshold 100",
		"client-output-buffer-limit normal 0 0 0",
		"client-output-buffer-limit replica 256mb 64mb 60",
		"client-output-buffer-limit pubsub 32mb 8mb 60",
		"replica-read-only yes",
	}
}

// Production runs a production-configured TLS server; extra directives
// come last, so a test can change one setting (e.g. "maxmemory 0", or
// `rename-command CONFIG ""` as the doc's security section does).
func Production(t testing.TB, extra ...string) *ProductionServer {
	t.Helper()
	bundle, err := redisproc.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	const password = "production_password_32_characters"
	s := start(t, redisproc.Config{
		TLS:        bundle.Files(redisproc.ClientAuthOptional),
		Password:   password,
		Directives: append(ProductionDirectives(), extra...),
	})
	return &ProductionServer{TLSServer: &TLSServer{Server: s, Bundle: bundle}, Password: password}
}
