//go:build !linux

package faulttest_test

import "syscall"

// dieWithTest has no portable equivalent outside Linux; the tests' cleanups stop
// their subprocesses.
func dieWithTest(*syscall.SysProcAttr) {}
