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

// A Hasher with a nice value computes on a thread of that lower priority, lends the
// scheduler a P for the time, and leaves neither the priority nor the P behind.
//
// Not parallel: it reads GOMAXPROCS, which every niced Hasher changes.
func TestNicedHasherRunsOnALowerPriorityThreadWithItsOwnP(t *testing.T) {
	h, err := NewHasherWith(testCost, HasherOptions{MaxConcurrent: 1, Nice: 7})
	require.NoError(t, err)
	runtime.LockOSThread()
	base := threadNice(t)
	runtime.UnlockOSThread()
	procs := runtime.GOMAXPROCS(0)

	var niceInside, procsInside int
	h.run(func() {
		niceInside = threadNice(t)
		procsInside = runtime.GOMAXPROCS(0)
	})
	require.Equal(t, min(19, base+7), niceInside, "bcrypt's thread runs at the lowered priority")
	require.Equal(t, procs+1, procsInside, "bcrypt gets a P of its own while it runs")
	require.Equal(t, procs, runtime.GOMAXPROCS(0), "the P is given back")

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
}
