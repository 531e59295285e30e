package redisproc

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// respConn is a minimal RESP2 client for the handful of commands the harness
// sends itself (PING, CLUSTER ...). It keeps redisproc free of a client
// library and of that library's connection-time handshakes and logging.
type respConn struct {
	conn net.Conn
	r    *bufio.Reader
}

// ioTimeout bounds one harness command (dial included); all are instant on a
// local server, but CI machines running tests under -race can be slow.
const ioTimeout = 5 * time.Second

// dialRESP connects to addr over plain TCP, or TLS when tlsConf is not nil.
func dialRESP(ctx context.Context, addr string, tlsConf *tls.Config) (*respConn, error) {
	d := net.Dialer{Timeout: ioTimeout}
	var conn net.Conn
	var err error
	if tlsConf != nil {
		td := tls.Dialer{NetDialer: &d, Config: tlsConf}
		conn, err = td.DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	return &respConn{conn: conn, r: bufio.NewReader(conn)}, nil
}

func (c *respConn) Close() error { return c.conn.Close() }

// redisError is an error reply from the server ("-ERR ...", "-NOAUTH ...").
type redisError string

func (e redisError) Error() string { return string(e) }

// Do sends one command and returns a simple, integer or bulk string reply.
// Error replies come back as redisError.
func (c *respConn) Do(args ...string) (string, error) { return c.do(ioTimeout, args...) }

func (c *respConn) do(timeout time.Duration, args ...string) (string, error) {
	if err := c.conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		return "", err
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty RESP reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", redisError(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("unexpected RESP bulk header %q", line)
		}
		buf := make([]byte, n+2) // payload + CRLF
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("unsupported RESP reply %q", line)
}
