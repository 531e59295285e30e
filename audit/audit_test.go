package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/var/state-x")
	assert.Equal(t, "/var/state-x/cachedeck/audit.jsonl", DefaultPath())

	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", "")
	assert.Equal(t, filepath.Join(home, ".local", "state", "cachedeck", "audit.jsonl"), DefaultPath())
	t.Setenv("XDG_STATE_HOME", "relative/dir") // ignored, as the XDG spec says
	assert.Equal(t, filepath.Join(home, ".local", "state", "cachedeck", "audit.jsonl"), DefaultPath())
}

func TestOpenCreatesPrivateDirAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "cachedeck", "audit.jsonl")
	l, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	require.NoError(t, l.Append(Entry{Server: "s:1", Action: "slowlog-reset", Outcome: Done}))

	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	dir, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dir.Mode().Perm())
}

func TestOpenNarrowsAWorldReadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	require.NoError(t, os.Chmod(path, 0o644))
	l, err := Open(path)
	require.NoError(t, err)
	defer l.Close()
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestAppendFillsWhoAndWhenAndAppends(t *testing.T) {
	t.Setenv("USER", "alice")
	t.Setenv("SSH_CONNECTION", "203.0.113.7 51234 10.0.0.2 22")
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(`{"time":"2020-01-01T00:00:00Z","operator":"old","server":"x","action":"a","duration_ms":0,"outcome":"done"}`+"\n"), 0o600))

	l, err := Open(path)
	require.NoError(t, err)
	before := time.Now()
	require.NoError(t, l.Append(Entry{
		Server: "10.0.0.5:6379", Profile: "prod", Action: "delete-pattern", Patterns: []string{"lead:1*"},
		Matched: 12, Deleted: 12, DurationMs: 34, Outcome: Done,
	}))
	require.NoError(t, l.Append(Entry{Server: "10.0.0.5:6379", Action: "delete-key", Key: `"new\nline"`, Outcome: Failed, Error: "NOPERM denied\nsecond line"}))
	require.NoError(t, l.Close())
	assert.Error(t, l.Append(Entry{Server: "s", Action: "a", Outcome: Done}), "closed")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 3, "appended, the old line kept")

	var e map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &e))
	assert.Equal(t, "alice", e["operator"])
	assert.Equal(t, "203.0.113.7", e["ssh_origin"])
	assert.Equal(t, "prod", e["profile"])
	assert.Equal(t, []any{"lead:1*"}, e["patterns"])
	assert.EqualValues(t, 12, e["deleted"])
	assert.EqualValues(t, 34, e["duration_ms"])
	assert.Equal(t, "done", e["outcome"])
	ts, err := time.Parse(time.RFC3339Nano, e["time"].(string))
	require.NoError(t, err)
	assert.WithinDuration(t, before, ts, 5*time.Second)
	assert.True(t, strings.HasSuffix(e["time"].(string), "Z"), "UTC")
	assert.NotContains(t, e, "key", "empty fields are left out")

	require.NoError(t, json.Unmarshal([]byte(lines[2]), &e))
	assert.Equal(t, "NOPERM denied", e["error"], "errors are one line")
	assert.Equal(t, `"new\nline"`, e["key"])

	tail, err := ReadTail(path, 2)
	require.NoError(t, err)
	require.Len(t, tail, 2)
	assert.Equal(t, "delete-pattern", tail[0].Action)
	assert.Equal(t, "delete-key", tail[1].Action)
}

func TestAppendRejectsIncompleteEntries(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "a.jsonl"))
	require.NoError(t, err)
	defer l.Close()
	assert.ErrorContains(t, l.Append(Entry{Server: "s", Action: "a", Outcome: "ok"}), "outcome")
	assert.ErrorContains(t, l.Append(Entry{Server: "s", Outcome: Done}), "action")
	assert.ErrorContains(t, l.Append(Entry{Action: "a", Outcome: Done}), "server")
}

func TestAppendFsyncsEveryLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.jsonl")
	var synced []int64
	orig := syncFile
	t.Cleanup(func() { syncFile = orig })
	syncFile = func(f *os.File) error {
		st, err := f.Stat()
		require.NoError(t, err)
		synced = append(synced, st.Size()) // the line is written before the fsync
		return orig(f)
	}
	l, err := Open(path)
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.Append(Entry{Server: "s", Action: "a", Outcome: Done}))
	require.NoError(t, l.Append(Entry{Server: "s", Action: "b", Outcome: Done}))
	require.Len(t, synced, 2)
	st, _ := os.Stat(path)
	assert.Equal(t, st.Size(), synced[1])
	assert.Less(t, synced[0], synced[1])

	syncFile = func(*os.File) error { return errors.New("disk on fire") }
	assert.ErrorContains(t, l.Append(Entry{Server: "s", Action: "c", Outcome: Done}), "fsync")
}

func TestConcurrentAppendsGiveWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.jsonl")
	// Two logs on the same file, like two cachedeck processes, each with
	// two goroutines.
	l1, err := Open(path)
	require.NoError(t, err)
	l2, err := Open(path)
	require.NoError(t, err)
	const per = 200
	long := strings.Repeat("p", 3000) // lines well past one small write
	var wg sync.WaitGroup
	for g, l := range []*Log{l1, l1, l2, l2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				assert.NoError(t, l.Append(Entry{Server: "s", Action: fmt.Sprintf("g%d-%d", g, i), Patterns: []string{long}, Outcome: Done}))
			}
		}()
	}
	wg.Wait()
	require.NoError(t, l1.Close())
	require.NoError(t, l2.Close())

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	seen := map[string]bool{}
	for sc.Scan() {
		var e Entry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "line %q", sc.Text())
		assert.False(t, seen[e.Action], "duplicate %s", e.Action)
		seen[e.Action] = true
	}
	require.NoError(t, sc.Err())
	assert.Len(t, seen, 4*per)
}

func TestReadTail(t *testing.T) {
	dir := t.TempDir()
	missing, err := ReadTail(filepath.Join(dir, "none.jsonl"), 10)
	require.NoError(t, err)
	assert.Empty(t, missing, "no log yet is an empty log")

	path := filepath.Join(dir, "a.jsonl")
	l, err := Open(path)
	require.NoError(t, err)
	pad := strings.Repeat("x", 900) // ~1 KB lines: the tail crosses read blocks
	for i := 0; i < 300; i++ {
		require.NoError(t, l.Append(Entry{Server: "s", Action: fmt.Sprintf("a%d", i), Target: pad, Outcome: Done}))
	}
	require.NoError(t, l.Close())
	// A torn last line, as after a crash mid-write.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"time":"2026-01-01T00:00:00Z","act`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	tail, err := ReadTail(path, 100)
	require.NoError(t, err)
	require.Len(t, tail, 99, "the torn line is skipped")
	assert.Equal(t, "a201", tail[0].Action)
	assert.Equal(t, "a299", tail[98].Action)

	all, err := ReadTail(path, 1000)
	require.NoError(t, err)
	assert.Len(t, all, 300)
	assert.Equal(t, "a0", all[0].Action)

	none, err := ReadTail(path, 0)
	require.NoError(t, err)
	assert.Empty(t, none)
}
