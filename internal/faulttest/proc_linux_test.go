package faulttest_test

import "syscall"

// dieWithTest makes the kernel kill a subprocess when the test binary dies
// before its cleanup runs (a timeout panic, a signal), so none is left behind.
func dieWithTest(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
