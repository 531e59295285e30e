package inspector

import (
	"context"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/seed"
)

// Golden views at 70x22 with NO_COLOR styles, compared without styling:
// testdata/<TestName>.golden, rewritten by `go test -update`.
//
// The clock is pinned and each key's TTL is set again just before it is
// opened, so the TTL shown is exactly the one set: the countdown rounds up
// to the second and the request leaves well within that second.
func goldenView(t *testing.T, key string, ttl time.Duration, keys ...string) {
	t.Helper()
	c := seeded(t)
	require.NoError(t, c.Redis().PExpire(context.Background(), key, ttl).Err())
	m, _ := newTestModel(t, c, 70, 22)
	open(t, m, key)
	press(t, m, keys...)
	view := m.View()
	requireSize(t, view, 70, 22)
	golden.RequireEqual(t, ansi.Strip(view))
}

func TestGoldenCompressed(t *testing.T) {
	goldenView(t, seed.KeyCompressedLead, 7*24*time.Hour)
}

func TestGoldenDamagedLZ(t *testing.T) {
	goldenView(t, seed.KeyDamagedLZ, time.Hour)
}

// The hash is the seed's small campaign stats hash: listpack-encoded, so
// HSCAN returns its fields in insertion order (a hashtable's order depends
// on the server's random hash seed). Its last field and value are binary.
func TestGoldenHashTable(t *testing.T) {
	goldenView(t, "campaign:cmp-demo:stats", 5*time.Minute)
}

// The binary member of the same hash, opened from the table.
func TestGoldenHashMemberHex(t *testing.T) {
	goldenView(t, "campaign:cmp-demo:stats", 5*time.Minute, "end", "enter", "v", "v")
}
