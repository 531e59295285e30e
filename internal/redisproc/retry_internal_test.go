package redisproc

import (
	"net"
	"strings"
	"testing"
)

// When the probed port is taken before redis-server binds it, Start retries
// on a fresh port. Not parallel: it swaps the package's port picker (parallel
// tests only resume after the sequential ones have returned).
func TestStartRetriesWhenPortTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port

	calls := 0
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return takenPort, nil
		}
		return FreePort()
	}
	defer func() { pickPort = FreePort }()

	s, err := Start(t.Context(), Config{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s.Stop()
	if s.Port == takenPort || calls != 2 {
		t.Errorf("got port %d after %d picks; want a port other than the taken %d after 2", s.Port, calls, takenPort)
	}
}

// Every attempt on a taken port: the error says why, after portAttempts tries.
func TestStartGivesUpWhenPortAlwaysTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	calls := 0
	pickPort = func() (int, error) { calls++; return taken.Addr().(*net.TCPAddr).Port, nil }
	defer func() { pickPort = FreePort }()

	_, err = Start(t.Context(), Config{})
	if err == nil || !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("Start on a taken port: got %v, want an Address already in use error", err)
	}
	if calls != portAttempts {
		t.Errorf("tried %d times, want %d", calls, portAttempts)
	}
}
