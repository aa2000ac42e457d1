package auth

import "syscall"

// lowerThreadPriority raises the calling OS thread's nice value by n. On Linux
// PRIO_PROCESS with a thread id addresses that one thread. Raising a nice value
// needs no privilege; if it fails anyway, bcrypt simply runs at normal priority.
func lowerThreadPriority(n int) {
	tid := syscall.Gettid()
	cur, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return
	}
	// The raw getpriority system call returns 20 - nice.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(19, 20-cur+n))
}
