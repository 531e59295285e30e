package main

// A real SSH session: Debian's openssh-server on a loopback port with a
// throwaway key, the console run over `ssh -t` inside a pty the test
// holds. That pty never answers a terminal query, as many terminals and
// multiplexers do not, so a console that waited for an answer would hang
// here. `make deps` and .ci/run install openssh-server: never skipped.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/seed"
)

const sshd = "/usr/sbin/sshd"

// sshServer is a running sshd that lets the test's key log in.
type sshServer struct {
	port    int
	key     string // the client's private key
	workdir string
}

func startSSHD(t *testing.T) *sshServer {
	t.Helper()
	if _, err := os.Stat(sshd); err != nil {
		t.Fatalf("%s is missing: apt-get install openssh-server (make deps does it)", sshd)
	}
	// sshd insists on its privilege separation directory.
	require.NoError(t, os.MkdirAll("/run/sshd", 0o755), "sshd needs /run/sshd (run the tests as root, as CI does)")
	dir := t.TempDir()
	for _, name := range []string{"host_key", "id"} {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, name)).CombinedOutput()
		require.NoError(t, err, "ssh-keygen: %s", out)
	}
	pub, err := os.ReadFile(filepath.Join(dir, "id.pub"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600))
	port := redistest.FreePort(t)
	conf := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PidFile %s
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AcceptEnv NO_COLOR
PrintMotd no
PrintLastLog no
Banner none
`, port, filepath.Join(dir, "host_key"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"))
	confPath := filepath.Join(dir, "sshd_config")
	require.NoError(t, os.WriteFile(confPath, []byte(conf), 0o600))
	cmd := exec.Command(sshd, "-D", "-e", "-f", confPath)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd log:\n%s", log.String())
		}
	})
	s := &sshServer{port: port, key: filepath.Join(dir, "id"), workdir: dir}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := exec.Command("ssh", append(s.args(), "true")...).CombinedOutput()
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd on port %d does not let the test in: %v: %s\nsshd log:\n%s", port, err, out, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *sshServer) args() []string {
	return []string{"-i", s.key, "-p", strconv.Itoa(s.port),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
		"-o", "LogLevel=ERROR", "-o", "SendEnv=NO_COLOR", "127.0.0.1"}
}

// session is `ssh -t` running the console, seen through the test's pty.
type session struct {
	t     *testing.T
	pty   *os.File
	cmd   *exec.Cmd
	start time.Time

	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	err  error
}

func (s *sshServer) console(t *testing.T, bin, redisURL, term string, env []string, cols, rows uint16) *session {
	t.Helper()
	state := t.TempDir()
	remote := fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --url %s", state, state, bin, redisURL)
	cmd := exec.Command("ssh", append(append([]string{"-t"}, s.args()...), remote)...)
	cmd.Env = append([]string{"TERM=" + term, "HOME=" + s.workdir, "PATH=" + os.Getenv("PATH")}, env...)
	se := &session{t: t, cmd: cmd, done: make(chan struct{}), start: time.Now()}
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: cols, Rows: rows})
	require.NoError(t, err)
	se.pty = f
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := f.Read(buf)
			se.mu.Lock()
			se.out.Write(buf[:n])
			se.mu.Unlock()
			if err != nil {
				break
			}
		}
		se.err = cmd.Wait()
		close(se.done)
	}()
	t.Cleanup(func() {
		select {
		case <-se.done:
		default:
			_ = cmd.Process.Kill()
			<-se.done
		}
		_ = f.Close()
	})
	return se
}

func (se *session) output() string {
	se.mu.Lock()
	defer se.mu.Unlock()
	return se.out.String()
}

func (se *session) size() int {
	se.mu.Lock()
	defer se.mu.Unlock()
	return se.out.Len()
}

// waitFor waits until the output holds want and returns how long it took
// since the session started. The 30 s limit is a hang guard, not a
// performance assertion.
func (se *session) waitFor(want string) time.Duration {
	se.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(se.output(), want) {
		if time.Now().After(deadline) {
			se.t.Fatalf("no %q on the terminal after 30 s; it shows:\n%q", want, tail(se.output(), 2000))
		}
		select {
		case <-se.done:
			if !strings.Contains(se.output(), want) {
				se.t.Fatalf("the session ended (%v) without %q; it showed:\n%q", se.err, want, tail(se.output(), 2000))
			}
		case <-time.After(5 * time.Millisecond):
		}
	}
	return time.Since(se.start)
}

// settle waits until the output stops growing for quiet.
func (se *session) settle(quiet time.Duration) {
	last, since := se.size(), time.Now()
	for time.Since(since) < quiet {
		time.Sleep(10 * time.Millisecond)
		if n := se.size(); n != last {
			last, since = n, time.Now()
		}
	}
}

func (se *session) press(keys string) {
	_, err := se.pty.Write([]byte(keys))
	require.NoError(se.t, err)
}

// quit presses q and waits for ssh to end.
func (se *session) quit() {
	se.t.Helper()
	se.press("q")
	select {
	case <-se.done:
	case <-time.After(30 * time.Second):
		se.t.Fatalf("q did not end the session; the terminal shows:\n%q", tail(se.output(), 2000))
	}
	assert.NoError(se.t, se.err, "ssh exits 0 after q")
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

var privateMode = regexp.MustCompile(`\x1b\[\?([0-9;]+)([hl])`)

// assertTerminalClean checks that every private mode the console set (alt
// screen, mouse, bracketed paste, focus events, …) was reset at the end,
// and that the cursor is visible again.
func assertTerminalClean(t *testing.T, out string) {
	t.Helper()
	final := map[string]string{}
	for _, m := range privateMode.FindAllStringSubmatch(out, -1) {
		for _, mode := range strings.Split(m[1], ";") {
			final[mode] = m[2]
		}
	}
	for mode, state := range final {
		switch mode {
		case "25", "7": // cursor visible, autowrap: on is the clean state
			assert.Equal(t, "h", state, "mode ?%s left off", mode)
		default:
			assert.Equal(t, "l", state, "mode ?%s left on", mode)
		}
	}
	if _, ok := final["1049"]; ok {
		assert.Equal(t, "l", final["1049"], "the alternate screen is left")
	}
}

var sgrColour = regexp.MustCompile(`\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;[0-9;]*)?m`)

func TestConsoleOverRealSSH(t *testing.T) {
	ssh := startSSHD(t)
	bin := filepath.Join(t.TempDir(), "cachedeck")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	srv := redistest.Standalone(t)
	rdbURL := srv.URL()
	{
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c := clientFor(t, rdbURL)
		_, err := seed.Seed(ctx, c, seed.Options{Keys: 2000, Seed: 1})
		require.NoError(t, err)
	}

	cases := []struct {
		term string
		env  []string
	}{
		{"xterm-256color", nil},
		{"screen", nil},
		{"tmux-256color", nil},
		{"dumb", nil},
		{"xterm-256color", []string{"NO_COLOR=1"}},
	}
	for _, tc := range cases {
		name := tc.term + strings.Join(tc.env, "")
		t.Run(name, func(t *testing.T) {
			// The same ssh running `true`: the handshake's share of the wait.
			t0 := time.Now()
			require.NoError(t, exec.Command("ssh", append(ssh.args(), "true")...).Run())
			handshake := time.Since(t0)
			se := ssh.console(t, bin, rdbURL, tc.term, tc.env, 100, 30)
			first := se.waitFor("Keys")
			se.waitFor("2,000 keys")
			se.settle(300 * time.Millisecond)
			frameBytes := se.size()
			t.Logf("TERM=%s %v: first frame %s after ssh started; `ssh host true` alone takes %s (target 1 s; load %s); %d bytes until the scan settled",
				tc.term, tc.env, first.Round(time.Millisecond), handshake.Round(time.Millisecond), loadavg(), frameBytes)

			// One row down: only what changed goes over the wire.
			before := se.size()
			se.press("j")
			se.settle(300 * time.Millisecond)
			perRow := se.size() - before
			t.Logf("TERM=%s %v: a one-row move sent %d bytes", tc.term, tc.env, perRow)
			assert.Positive(t, perRow, "the move is drawn")
			assert.Less(t, perRow, frameBytes/2, "a row move is not a full repaint")

			if len(tc.env) > 0 {
				assert.Empty(t, sgrColour.FindAllString(se.output(), 5), "NO_COLOR: no colour escape sequences")
			}
			se.quit()
			assertTerminalClean(t, se.output())
		})
	}

	t.Run("resize storm", func(t *testing.T) {
		se := ssh.console(t, bin, rdbURL, "xterm-256color", nil, 100, 30)
		se.waitFor("2,000 keys")
		for i := range 60 {
			require.NoError(t, pty.Setsize(se.pty, &pty.Winsize{Cols: uint16(40 + i*3%120), Rows: uint16(10 + i%40)}))
			time.Sleep(2 * time.Millisecond)
		}
		require.NoError(t, pty.Setsize(se.pty, &pty.Winsize{Cols: 90, Rows: 25}))
		se.settle(500 * time.Millisecond)
		// Still alive and answering keys after the storm.
		mark := se.size()
		se.press("j")
		se.settle(300 * time.Millisecond)
		assert.Greater(t, se.size(), mark, "the console still answers after the storm")
		se.quit()
		assertTerminalClean(t, se.output())
	})
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func clientFor(t *testing.T, url string) *redis.Client {
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}
