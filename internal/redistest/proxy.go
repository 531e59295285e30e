package redistest

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy forwards TCP connections to a server. It can lose replies: after
// passing on a chunk of client bytes that names a given command, it
// withholds everything the server answers and cuts the connection, so
// the client never learns that the command ran.
type Proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	loseOn   []byte // lowercase command name
	loseLeft int
	keep     int // one-line replies still passed on after the cut
	lost     int
}

// NewProxy listens on a free loopback port and forwards to target
// (host:port) until the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &Proxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed at the end of the test
			}
			go p.serve(c)
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return p
}

// Addr is host:port to connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// LoseRepliesTo makes the next n connections that send command lose the
// server's answer to it (and to whatever else was sent with it).
func (p *Proxy) LoseRepliesTo(command string, n int) { p.LoseRepliesAfter(command, n, 0) }

// LoseRepliesAfter is LoseRepliesTo, except that the first keep replies of
// the batch still get through (one-line replies: integers, +OK, errors),
// as when a connection drops halfway through a pipeline's answers.
func (p *Proxy) LoseRepliesAfter(command string, n, keep int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loseOn, p.loseLeft, p.keep = bytes.ToLower([]byte(command)), n, keep
}

// Lost is how many connections have lost a reply so far.
func (p *Proxy) Lost() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lost
}

// takeLoss reports whether chunk should be the last thing passed on, and
// how many reply lines to let through after it.
func (p *Proxy) takeLoss(chunk []byte) (bool, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.loseLeft == 0 || !bytes.Contains(bytes.ToLower(chunk), p.loseOn) {
		return false, 0
	}
	p.loseLeft--
	p.lost++
	return true, p.keep
}

func (p *Proxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	defer server.Close()
	var withhold sync.Mutex // held while the last chunk reaches the server
	var cut bool
	keep := 0 // reply lines still passed on after the cut
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := server.Read(buf)
			withhold.Lock()
			stop := cut
			withhold.Unlock()
			if stop {
				// Pass on the first keep lines, then nothing.
				i := 0
				for keep > 0 && i < n {
					if buf[i] == '\n' {
						keep--
					}
					i++
				}
				if i > 0 {
					_, _ = client.Write(buf[:i])
				}
				if keep == 0 {
					return
				}
				continue
			}
			if n > 0 {
				if _, werr := client.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				_ = client.Close()
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := client.Read(buf)
		if n > 0 {
			if lose, kept := p.takeLoss(buf[:n]); lose {
				withhold.Lock()
				cut, keep = true, kept
				withhold.Unlock()
				_, _ = server.Write(buf[:n])
				// Let the server run what it was sent, then drop both sides
				// with its answer unread.
				time.Sleep(100 * time.Millisecond)
				return
			}
			if _, werr := server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
