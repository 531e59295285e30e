package redisops

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/rdb"
)

// RDBDownload is a finished RDB download.
type RDBDownload struct {
	Path     string        // the verified file, renamed into place
	Bytes    int64         // its size
	Diskless bool          // the server sent the $EOF:<mark> form
	Duration time.Duration // from the request to the verified file
	Info     rdb.Info
}

// ErrSyncRefused is wrapped by DownloadRDB's error when the server will not
// replicate to this user: SYNC or REPLCONF renamed or blocked (managed
// Valkey), or denied by ACL. The message says which; a logical backup (DUMP
// of every key) is the way left.
var ErrSyncRefused = errors.New("the server refuses to send an RDB over replication")

const (
	// rdbIdleTimeout: the server sends a newline every second while it
	// forks and saves, and data after that; this long a silence means the
	// transfer is dead.
	rdbIdleTimeout = 30 * time.Second
	rdbEOFMarkLen  = 40
	rdbProgress    = 100 * time.Millisecond
	maxReplyLine   = 4096
)

// DownloadRDB asks the server for an RDB over the replication protocol
// (REPLCONF rdb-only, SYNC), the way redis-cli --rdb does, and writes it to
// path, which must not exist, through a temp file in the same directory:
// written, fsynced, verified, then renamed; mode 0600. progress, when set,
// is called with the bytes received and the total (-1 when the diskless
// form gives none).
//
// The transfer runs on a connection of its own, dialed with the client's
// address, TLS settings and credentials, and read by this code alone (the
// replication stream is not RESP). Cancelling ctx closes it at once.
//
// On failure nothing is kept, and the result holds only the bytes received
// before it and the time spent, for the audit log.
func (c *Client) DownloadRDB(ctx context.Context, path string, progress func(received, total int64)) (RDBDownload, error) {
	start := time.Now()
	if c.cluster != nil {
		return RDBDownload{}, c.clusterRefusal(ctx)
	}
	if _, err := os.Lstat(path); err == nil {
		return RDBDownload{}, fmt.Errorf("rdb download: %s exists: it is never overwritten, choose another name", path)
	}
	opts := c.nodes[0].Options()
	conn, err := dialRaw(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return RDBDownload{}, fmt.Errorf("rdb download: %w", ctx.Err())
		}
		return RDBDownload{}, c.scrub(explainConnError(err, c.Addr, c.TLS, opts.Username))
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	s := &replStream{conn: conn, br: bufio.NewReaderSize(conn, 256<<10)}
	d, err := s.download(opts, path, progress)
	if err != nil {
		// Only the bytes received before the failure: no file was kept.
		partial := RDBDownload{Bytes: d.Bytes, Duration: time.Since(start)}
		if ctx.Err() != nil {
			return partial, fmt.Errorf("rdb download: %w", ctx.Err())
		}
		return partial, &scrubbedError{msg: c.scrubMsg(err.Error()), err: err}
	}
	d.Duration = time.Since(start)
	return d, nil
}

// scrubbedError is err with the password taken out of its text; errors.Is
// still sees through it (ErrSyncRefused, rdb.ErrChecksum).
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// clusterRefusal names the masters: each holds its own slots and sends its
// own RDB.
func (c *Client) clusterRefusal(ctx context.Context) error {
	var addrs []string
	var mu sync.Mutex
	_ = c.cluster.ForEachMaster(ctx, func(_ context.Context, n *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		addrs = append(addrs, n.Options().Addr)
		return nil
	})
	slices.Sort(addrs)
	return fmt.Errorf("rdb download: this is a cluster: each master sends its own RDB; download each with --url and the cluster flag off (masters: %s)", strings.Join(addrs, ", "))
}

// dialRaw opens a connection the way the client's pool does (TLS
// included) but without the pool's RESP guard (respguard.go): an RDB
// stream is gigabytes of binary after a "$EOF:<mark>" header, which the
// guard rightly refuses as a reply; replStream bounds what it reads itself.
func dialRaw(ctx context.Context, o *redis.Options) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	defer cancel()
	dial := dialer(o.DialTimeout, o.TLSConfig)
	if o.Network == "unix" {
		dial = unixDialer(o.DialTimeout)
	}
	return dial(dctx, o.Network, o.Addr)
}

// replStream speaks just enough RESP to log in and ask for the RDB.
type replStream struct {
	conn net.Conn
	br   *bufio.Reader
}

func (s *replStream) send(args ...string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(rdbIdleTimeout))
	_, err := s.conn.Write(b.Bytes())
	return err
}

// line reads one reply line (without CRLF), bounded.
func (s *replStream) line() (string, error) {
	_ = s.conn.SetReadDeadline(time.Now().Add(rdbIdleTimeout))
	var b []byte
	for {
		chunk, err := s.br.ReadSlice('\n')
		b = append(b, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) && len(b) < maxReplyLine {
			continue
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", errors.New("a reply line longer than 4 KiB: not a Redis server?")
		}
		return "", err
	}
	if len(b) > maxReplyLine {
		return "", errors.New("a reply line longer than 4 KiB: not a Redis server?")
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// simple sends a command and reads its one-line reply; a server error comes
// back as an error whose text is the reply.
func (s *replStream) simple(args ...string) error {
	if err := s.send(args...); err != nil {
		return err
	}
	l, err := s.line()
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(l, "+"):
		return nil
	case strings.HasPrefix(l, "-"):
		return serverReply(l[1:])
	}
	return fmt.Errorf("unexpected reply to %s: %s", args[0], replyText(l))
}

// serverReply is an error reply, bounded and escaped.
type serverReply string

func (e serverReply) Error() string { return replyText(string(e)) }

func replyText(s string) string {
	s = firstLine(s)
	q := strconv.QuoteToASCII(s)
	return q[1 : len(q)-1]
}

func (s *replStream) download(o *redis.Options, path string, progress func(received, total int64)) (RDBDownload, error) {
	switch {
	case o.Username != "":
		if err := s.simple("AUTH", o.Username, o.Password); err != nil {
			return RDBDownload{}, fmt.Errorf("rdb download: AUTH as %s: %w", o.Username, err)
		}
	case o.Password != "":
		if err := s.simple("AUTH", o.Password); err != nil {
			return RDBDownload{}, fmt.Errorf("rdb download: AUTH: %w", err)
		}
	}
	// capa eof lets a diskless master stream the RDB as it makes it;
	// rdb-only (Redis 7+) tells it no command stream follows. An older
	// server's "unknown option" is fine; a refusal is not.
	for _, args := range [][]string{{"REPLCONF", "capa", "eof"}, {"REPLCONF", "rdb-only", "1"}} {
		if err := s.simple(args...); err != nil {
			var reply serverReply
			if !errors.As(err, &reply) {
				return RDBDownload{}, fmt.Errorf("rdb download: %s: %w", strings.Join(args, " "), err)
			}
			if why := Refusal(err); why != "" {
				return RDBDownload{}, syncRefused("REPLCONF", why)
			}
		}
	}
	if err := s.send("SYNC"); err != nil {
		return RDBDownload{}, fmt.Errorf("rdb download: SYNC: %w", err)
	}
	total, mark, err := s.header()
	if err != nil {
		return RDBDownload{}, err
	}
	dir := filepath.Dir(path)
	removeDeadTemps(dir)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return RDBDownload{}, fmt.Errorf("rdb download: %w", err)
	}
	tmpPath := tmp.Name()
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmpPath) // gone already once linked into place
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return RDBDownload{}, fmt.Errorf("rdb download: %w", err)
	}
	pr := &progressWriter{w: tmp, total: total, fn: progress}
	if mark != nil {
		err = s.copyUntilMark(pr, mark)
	} else {
		err = s.copyN(pr, total)
	}
	if err != nil {
		// What arrived before the cut, for the audit line; nothing is kept.
		return RDBDownload{Bytes: pr.n}, err
	}
	pr.report()
	if err := tmp.Sync(); err != nil {
		return RDBDownload{}, fmt.Errorf("rdb download: sync %s: %w", tmpPath, err)
	}
	if err := tmp.Close(); err != nil {
		return RDBDownload{}, fmt.Errorf("rdb download: %w", err)
	}
	info, err := rdb.VerifyFile(tmpPath)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // the temp file's name means nothing to the reader
		}
		return RDBDownload{}, fmt.Errorf("rdb download: the received RDB fails verification, nothing kept: %w", err)
	}
	// A hard link never replaces an existing file, unlike rename.
	if err := os.Link(tmpPath, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return RDBDownload{}, fmt.Errorf("rdb download: %s appeared meanwhile: it is never overwritten", path)
		}
		return RDBDownload{}, fmt.Errorf("rdb download: %w", err)
	}
	syncDir(dir)
	return RDBDownload{Path: path, Bytes: pr.n, Diskless: mark != nil, Info: info}, nil
}

func syncRefused(command, why string) error {
	remedy := "the server does not offer replication to clients (managed Valkey blocks it)"
	if strings.Contains(why, "NOPERM") {
		remedy = "the user needs the replication permission (ACL +replconf +sync, or +@admin)"
	}
	// A *RefusedError, like BGSAVE's, so that the backup command's
	// fallback to a logical backup (AsRefused) sees it. The callers (the
	// backup command, the Backups tab) offer the logical backup themselves.
	return fmt.Errorf("rdb download: %w", &RefusedError{Command: command, Err: ErrSyncRefused,
		Reason: fmt.Sprintf("%s; %s", why, remedy)})
}

// header skips the keep-alive newlines and reads "$<len>" or
// "$EOF:<40-byte mark>".
func (s *replStream) header() (total int64, mark []byte, err error) {
	for {
		_ = s.conn.SetReadDeadline(time.Now().Add(rdbIdleTimeout))
		b, err := s.br.Peek(1)
		if err != nil {
			return 0, nil, fmt.Errorf("rdb download: waiting for the RDB: %w", timeoutText(err))
		}
		if b[0] != '\n' {
			break
		}
		_, _ = s.br.ReadByte()
	}
	l, err := s.line()
	if err != nil {
		return 0, nil, fmt.Errorf("rdb download: waiting for the RDB: %w", timeoutText(err))
	}
	switch {
	case strings.HasPrefix(l, "-"):
		if why := Refusal(serverReply(l[1:])); why != "" {
			return 0, nil, syncRefused("SYNC", why)
		}
		return 0, nil, fmt.Errorf("rdb download: SYNC: %s", replyText(l[1:]))
	case strings.HasPrefix(l, "$EOF:") && len(l) == 5+rdbEOFMarkLen:
		return -1, []byte(l[5:]), nil
	case strings.HasPrefix(l, "$"):
		n, err := strconv.ParseInt(l[1:], 10, 64)
		if err != nil || n < 9 {
			return 0, nil, fmt.Errorf("rdb download: bad transfer header %q", replyText(l))
		}
		return n, nil, nil
	}
	return 0, nil, fmt.Errorf("rdb download: unexpected reply to SYNC: %s", replyText(l))
}

func timeoutText(err error) error {
	if isTimeout(err) {
		return fmt.Errorf("no data for %s (the connection is dead or the server stalled)", rdbIdleTimeout)
	}
	if errors.Is(err, io.EOF) {
		return errors.New("the server closed the connection")
	}
	return err
}

func (s *replStream) copyN(w *progressWriter, total int64) error {
	buf := make([]byte, 256<<10)
	for w.n < total {
		_ = s.conn.SetReadDeadline(time.Now().Add(rdbIdleTimeout))
		m, err := s.br.Read(buf[:min(int64(len(buf)), total-w.n)])
		if m > 0 {
			if werr := w.write(buf[:m]); werr != nil {
				return werr
			}
		}
		if err != nil {
			return fmt.Errorf("rdb download: transfer cut after %d of %d bytes: %w", w.n, total, timeoutText(err))
		}
	}
	return nil
}

// copyUntilMark writes the diskless stream up to the mark that ends it,
// holding the last 40 bytes back until more arrive. Whatever follows the
// mark is not part of the RDB.
func (s *replStream) copyUntilMark(w *progressWriter, mark []byte) error {
	buf := make([]byte, rdbEOFMarkLen+256<<10)
	held := 0
	for {
		_ = s.conn.SetReadDeadline(time.Now().Add(rdbIdleTimeout))
		m, err := s.br.Read(buf[held:])
		from := max(0, held-rdbEOFMarkLen+1)
		held += m
		if i := bytes.Index(buf[from:held], mark); i >= 0 {
			return w.write(buf[:from+i])
		}
		if held > rdbEOFMarkLen {
			if werr := w.write(buf[:held-rdbEOFMarkLen]); werr != nil {
				return werr
			}
			copy(buf, buf[held-rdbEOFMarkLen:held])
			held = rdbEOFMarkLen
		}
		if err != nil {
			return fmt.Errorf("rdb download: diskless transfer cut after %d bytes, before its end mark: %w", w.n+int64(held), timeoutText(err))
		}
	}
}

// progressWriter counts bytes into the temp file and reports at most
// every rdbProgress.
type progressWriter struct {
	w     io.Writer
	n     int64
	total int64
	fn    func(received, total int64)
	last  time.Time
}

func (p *progressWriter) write(b []byte) error {
	if _, err := p.w.Write(b); err != nil {
		return fmt.Errorf("rdb download: write: %w", err)
	}
	p.n += int64(len(b))
	if p.fn != nil && time.Since(p.last) >= rdbProgress {
		p.last = time.Now()
		p.fn(p.n, p.total)
	}
	return nil
}

func (p *progressWriter) report() {
	if p.fn != nil {
		p.fn(p.n, p.total)
	}
}

// removeDeadTemps removes the temp files of downloads that died without
// cleaning up (cachedeck killed, the machine rebooted): hidden, so the
// listing never shows them, and as big as the RDB. A live download writes
// at least every rdbIdleTimeout or gives up, so a temp file untouched for
// twice that is dead. Best effort.
func removeDeadTemps(dir string) {
	names, _ := filepath.Glob(filepath.Join(dir, ".*"+rdbExt+".*.partial"))
	for _, n := range names {
		if st, err := os.Lstat(n); err == nil && st.Mode().IsRegular() && time.Since(st.ModTime()) > 2*rdbIdleTimeout {
			_ = os.Remove(n)
		}
	}
}

// syncDir makes a new directory entry durable; best effort.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
