package redisproc

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts redis-server in its own process group, so a forced stop
// also kills any child it forked (BGSAVE), and asks the kernel to SIGKILL it
// if this process dies without calling Stop (test binary killed on timeout,
// `cachedeck demo` crashing). Pdeathsig fires when the forking OS thread
// exits; Go only ends threads of goroutines that exit while locked with
// runtime.LockOSThread, so do not call Start from such a goroutine.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup SIGKILLs redis-server's process group (its pgid is its pid).
// Only called while the server has not been reaped, so the group is ours.
func killGroup(cmd *exec.Cmd) {
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		_ = cmd.Process.Kill()
	}
}
