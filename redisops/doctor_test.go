package redisops_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

func checksByID(r *redisops.DoctorReport) map[string]redisops.DoctorCheck {
	out := map[string]redisops.DoctorCheck{}
	for _, c := range r.Checks {
		out[c.ID] = c
	}
	return out
}

func doctor(t *testing.T, c *redisops.Client) (*redisops.DoctorReport, map[string]redisops.DoctorCheck) {
	t.Helper()
	r, err := c.Doctor(context.Background())
	require.NoError(t, err)
	return r, checksByID(r)
}

var allDoctorChecks = []string{"maxmemory", "maxmemory-policy", "persistence-rdb", "persistence-aof", "persistence-status",
	"protected-mode", "default-user", "command-flushall", "command-flushdb", "command-keys", "command-config", "command-debug",
	"tls", "tcp-keepalive", "slowlog", "latency-monitor", "maxclients", "client-output-buffer-limit",
	"replication", "fragmentation", "evictions", "rejected-connections"}

func TestDoctorProductionServerIsClean(t *testing.T) {
	// The doc's production configuration with CONFIG, KEYS and the FLUSH
	// commands still present: the doctor reads every setting and finds
	// only the dangerous commands, which the doc's security section renames.
	srv := redistest.Production(t)
	c := connect(t, redisops.ConnOptions{URL: "rediss://" + srv.Addr, TLSCA: srv.Bundle.CAFile, Password: srv.Password})
	r, got := doctor(t, c)
	for _, id := range allDoctorChecks {
		require.Contains(t, got, id)
	}
	assert.Len(t, got, len(allDoctorChecks))
	for id, ch := range got {
		switch id {
		case "command-flushall", "command-flushdb":
			assert.Equal(t, redisops.DoctorCritical, ch.Status, id)
			assert.Contains(t, ch.Remedy, `rename-command `+strings.ToUpper(strings.TrimPrefix(id, "command-"))+` ""`)
		case "command-keys", "command-config":
			assert.Equal(t, redisops.DoctorWarning, ch.Status, id)
		default:
			assert.Equal(t, redisops.DoctorOK, ch.Status, "%s: %s", id, ch.Seen)
		}
	}
	assert.Equal(t, "ACL DRYRUN", got["command-keys"].Source)

	// Renamed like the doc says: clean, and what CONFIG no longer shows is
	// unknown with the reason, or inferred from INFO.
	srv = redistest.Production(t, `rename-command FLUSHDB ""`, `rename-command FLUSHALL ""`, `rename-command KEYS ""`, `rename-command CONFIG ""`)
	c = connect(t, redisops.ConnOptions{URL: "rediss://" + srv.Addr, TLSCA: srv.Bundle.CAFile, Password: srv.Password})
	r, got = doctor(t, c)
	assert.Empty(t, r.Findings(), "a production server is clean")
	for _, id := range []string{"maxmemory", "maxmemory-policy", "maxclients"} {
		assert.Equal(t, redisops.DoctorOK, got[id].Status, id)
		assert.Equal(t, "INFO", got[id].Source, id)
	}
	assert.Equal(t, "maxmemory 512mb", got["maxmemory"].Seen)
	for _, id := range []string{"persistence-rdb", "protected-mode", "tcp-keepalive", "slowlog", "latency-monitor", "client-output-buffer-limit"} {
		assert.Equal(t, redisops.DoctorUnknown, got[id].Status, id)
		assert.Contains(t, got[id].Why, "CONFIG renamed or blocked", id)
		assert.NotEmpty(t, got[id].Remedy, id)
	}
	assert.Equal(t, redisops.DoctorUnknown, got["persistence-aof"].Status, "appendonly is seen in INFO, appendfsync is not")
	assert.Contains(t, got["persistence-aof"].Seen, "appendonly yes")
	for _, id := range []string{"command-flushall", "command-flushdb", "command-keys", "command-config"} {
		assert.Equal(t, redisops.DoctorOK, got[id].Status, id)
		assert.Contains(t, got[id].Seen, "renamed away", id)
	}
	assert.Equal(t, redisops.DoctorOK, got["command-debug"].Status)
}

func TestDoctorFindsWhatTheTestChanges(t *testing.T) {
	srv := redistest.Production(t, "maxmemory 0", "maxmemory-policy noeviction", "appendfsync always", "tcp-keepalive 0",
		`rename-command FLUSHDB ""`, `rename-command FLUSHALL ""`, `rename-command KEYS ""`, `rename-command CONFIG "CONFIG_HIDDEN"`)
	c := connect(t, redisops.ConnOptions{URL: "rediss://" + srv.Addr, TLSCA: srv.Bundle.CAFile, Password: srv.Password})
	r, got := doctor(t, c)
	assert.Equal(t, redisops.DoctorCritical, got["maxmemory"].Status)
	assert.Contains(t, got["maxmemory"].Remedy, "maxmemory 512mb")
	assert.Equal(t, redisops.DoctorCritical, got["maxmemory-policy"].Status)
	assert.Contains(t, got["maxmemory-policy"].Remedy, "Eviction policy")
	var ids []string
	for _, f := range r.Findings() {
		ids = append(ids, f.ID)
	}
	assert.ElementsMatch(t, []string{"maxmemory", "maxmemory-policy"}, ids, "CONFIG is renamed: appendfsync and tcp-keepalive are unknown, not guessed")
	assert.Equal(t, redisops.DoctorUnknown, got["tcp-keepalive"].Status)
}

func TestDoctorDefaultUserWithoutPassword(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	_, got := doctor(t, c)
	assert.Equal(t, redisops.DoctorCritical, got["default-user"].Status)
	assert.Contains(t, got["default-user"].Seen, "no password")
	assert.Contains(t, got["default-user"].Remedy, "requirepass")
	assert.Equal(t, redisops.DoctorInfo, got["tls"].Status, "loopback")
	assert.Equal(t, redisops.DoctorCritical, got["maxmemory"].Status, "a plain server has no maxmemory")
}

func TestDoctorRestrictedUsersDegrade(t *testing.T) {
	srv := redistest.Restricted(t)
	// readonly_user: no INFO, no CONFIG, no ACL DRYRUN, no COMMAND.
	c := connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.ReadOnlyUser, Password: srv.ReadOnlyPassword})
	_, got := doctor(t, c)
	assert.Equal(t, redisops.DoctorOK, got["default-user"].Status, "requirepass is set")
	assert.Equal(t, redisops.DoctorUnknown, got["maxmemory"].Status)
	assert.Contains(t, got["maxmemory"].Why, "denied by ACL")
	for _, id := range []string{"command-keys", "command-config"} {
		assert.Equal(t, redisops.DoctorOK, got[id].Status, "%s: renamed away (%s)", id, got[id].Seen)
	}
	// Nothing harmless tells whether FLUSHALL exists for this user: unknown,
	// never probed.
	for _, id := range []string{"command-flushall", "command-flushdb"} {
		assert.Equal(t, redisops.DoctorUnknown, got[id].Status, id)
		assert.Contains(t, got[id].Why, "never sends", id)
	}
	// app_user: ACL DRYRUN is @dangerous, denied; the FLUSH commands are
	// renamed, which COMMAND INFO shows.
	c = connect(t, redisops.ConnOptions{URL: srv.URL(), User: srv.AdminUser, Password: srv.AdminPassword})
	_, got = doctor(t, c)
	assert.Equal(t, redisops.DoctorOK, got["command-flushall"].Status, got["command-flushall"].Seen)
	assert.Equal(t, "COMMAND INFO", got["command-flushall"].Source)
}

func TestDoctorChecksEveryClusterMaster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c := connect(t, redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0]})
	require.True(t, c.IsCluster())
	r, err := c.Doctor(context.Background())
	require.NoError(t, err)
	nodes := map[string]int{}
	for _, ch := range r.Checks {
		nodes[ch.Node]++
	}
	assert.Len(t, nodes, 3)
	for node, n := range nodes {
		assert.Equal(t, len(allDoctorChecks), n, node)
	}
}

func TestDoctorReplicaWithoutItsMaster(t *testing.T) {
	srv := redistest.Standalone(t, "replicaof 127.0.0.1 "+itoa(redistest.FreePort(t)))
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	_, got := doctor(t, c)
	assert.Equal(t, redisops.DoctorCritical, got["replication"].Status)
	assert.Contains(t, got["replication"].Seen, "link to the master is down")
}
