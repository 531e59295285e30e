package redisops

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/coldcopy/cachedeck/decode"
)

// The RESP guard sits between go-redis and the socket of every connection
// go-redis dials for cachedeck. go-redis trusts the server: a bulk header
// of $999999999999 makes it allocate that many bytes, *1\r\n*1\r\n… nests
// its parser without end, and an HTTP or SSH banner on the port comes back
// as a puzzling parse error. The guard follows the reply stream byte by
// byte and hands go-redis only bytes that keep every reply within the
// limits below; anything else fails the command with a one-line
// ProtocolError and closes the connection.
//
// It wraps only go-redis's connections (Options.Dialer). The RDB download
// reads a multi-gigabyte $EOF: stream on its own raw connection and must
// never pass through it.

// respLimits bound one reply. They are far above anything a real server
// sends to cachedeck's commands (SCAN COUNT 1000, paged LRANGE/HSCAN,
// SLOWLOG, DUMP of one key) and far below what would hurt the machine.
type respLimits struct {
	maxLine   int   // a simple string, error or header line, CRLF excluded
	maxBulk   int64 // one bulk string: Redis's own proto-max-bulk-len default
	maxArray  int64 // elements of one aggregate
	maxElems  int64 // elements of all aggregates of one reply together
	maxDepth  int   // nesting of aggregates (real replies nest 4 deep at most)
	maxReply  int64 // bytes of one top-level reply
	firstSeen int   // bytes of a non-RESP first reply quoted in the error
}

var defaultRESPLimits = respLimits{
	maxLine:   64 << 10,
	maxBulk:   512 << 20,
	maxArray:  1 << 20,
	maxElems:  4 << 20,
	maxDepth:  32,
	maxReply:  1 << 30,
	firstSeen: 24,
}

// ProtocolError is a reply the guard refused: not RESP, or beyond a limit.
type ProtocolError struct {
	// Speaks names what the port speaks when the very first reply was not
	// RESP: "HTTP", "SSH", "TLS", or "" for anything else.
	Speaks string
	// First is set when the first reply on the connection was not RESP.
	First bool
	// Detail says what was wrong, with any server bytes escaped.
	Detail string
}

func (e *ProtocolError) Error() string {
	if !e.First {
		return "the server's reply broke the Redis protocol: " + e.Detail
	}
	switch e.Speaks {
	case "HTTP", "SSH":
		return "this port speaks " + e.Speaks + ", not the Redis protocol"
	case "TLS":
		return "this port speaks TLS, not plain Redis"
	}
	return "this port speaks something that is not Redis (its first bytes: " + e.Detail + ")"
}

// Remedy is what the operator should do about it.
func (e *ProtocolError) Remedy() string {
	switch {
	case e.Speaks == "TLS":
		return "use rediss:// (DigitalOcean managed Valkey: rediss:// on port 25061)"
	case e.First:
		return "check the host and port in --url: Redis and Valkey listen on 6379 by default, DigitalOcean managed Valkey on 25061"
	}
	return "this is not a Redis server, or a proxy in between is broken; the connection was closed"
}

// ReadTimeoutError is a read that got no reply within the read timeout.
// It deliberately is not a net.Error: go-redis resends a command whose
// read timed out, and a resent command (a SCAN on a paused server, an
// UNLINK whose reply is late) would double the wait or the effect. The
// caller sees it at once and decides. It matches context.DeadlineExceeded
// and os.ErrDeadlineExceeded with errors.Is.
type ReadTimeoutError struct {
	Timeout time.Duration // the read timeout in force
}

func (e *ReadTimeoutError) Error() string {
	return fmt.Sprintf("no reply within the read timeout (%s)", e.Timeout)
}

func (e *ReadTimeoutError) Is(target error) bool {
	return target == context.DeadlineExceeded || target == os.ErrDeadlineExceeded
}

// guardDialer wraps dial so that every connection it makes is guarded.
func guardDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error), readTimeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return guard(conn, defaultRESPLimits, readTimeout), nil
	}
}

// guard wraps conn. go-redis checks a pooled connection's health through
// syscall.Conn; the wrapper keeps that ability when conn has it.
func guard(conn net.Conn, lim respLimits, readTimeout time.Duration) net.Conn {
	g := &guardConn{Conn: conn, p: respParser{lim: lim}, readTimeout: readTimeout}
	if sc, ok := conn.(syscall.Conn); ok {
		return &guardSysConn{guardConn: g, sys: sc}
	}
	return g
}

type guardConn struct {
	net.Conn
	readTimeout time.Duration

	mu     sync.Mutex // go-redis reads from one goroutine; this is for Close
	p      respParser
	broken error
	armed  time.Duration // how long the last read deadline allowed
}

func (g *guardConn) SetDeadline(t time.Time) error {
	g.arm(t)
	return g.Conn.SetDeadline(t)
}

func (g *guardConn) SetReadDeadline(t time.Time) error {
	g.arm(t)
	return g.Conn.SetReadDeadline(t)
}

func (g *guardConn) arm(t time.Time) {
	g.mu.Lock()
	g.armed = 0
	if !t.IsZero() {
		g.armed = time.Until(t)
	}
	g.mu.Unlock()
}

type guardSysConn struct {
	*guardConn
	sys syscall.Conn
}

func (g *guardSysConn) SyscallConn() (syscall.RawConn, error) { return g.sys.SyscallConn() }

func (g *guardConn) Read(b []byte) (int, error) {
	g.mu.Lock()
	broken := g.broken
	g.mu.Unlock()
	if broken != nil {
		return 0, broken
	}
	n, err := g.Conn.Read(b)
	if n > 0 {
		g.mu.Lock()
		perr := g.p.feed(b[:n])
		if perr != nil {
			g.broken = perr
		}
		g.mu.Unlock()
		if perr != nil {
			// Nothing of this chunk reaches go-redis: its parser would act on
			// the header the guard refused (allocate, recurse).
			_ = g.Conn.Close()
			return 0, perr
		}
	}
	if err != nil && isTimeout(err) {
		g.mu.Lock()
		waited := g.armed
		g.mu.Unlock()
		// Only the read timeout itself becomes a ReadTimeoutError. A shorter
		// deadline is the caller's context (the dial timeout, a run's
		// deadline): go-redis then returns the context's own error, which
		// is what the caller checks for, and resends nothing, the context
		// being over.
		if waited >= g.readTimeout*9/10 {
			err = &ReadTimeoutError{Timeout: g.readTimeout}
		}
	}
	return n, err
}

// respParser follows a RESP2/RESP3 reply stream without keeping it: it
// holds a header line at most.
type respParser struct {
	lim respLimits

	started  bool // a byte of the stream has been seen
	inLine   bool // reading a line after a type byte
	typ      byte // the type byte of that line
	line     []byte
	bulkLeft int64 // bytes of a bulk string still to come, CRLF included
	stack    []respAggregate
	elems    int64 // elements of the current top-level reply
	bytes    int64 // bytes of the current top-level reply
}

type respAggregate struct {
	left int64 // elements still to come
	attr bool  // a RESP3 attribute: it does not count as its parent's element
}

// respTypes are the type bytes RESP2 and RESP3 replies start with.
const respTypes = "+-:$*_,#!=(%~>|"

func (p *respParser) feed(b []byte) error {
	if !p.started && len(b) > 0 {
		p.started = true
		if !isRESPType(b[0]) {
			return p.identify(b)
		}
	}
	for i := 0; i < len(b); {
		switch {
		case p.bulkLeft > 0:
			take := min(p.bulkLeft, int64(len(b)-i))
			// The bulk's closing CRLF must sit where its length says.
			if at := p.bulkLeft - 2; at >= 0 && at < take && b[i+int(at)] != '\r' ||
				p.bulkLeft-1 < take && b[i+int(p.bulkLeft-1)] != '\n' {
				return p.broke("a bulk string does not end with CRLF where its length says")
			}
			p.bulkLeft -= take
			i += int(take)
			if err := p.count(take); err != nil {
				return err
			}
			if p.bulkLeft == 0 {
				p.complete()
			}
		case p.inLine:
			j := len(b)
			if k := bytes.IndexByte(b[i:], '\n'); k >= 0 {
				j = i + k
			}
			if len(p.line)+(j-i) > p.lim.maxLine+1 {
				return p.broke(fmt.Sprintf("a reply line is longer than %d bytes", p.lim.maxLine))
			}
			p.line = append(p.line, b[i:j]...)
			if err := p.count(int64(j - i)); err != nil {
				return err
			}
			i = j
			if j < len(b) { // the '\n'
				i++
				if err := p.count(1); err != nil {
					return err
				}
				if len(p.line) == 0 || p.line[len(p.line)-1] != '\r' {
					return p.broke("a reply line does not end with CRLF")
				}
				line := p.line[:len(p.line)-1]
				p.inLine = false
				if err := p.header(p.typ, line); err != nil {
					return err
				}
				p.line = p.line[:0]
			}
		default:
			c := b[i]
			if !isRESPType(c) {
				return p.broke("unexpected byte " + decode.QuoteKey(string(c)) + " where a reply should start")
			}
			p.typ, p.inLine = c, true
			i++
			if err := p.count(1); err != nil {
				return err
			}
		}
	}
	return nil
}

func isRESPType(c byte) bool {
	for i := 0; i < len(respTypes); i++ {
		if respTypes[i] == c {
			return true
		}
	}
	return false
}

// header acts on a complete line of type typ.
func (p *respParser) header(typ byte, line []byte) error {
	switch typ {
	case '+', '-', '_', ',', '#', '(':
		p.complete()
		return nil
	case ':':
		if _, err := strconv.ParseInt(string(line), 10, 64); err != nil {
			return p.broke("an integer reply is not a number: " + p.quote(line))
		}
		p.complete()
		return nil
	}
	n, ok := parseLength(line)
	if !ok || n < -1 {
		return p.broke("a length is not a number: " + p.quote(line))
	}
	switch typ {
	case '$', '!', '=':
		if n == -1 {
			p.complete()
			return nil
		}
		if n > p.lim.maxBulk {
			return p.broke(fmt.Sprintf("a bulk string of %d bytes is announced (limit %d)", n, p.lim.maxBulk))
		}
		p.bulkLeft = n + 2
		return nil
	}
	// Aggregates: * ~ > hold n elements, % and | hold n pairs.
	if n == -1 {
		p.complete()
		return nil
	}
	if typ == '%' || typ == '|' {
		if n > p.lim.maxArray/2 {
			return p.broke(fmt.Sprintf("a map of %d pairs is announced (limit %d)", n, p.lim.maxArray/2))
		}
		n *= 2
	}
	if n > p.lim.maxArray {
		return p.broke(fmt.Sprintf("an array of %d elements is announced (limit %d)", n, p.lim.maxArray))
	}
	p.elems += n
	if p.elems > p.lim.maxElems {
		return p.broke(fmt.Sprintf("a reply announces more than %d elements in all", p.lim.maxElems))
	}
	if n == 0 {
		if typ != '|' {
			p.complete()
		}
		return nil
	}
	if len(p.stack) >= p.lim.maxDepth {
		return p.broke(fmt.Sprintf("a reply nests deeper than %d levels", p.lim.maxDepth))
	}
	p.stack = append(p.stack, respAggregate{left: n, attr: typ == '|'})
	return nil
}

// parseLength parses a RESP length: an optional minus and up to 18
// digits (no overflow possible), without allocating.
func parseLength(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// complete records that one value ended, closing the aggregates it ends.
func (p *respParser) complete() {
	for len(p.stack) > 0 {
		top := &p.stack[len(p.stack)-1]
		top.left--
		if top.left > 0 {
			return
		}
		attr := top.attr
		p.stack = p.stack[:len(p.stack)-1]
		if attr {
			return // the value the attribute annotates is still to come
		}
	}
	p.elems, p.bytes = 0, 0 // a top-level reply ended
}

func (p *respParser) count(n int64) error {
	p.bytes += n
	if p.bytes > p.lim.maxReply {
		return p.broke(fmt.Sprintf("a reply is larger than %d bytes", p.lim.maxReply))
	}
	return nil
}

func (p *respParser) broke(detail string) error { return &ProtocolError{Detail: detail} }

func (p *respParser) quote(b []byte) string {
	if len(b) > p.lim.firstSeen {
		return decode.QuoteKey(string(b[:p.lim.firstSeen])) + "…"
	}
	return decode.QuoteKey(string(b))
}

// identify names what answered instead of a Redis server.
func (p *respParser) identify(b []byte) error {
	e := &ProtocolError{First: true, Detail: p.quote(b)}
	switch {
	case hasPrefixFold(b, "HTTP/"), hasPrefixFold(b, "<!doctype"), hasPrefixFold(b, "<html"):
		e.Speaks = "HTTP"
	case hasPrefixFold(b, "SSH-"):
		e.Speaks = "SSH"
	case len(b) >= 2 && (b[0] == 0x15 || b[0] == 0x16) && b[1] == 0x03:
		e.Speaks = "TLS" // a TLS alert or handshake record
	}
	return e
}

func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		p := prefix[i]
		if 'A' <= p && p <= 'Z' {
			p += 'a' - 'A'
		}
		if c != p {
			return false
		}
	}
	return true
}
