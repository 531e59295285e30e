// Package redisproc runs real redis-server processes on free loopback ports:
// a standalone server (plain or TLS-only) and a small Redis Cluster of masters.
//
// It is the harness behind the test helpers in internal/redistest and behind
// `cachedeck demo`, which runs a throwaway server. Every server listens on
// 127.0.0.1 only, keeps nothing on disk (save "", appendonly no) and lives in
// its own directory holding redis.conf, redis.log and redis-server.out
// (stdout/stderr, where fatal config errors go before the log file is open).
//
// Requires redis-server 7.0 or newer (cluster-port, CLUSTER ADDSLOTSRANGE).
package redisproc
