package server

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A burst of the same failure is logged a few times a window; the next line logged
// carries the count left out, and a burst nothing follows is counted at the window's
// end. Other causes have their own allowance.
func TestFailureThrottle(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	flushed := map[string]int{}
	th := newFailureThrottle(3, 50*time.Millisecond, func(cause string, n int) {
		mu.Lock()
		flushed[cause] += n
		mu.Unlock()
	})
	now := time.Now()
	logged := 0
	for i := range 100 {
		if ok, suppressed := th.allow("refused", "refused", now.Add(time.Duration(i)*time.Microsecond)); ok {
			require.Zero(t, suppressed)
			logged++
		}
	}
	require.Equal(t, 3, logged, "three lines in the first window")
	ok, _ := th.allow("eof", "eof", now)
	require.True(t, ok, "another cause is logged")

	// Within the window the rest wait; the timer reports them once the window ends.
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return flushed["refused"] == 97
	}, 5*time.Second, 5*time.Millisecond, "the 97 left out are counted at the window's end")

	// The next window: a line carries what was left out since the flush.
	later := now.Add(time.Second)
	for i := range 5 {
		th.allow("refused", "refused", later.Add(time.Duration(i)*time.Microsecond))
	}
	ok, suppressed := th.allow("refused", "refused", later.Add(time.Second))
	require.True(t, ok)
	require.LessOrEqual(t, suppressed, 2, "two left out in the window before, unless the timer counted them first")
}
