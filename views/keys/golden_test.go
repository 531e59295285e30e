package keys

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/coldcopy/cachedeck/views/viewtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// -update rewrites testdata/*.golden from the current output. teatest's
// golden package registers the same flag when it is linked in, so the flag
// is defined only if nobody has and read through flag.Lookup.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite testdata/*.golden from the current output")
	}
}

func updating() bool {
	v, _ := flag.Lookup("update").Value.(flag.Getter).Get().(bool)
	return v
}

// requireGolden compares View (ANSI stripped) with testdata/<test name>.golden.
func requireGolden(t *testing.T, view string) {
	t.Helper()
	got := ansi.Strip(view) + "\n"
	path := filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".golden")
	if updating() {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), got)
}

// The seeded dataset (Keys 5000, Seed 1) is the same bytes every run, the
// clock is pinned and namespaces sort by count then prefix, so the screens
// are stable.
func TestGolden(t *testing.T) {
	c := seeded(t)

	t.Run("tree", func(t *testing.T) {
		h := newHarness(t, c, 60, 20)
		h.settle()
		requireGolden(t, viewtest.RequireSafeView(t, h.m, 60, 20))
	})

	t.Run("awkward expanded", func(t *testing.T) {
		h := newHarness(t, c, 60, 20)
		h.settle()
		h.Key("m")
		h.typeText("awkward:*")
		h.Key("enter")
		h.settle()
		h.Key("right")
		h.settle()
		h.Key("G")
		h.settle()
		requireGolden(t, viewtest.RequireSafeView(t, h.m, 60, 20))
	})

	t.Run("filter typing", func(t *testing.T) {
		h := newHarness(t, c, 60, 8)
		h.settle()
		h.Key("t")
		h.Key("/")
		h.typeText("user:😀")
		h.settle()
		requireGolden(t, viewtest.RequireSafeView(t, h.m, 60, 8))
	})
}
