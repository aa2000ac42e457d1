//go:build !linux

package faulttest_test

import (
	"os/exec"
	"testing"
)

// startWithTest starts cmd. Killing it with the test binary has no portable
// equivalent outside Linux; the tests' cleanups stop their subprocesses.
func startWithTest(_ *testing.T, cmd *exec.Cmd) error { return cmd.Start() }
