package redisproc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopTimeout is how long Stop waits after SIGTERM before SIGKILL.
const stopTimeout = 5 * time.Second

// probeTimeout bounds one readiness probe, so that a stuck probe does not
// delay noticing that the process exited; a slow probe is simply retried.
const probeTimeout = 250 * time.Millisecond

// portAttempts is how many fresh ports Start tries when the chosen one was
// taken between probing it and redis-server binding it.
const portAttempts = 3

// Server is a running redis-server. Stop it when done.
type Server struct {
	Addr string // 127.0.0.1:port
	Port int
	Dir  string // holds redis.conf, redis.log, redis-server.out

	tlsConf *tls.Config // non-nil: TLS-only server; also used to probe readiness
	busPort int         // cluster bus port, 0 unless a cluster node
	ownsDir bool        // Start created Dir, so Stop removes it

	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd.Wait has returned
	waitErr error         // cmd.Wait's result; read only after exited is closed

	stopOnce sync.Once
	stopErr  error
}

// errPortInUse marks a start that failed because the port was taken.
var errPortInUse = errors.New("port already in use")

// Start runs redis-server as configured and returns once it accepts
// connections. ctx bounds only the start-up, not the server's lifetime: the
// server runs until Stop (or until this process dies, see sysProcAttr).
// On failure nothing is left running and the error quotes the server's log.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	bin, err := LookPath()
	if err != nil {
		return nil, err
	}
	var tlsConf *tls.Config
	if cfg.TLS != nil {
		if err := cfg.TLS.validate(); err != nil {
			return nil, err
		}
		pool, err := loadCAPool(cfg.TLS.CAFile)
		if err != nil {
			return nil, err
		}
		tlsConf = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}

	dir, ownsDir := cfg.Dir, false
	if dir == "" {
		if dir, err = os.MkdirTemp("", "redisproc-"); err != nil {
			return nil, fmt.Errorf("redisproc: create temp dir: %w", err)
		}
		ownsDir = true
	}
	// redis-server chdirs into "dir"; absolute paths keep logfile etc. valid.
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("redisproc: %w", err)
	}

	for attempt := 1; ; attempt++ {
		s, err := launch(ctx, bin, cfg, dir, tlsConf)
		if err == nil {
			s.ownsDir = ownsDir
			return s, nil
		}
		if !errors.Is(err, errPortInUse) || attempt == portAttempts {
			if ownsDir {
				_ = os.RemoveAll(dir)
			}
			return nil, err
		}
	}
}

// launch makes one attempt on freshly probed ports.
func launch(ctx context.Context, bin string, cfg Config, dir string, tlsConf *tls.Config) (*Server, error) {
	port, err := pickPort()
	if err != nil {
		return nil, err
	}
	busPort := 0
	for cfg.cluster && (busPort == 0 || busPort == port) {
		if busPort, err = pickPort(); err != nil {
			return nil, err
		}
	}

	confPath := filepath.Join(dir, confFileName)
	// 0600: the file may hold requirepass and ACL passwords.
	if err := os.WriteFile(confPath, []byte(renderConfig(cfg, dir, port, busPort)), 0o600); err != nil {
		return nil, fmt.Errorf("redisproc: write %s: %w", confPath, err)
	}
	// A previous attempt's log would be quoted in this attempt's errors.
	_ = os.Remove(filepath.Join(dir, logFileName))
	out, err := os.OpenFile(filepath.Join(dir, outputFileName), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("redisproc: %w", err)
	}
	defer out.Close() // the child keeps its own copy of the descriptor

	cmd := exec.Command(bin, confPath)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("redisproc: run %s: %w", bin, err)
	}

	s := &Server{
		Addr:    "127.0.0.1:" + strconv.Itoa(port),
		Port:    port,
		Dir:     dir,
		tlsConf: tlsConf,
		busPort: busPort,
		cmd:     cmd,
		exited:  make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx, cfg.StartTimeout); err != nil {
		return nil, err
	}
	return s, nil
}

// waitReady polls until the server answers, it exits, ctx ends or timeout passes.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		probeErr := s.probe(ctx)
		if probeErr == nil {
			return nil
		}
		select {
		case <-s.exited:
			return s.startFailed(fmt.Sprintf("redis-server exited during start-up (%v)", s.waitErr))
		case <-ctx.Done():
			return s.startFailed(fmt.Sprintf("start of redis-server on %s cancelled: %v", s.Addr, ctx.Err()))
		case <-deadline.C:
			return s.startFailed(fmt.Sprintf("redis-server did not accept connections on %s within %v (last attempt: %v)",
				s.Addr, timeout, probeErr))
		case <-tick.C:
		}
	}
}

// readyLine is what redis-server logs (at notice level) once it has bound its
// ports and enters its event loop; 7.2+ appends " tcp" or " tls".
const readyLine = "Ready to accept connections"

// probe succeeds once this server answers. The log line comes first: it
// proves that our process bound the port, so the probe cannot be answered by
// some other server that took the port while ours failed to start. Then any
// RESP reply but LOADING counts, NOAUTH included: the server is up, it just
// wants a password. For TLS a completed handshake is enough, so the probe
// needs no client certificate even when tls-auth-clients is yes.
func (s *Server) probe(ctx context.Context) error {
	log, _ := os.ReadFile(filepath.Join(s.Dir, logFileName))
	if !strings.Contains(string(log), readyLine) {
		return fmt.Errorf("no %q in %s yet", readyLine, logFileName)
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	c, err := dialRESP(ctx, s.Addr, s.tlsConf)
	if err != nil {
		return err
	}
	defer c.Close()
	if s.tlsConf != nil {
		return nil
	}
	_, err = c.do(probeTimeout, "PING")
	var reply redisError
	if errors.As(err, &reply) && !strings.HasPrefix(string(reply), "LOADING") {
		return nil
	}
	return err
}

// startError is a failed start; it matches errPortInUse when the log says
// the port was taken, so Start retries on another port.
type startError struct {
	msg       string
	portInUse bool
}

func (e *startError) Error() string        { return e.msg }
func (e *startError) Is(target error) bool { return target == errPortInUse && e.portInUse }

// startFailed kills the half-started server and builds an error quoting its logs.
func (s *Server) startFailed(reason string) error {
	s.kill()
	tail := s.LogTail(20)
	return &startError{
		msg:       "redisproc: " + reason + "\n" + tail,
		portInUse: strings.Contains(tail, "Address already in use"),
	}
}

// kill SIGKILLs the server (and its forks, via the process group) and reaps it.
func (s *Server) kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	killGroup(s.cmd)
	<-s.exited
}

// URL is the server's address as a redis:// (or rediss:// for TLS) URL.
func (s *Server) URL() string {
	if s.tlsConf != nil {
		return "rediss://" + s.Addr
	}
	return "redis://" + s.Addr
}

// Stop ends the server: SIGTERM, up to 5 s for a clean exit, then SIGKILL.
// It removes Dir if Start created it. Safe to call more than once, and on nil.
func (s *Server) Stop() error {
	if s == nil {
		return nil
	}
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	select {
	case <-s.exited: // already gone (crashed, or killed by a test)
	default:
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			killGroup(s.cmd)
		}
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			s.kill()
		}
	}
	if s.ownsDir {
		if err := os.RemoveAll(s.Dir); err != nil {
			return fmt.Errorf("redisproc: remove %s: %w", s.Dir, err)
		}
	}
	return nil
}

// Exited is closed once the redis-server process has ended, for whatever reason.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// LogTail returns the last lines of redis.log and of redis-server's
// stdout/stderr (where fatal config errors go), for error messages.
func (s *Server) LogTail(lines int) string {
	var b strings.Builder
	for _, name := range []string{logFileName, outputFileName} {
		text := tailLines(filepath.Join(s.Dir, name), lines)
		if text == "" {
			continue
		}
		fmt.Fprintf(&b, "--- last lines of %s ---\n%s\n", filepath.Join(s.Dir, name), text)
	}
	if b.Len() == 0 {
		return "(redis-server wrote no log)"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// tailLines returns up to n last lines of a (small) file, "" if unreadable.
func tailLines(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return strings.TrimSpace(strings.Join(all, "\n"))
}
