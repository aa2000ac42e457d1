package auth

import (
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// threadNice is the calling thread's nice value (the raw system call returns 20 - nice).
func threadNice(t *testing.T) int {
	t.Helper()
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	require.NoError(t, err)
	return 20 - p
}

// A Hasher with a nice value computes on its workers' threads of that lower
// priority, always the same ones (the priority is set once per thread, not per
// call), and leaves the caller's priority and GOMAXPROCS alone.
func TestNicedHasherRunsOnLowerPriorityWorkerThreads(t *testing.T) {
	t.Parallel()
	h, err := NewHasherWith(testCost, HasherOptions{MaxConcurrent: 1, Nice: 7})
	require.NoError(t, err)
	runtime.LockOSThread()
	base := threadNice(t)
	runtime.UnlockOSThread()
	procs := runtime.GOMAXPROCS(0)

	var niceInside, tidFirst, tidSecond int
	h.run(func() {
		niceInside = threadNice(t)
		tidFirst = syscall.Gettid()
	})
	h.run(func() { tidSecond = syscall.Gettid() })
	require.Equal(t, min(19, base+7), niceInside, "bcrypt's thread runs at the lowered priority")
	require.Equal(t, tidFirst, tidSecond, "one worker thread, started once, serves every run")
	require.Equal(t, procs, runtime.GOMAXPROCS(0), "GOMAXPROCS is not touched per call")

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	require.Equal(t, base, threadNice(t), "the caller's thread keeps its priority")

	// And the real operations work through it.
	hash, err := h.Hash(t.Context(), "Password1")
	require.NoError(t, err)
	ok, err := h.Verify(t.Context(), hash, "Password1")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, procs, runtime.GOMAXPROCS(0))
	require.Equal(t, 1, ReservedProcs(HasherOptions{MaxConcurrent: 1, Nice: 7}), "serve reserves a P per worker")
	require.Zero(t, ReservedProcs(HasherOptions{MaxConcurrent: 2}), "none without a nice value")
}
