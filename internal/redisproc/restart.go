package redisproc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Kill ends the server at once with SIGKILL, as a crash or an OOM kill
// would: no save, connections cut. Restart brings it back.
func (s *Server) Kill() { s.kill() }

// Restart kills the server if it still runs and starts it again on the
// same port with the same configuration, returning once it accepts
// connections. Its dataset is what its persistence kept (nothing with the
// default save "" and appendonly no), and its run_id is new.
func (s *Server) Restart(ctx context.Context) error {
	s.kill()
	out, err := os.OpenFile(filepath.Join(s.Dir, outputFileName), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("redisproc: %w", err)
	}
	defer out.Close()
	// The next readiness probe waits for this start's "ready" log line.
	_ = os.Remove(filepath.Join(s.Dir, logFileName))
	cmd := exec.Command(s.cmd.Path, s.cmd.Args[1:]...)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redisproc: restart %s: %w", s.Addr, err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited = cmd, exited
	go func() {
		s.waitErr = cmd.Wait()
		close(exited)
	}()
	return s.waitReady(ctx, DefaultStartTimeout)
}
