package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// staleAge is how old a leftover demo server directory must be before a
// new demo removes it: a younger one may belong to a server starting now.
const staleAge = time.Hour

// removeStaleDemoDirs removes redisproc-* directories left in the temp
// directory by a demo (or test) process that was killed before it could
// clean up (kill -9; redis-server itself died with it). A directory is
// removed only when it is old, holds a redis.conf, and no process runs
// in it (redis-server's working directory is its dir). Linux only: it
// reads /proc.
func removeStaleDemoDirs(now time.Time, progress io.Writer) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "redisproc-*"))
	if len(dirs) == 0 {
		return
	}
	inUse, ok := processDirs()
	if !ok {
		return
	}
	removed := 0
	for _, dir := range dirs {
		info, err := os.Stat(filepath.Join(dir, "redis.conf"))
		if err != nil || now.Sub(info.ModTime()) < staleAge || inUse[dir] {
			continue
		}
		if os.RemoveAll(dir) == nil {
			removed++
		}
	}
	if removed > 0 {
		fmt.Fprintf(progress, "removed %d leftover %s of demo servers that were killed\n", removed, map[bool]string{true: "directory", false: "directories"}[removed == 1])
	}
}

// processDirs is the working directory of every process this user can
// see; ok is false where /proc is not there.
func processDirs() (map[string]bool, bool) {
	procs, err := filepath.Glob("/proc/[0-9]*/cwd")
	if err != nil || len(procs) == 0 {
		return nil, false
	}
	out := make(map[string]bool, len(procs))
	for _, p := range procs {
		if dir, err := os.Readlink(p); err == nil {
			out[dir] = true
		}
	}
	return out, true
}
