package redisops_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/redisops"
)

// fakeServer is a hostile "Redis" on loopback: it answers PING and INFO
// like a server, so that cachedeck connects, and answers every other
// command with hostile(conn). It counts the other commands it received.
type fakeServer struct {
	ln       net.Listener
	hostile  func(w *bufio.Writer, stop <-chan struct{})
	received atomic.Int64
	banner   string // written on accept, before anything is read
}

func startFake(t *testing.T, banner string, hostile func(w *bufio.Writer, stop <-chan struct{})) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeServer{ln: ln, hostile: hostile, banner: banner}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				go func() { <-stop; _ = c.Close() }()
				f.serve(c, stop)
			}()
		}
	}()
	t.Cleanup(func() { close(stop); _ = ln.Close(); wg.Wait() })
	return f
}

func (f *fakeServer) addr() string { return f.ln.Addr().String() }

func (f *fakeServer) serve(c net.Conn, stop <-chan struct{}) {
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	if f.banner != "" {
		_, _ = w.WriteString(f.banner)
		_ = w.Flush()
	}
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		switch strings.ToUpper(args[0]) {
		case "PING":
			_, _ = w.WriteString("+PONG\r\n")
		case "INFO":
			info := "# Server\r\nredis_version:7.2.0\r\nrole:master\r\n"
			_, _ = w.WriteString("$" + strconv.Itoa(len(info)) + "\r\n" + info + "\r\n")
		case "HELLO": // a RESP2-only server, as far as go-redis can tell
			_, _ = w.WriteString("-ERR unknown command 'HELLO'\r\n")
		case "CLIENT", "SELECT":
			_, _ = w.WriteString("+OK\r\n")
		default:
			f.received.Add(1)
			f.hostile(w, stop)
		}
		if w.Flush() != nil {
			return
		}
	}
}

// readCommand reads one client command (an array of bulk strings).
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line), nil // an inline command
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	args := make([]string, 0, n)
	for range n {
		hdr, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, _ := strconv.Atoi(strings.TrimSpace(hdr[1:]))
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args = append(args, string(buf[:size]))
	}
	if len(args) == 0 {
		return nil, errors.New("empty command")
	}
	return args, nil
}

func write(s string) func(w *bufio.Writer, stop <-chan struct{}) {
	return func(w *bufio.Writer, _ <-chan struct{}) { _, _ = w.WriteString(s) }
}

// endless writes piece again and again until the client hangs up.
func endless(head, piece string, pause time.Duration) func(w *bufio.Writer, stop <-chan struct{}) {
	return func(w *bufio.Writer, stop <-chan struct{}) {
		_, _ = w.WriteString(head)
		for {
			if _, err := w.WriteString(piece); err != nil {
				return
			}
			if w.Flush() != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(pause):
			}
		}
	}
}

// TestHostileServerRepliesFailCleanly: whatever a server sends, a command
// ends with one clear error, within the read timeout, without a panic, a
// resend, or memory growing with what the server claims.
func TestHostileServerRepliesFailCleanly(t *testing.T) {
	const readTimeout = 700 * time.Millisecond
	cases := []struct {
		name    string
		hostile func(w *bufio.Writer, stop <-chan struct{})
		want    string
	}{
		{"absurd bulk length", write("$999999999999\r\n"), "bulk string of 999999999999 bytes"},
		{"negative length", write("$-7\r\n"), "length is not a number"},
		{"absurd array", write("*99999999999\r\n"), "array of 99999999999 elements"},
		{"absurd map", write("%99999999999\r\n"), "map of 99999999999 pairs"},
		{"endless nesting", endless("", strings.Repeat("*1\r\n", 64), time.Millisecond), "nests deeper than"},
		{"endless line", endless("+", strings.Repeat("a", 4096), time.Millisecond), "line is longer than"},
		{"garbage", write("\x00\x01\x02\xffgarbage\r\n"), "unexpected byte"},
		{"escape in garbage", write("?\x1b]52;c;aGk=\x07\r\n"), `unexpected byte "?"`},
		{"bulk without its CRLF", write("$3\r\nabcXY"), "does not end with CRLF"},
		{"integer that is not", write(":12ab\r\n"), "not a number"},
		{"never-ending bulk", endless("$1048576\r\n", "x", 20*time.Millisecond), "no reply within the read timeout"},
		{"silent", func(*bufio.Writer, <-chan struct{}) {}, "no reply within the read timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startFake(t, "", tc.hostile)
			c := connect(t, redisops.ConnOptions{URL: "redis://" + f.addr(), ReadTimeout: readTimeout})

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := finishes(t, func() error { return c.Redis().Get(context.Background(), "k").Err() })
			runtime.ReadMemStats(&after)

			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\x1b", "server bytes are escaped")
			assert.Contains(t, redisops.Describe(err), tc.want)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "memory stays bounded whatever the server claims")
			assert.EqualValues(t, 1, f.received.Load(), "the command was not resent")

			// The next command fails the same way on a new connection: the
			// broken one was closed, nothing is left half-read.
			err = finishes(t, func() error { return c.Redis().Get(context.Background(), "k").Err() })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// finishes runs fn and fails the test if it hangs (far past any timeout).
func finishes(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("the command hung")
		return nil
	}
}

// TestConnectToAnotherProtocolSaysWhat: pointing cachedeck at an HTTP or SSH
// port (or anything else) says what answered, in one line, with the remedy.
func TestConnectToAnotherProtocolSaysWhat(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") }))
	t.Cleanup(web.Close)
	ssh := startFake(t, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", write(""))
	other := startFake(t, "\x1b[2J\x1b]8;;http://x\x07hi\r\n", write(""))
	cases := []struct {
		name, addr, want string
	}{
		{"http", strings.TrimPrefix(web.URL, "http://"), "this port speaks HTTP, not the Redis protocol"},
		{"ssh", ssh.addr(), "this port speaks SSH, not the Redis protocol"},
		{"other", other.addr(), "this port speaks something that is not Redis"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c *redisops.Client
			err := finishes(t, func() error {
				var err error
				c, err = redisops.Connect(context.Background(), redisops.ConnOptions{URL: "redis://:s3cret@" + tc.addr, DB: -1, ReadTimeout: time.Second})
				return err
			})
			if c != nil {
				_ = c.Close()
			}
			require.Error(t, err)
			msg := err.Error()
			assert.Contains(t, msg, tc.want)
			assert.Contains(t, msg, "check the host and port in --url")
			assert.NotContains(t, msg, "\n")
			assert.NotContains(t, msg, "\x1b")
			assert.NotContains(t, msg, "s3cret")
			var ce *redisops.ConnError
			assert.True(t, errors.As(err, &ce), "a ConnError: %T", err)
		})
	}
}
