// Package profiling serves Go's runtime profiles (net/http/pprof) for DEBUG_ADDR's
// private listener. The handler it returns serves those and nothing else, and the
// public server never mounts it: profiles show the program's insides (command line,
// goroutine stacks, heap contents' shape) and cost CPU to take, so only an operator
// who can reach the private address may take them.
package profiling

import (
	"net/http"
	"net/http/pprof"
)

// Handler serves /debug/pprof/ (the index, and every named profile below it:
// heap, goroutine, allocs, block, mutex, threadcreate), /debug/pprof/profile (a CPU
// profile, ?seconds=N), /debug/pprof/trace, /debug/pprof/cmdline and
// /debug/pprof/symbol; every other path is 404. It is a mux of its own, not
// http.DefaultServeMux, so nothing else registered there is exposed.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
