package server

import (
	"sync"
	"time"
)

// failureThrottle bounds how often the same failure is logged. During an outage every
// request fails with the same cause; one "request failed" line each would bury
// everything else (thousands of lines a second), while a few a second, each with the
// count of the ones left out since, say as much. The request log line of every request
// is not throttled.
type failureThrottle struct {
	perWindow int
	window    time.Duration
	flush     func(cause string, suppressed int) // logs the count left at a window's end

	mu   sync.Mutex
	keys map[string]*throttleWindow
}

type throttleWindow struct {
	cause      string // the latest left out, for the line that counts them
	start      time.Time
	logged     int
	suppressed int
	flushing   bool
}

// maxThrottleKeys bounds the memory the throttle holds should causes vary a lot
// (every key lives one window at most beyond its last use).
const maxThrottleKeys = 1024

func newFailureThrottle(perWindow int, window time.Duration, flush func(cause string, suppressed int)) *failureThrottle {
	return &failureThrottle{perWindow: perWindow, window: window, flush: flush, keys: map[string]*throttleWindow{}}
}

// allow reports whether a failure with this key (its cause, less what differs
// between occurrences of the same failure) is logged now; when it is, suppressed is
// how many with the same key were left out since the last one logged.
func (t *failureThrottle) allow(key, cause string, now time.Time) (ok bool, suppressed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.keys[key]
	if w == nil || now.Sub(w.start) >= t.window {
		if w == nil && len(t.keys) >= maxThrottleKeys {
			t.forgetIdle(now)
		}
		if w == nil {
			w = &throttleWindow{}
			t.keys[key] = w
		}
		suppressed, w.suppressed = w.suppressed, 0
		w.start, w.logged = now, 0
	}
	if w.logged < t.perWindow {
		w.logged++
		return true, suppressed
	}
	w.suppressed++
	w.cause = cause
	if !w.flushing {
		// Report the count at the window's end even if no failure follows, so the
		// last burst of an outage is not lost.
		w.flushing = true
		time.AfterFunc(t.window-now.Sub(w.start), func() { t.flushKey(key) })
	}
	return false, 0
}

func (t *failureThrottle) flushKey(key string) {
	t.mu.Lock()
	w := t.keys[key]
	n, cause := 0, ""
	if w != nil {
		w.flushing = false
		n, w.suppressed, cause = w.suppressed, 0, w.cause
	}
	t.mu.Unlock()
	if n > 0 {
		t.flush(cause, n)
	}
}

// forgetIdle drops the keys whose window has passed with nothing left to report.
func (t *failureThrottle) forgetIdle(now time.Time) {
	for k, w := range t.keys {
		if now.Sub(w.start) >= t.window && w.suppressed == 0 && !w.flushing {
			delete(t.keys, k)
		}
	}
}
