package faulttest_test

import (
	"os/exec"
	"runtime"
	"syscall"
	"testing"
)

// startWithTest starts cmd so that the kernel kills it if the test binary dies
// before its cleanup runs (a timeout panic, a signal), so none is left behind.
//
// Pdeathsig fires when the OS thread that started the child exits, not the
// process, and Go does retire threads: whenever a goroutine ends locked to one, as
// every low-priority bcrypt run does (internal/auth). So the child is started from
// a goroutine locked to its thread, which stays parked there until the test ends;
// the cleanups registered after this call (which stop the child) run first.
func startWithTest(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	started, release := make(chan error), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		started <- cmd.Start()
		<-release
	}()
	t.Cleanup(func() { close(release) })
	return <-started
}
