package redisproc

import (
	"errors"
	"os/exec"
)

// ErrNotInstalled is returned when redis-server is not on PATH. Its message
// tells how to fix it, because tests print it verbatim: in CI a missing
// redis-server must fail loudly, never be skipped.
var ErrNotInstalled = errors.New("redis-server not found on PATH: install it with `apt-get install redis-server` (Debian/Ubuntu)")

// LookPath returns the path of the redis-server binary, or ErrNotInstalled.
func LookPath() (string, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return "", ErrNotInstalled
	}
	return path, nil
}
