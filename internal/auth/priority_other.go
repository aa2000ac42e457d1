//go:build !linux

package auth

// lowerThreadPriority does nothing where per-thread priorities are not available;
// bcrypt is still bounded by the Hasher's semaphore.
func lowerThreadPriority(int) {}
