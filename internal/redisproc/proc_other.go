//go:build !linux

package redisproc

import (
	"os/exec"
	"syscall"
)

// sysProcAttr: Pdeathsig and the process-group handling are Linux-only; on
// other systems a server outlives a crashed parent and must be stopped by hand.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
