package redisproc

import (
	"fmt"
	"net"
)

// pickPort chooses the port for each start attempt; a variable so that a test
// can hand out a taken port and exercise the retry.
var pickPort = FreePort

// FreePort returns a loopback TCP port with nothing listening on it right now.
// The port is only probed (listen on :0, then close), so another process may
// take it before we use it; Start therefore retries when redis-server reports
// "Address already in use".
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("release probe port %d: %w", port, err)
	}
	return port, nil
}
