package faulttest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
)

// drainTally counts what a failing-over client saw: requests it meant to make, the
// answers it got, the attempts each instance took and how they went.
type drainTally struct {
	mu        sync.Mutex
	sent      int
	answered  int
	lost      []string
	retries   int
	byStatus  map[string]int // "instance status" of every attempt answered
	dialFails map[string]int // "instance error" of every attempt not answered
	orderIDs  map[uuid.UUID]bool
	orders    int      // order requests answered 201
	draining  string   // the instance that is sent SIGTERM, whose 503s are allowed
	bad5xx    []string // every other 5xx
}

func (d *drainTally) attempt(in *instance, status int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		kind := "error"
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			kind = "connection refused"
		case errors.Is(err, syscall.ECONNRESET):
			kind = "connection reset"
		case strings.Contains(err.Error(), "EOF"), strings.Contains(err.Error(), "server closed idle connection"):
			kind = "connection closed"
		}
		d.dialFails[in.name+" "+kind]++
		return
	}
	d.byStatus[in.name+" "+http.StatusText(status)]++
	if status >= 500 && (status != http.StatusServiceUnavailable || in.name != d.draining) {
		d.bad5xx = append(d.bad5xx, in.name+" "+http.StatusText(status))
	}
}

// retryable says whether a client should try the other instance: the request never
// got an answer, or the answer was 503, which asks for exactly that.
func retryable(status int, err error) bool {
	return err != nil || status == http.StatusServiceUnavailable
}

// testDrainWithFailover keeps eight clients busy on both instances, half their
// requests on each (reads of a product, and orders under an Idempotency-Key, as a
// client that may retry an order sends them), and sends SIGTERM to one of them in
// the middle. A request that gets no answer, or a 503, is retried on the other
// instance. Every request must end answered, with nothing but the 200s and 201s
// asked for, and every order must be in the database exactly once.
func testDrainWithFailover(t *testing.T, bin, redisURL string) {
	a, b, dbURL := startInstances(t, bin, redisURL, map[string]string{"SHUTDOWN_TIMEOUT": "10s"})
	const stock = 1000000
	product := insertProduct(t, dbURL, stock)
	c := registerCustomer(t, a)
	pair := []*instance{a, b}
	tally := &drainTally{byStatus: map[string]int{}, dialFails: map[string]int{}, orderIDs: map[uuid.UUID]bool{}, draining: a.name}

	// one makes the n-th request, first on pair[n%2], then on the other until
	// answered (at most 10 tries: B never stops, so a second try is answered).
	one := func(n int) {
		order := n%3 == 0
		key := uuid.NewString()
		tally.mu.Lock()
		tally.sent++
		tally.mu.Unlock()
		for try := range 10 {
			in := pair[(n+try)%2]
			var status int
			var err error
			var placed *client.CreateOrderResponse
			if order {
				placed, err = in.api.CreateOrderWithResponse(context.Background(), &client.CreateOrderParams{IdempotencyKey: &key},
					client.CreateOrderJSONRequestBody{Items: []client.OrderItemInput{{ProductId: product, Quantity: 1}}},
					apitest.Bearer(c.access))
				if err == nil {
					status = placed.StatusCode()
				}
			} else {
				var res *client.GetProductResponse
				res, err = in.api.GetProductWithResponse(context.Background(), product, nil)
				if err == nil {
					status = res.StatusCode()
				}
			}
			tally.attempt(in, status, err)
			if retryable(status, err) {
				tally.mu.Lock()
				tally.retries++
				tally.mu.Unlock()
				continue
			}
			tally.mu.Lock()
			defer tally.mu.Unlock()
			tally.answered++
			want := http.StatusOK
			if order {
				want = http.StatusCreated
			}
			if status != want {
				tally.lost = append(tally.lost, in.name+": "+http.StatusText(status))
				return
			}
			if order {
				tally.orders++
				tally.orderIDs[placed.JSON201.Data.Id] = true
			}
			return
		}
		tally.mu.Lock()
		tally.lost = append(tally.lost, "no answer after 10 tries")
		tally.mu.Unlock()
	}

	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				one(int(next.Add(1)))
			}
		})
	}
	answered := func() int {
		tally.mu.Lock()
		defer tally.mu.Unlock()
		return tally.answered
	}
	eventually(t, 60*time.Second, 5*time.Millisecond, "300 requests answered before SIGTERM", func() bool { return answered() >= 300 })
	require.NoError(t, a.proc.cmd.Process.Signal(syscall.SIGTERM))
	atSignal := answered()
	code, _ := a.proc.wait(t, 20*time.Second)
	require.Equal(t, 0, code, "A's exit code after SIGTERM")
	atExit := answered()
	eventually(t, 60*time.Second, 5*time.Millisecond, "300 requests answered after A exited", func() bool { return answered() >= atExit+300 })
	close(stop)
	wg.Wait()

	t.Logf("sent %d, answered %d (%d when SIGTERM was sent, %d when A had exited), retried %d attempts on the other instance",
		tally.sent, tally.answered, atSignal, atExit, tally.retries)
	t.Logf("attempts answered: %v; attempts not answered: %v", tally.byStatus, tally.dialFails)
	require.Empty(t, tally.lost, "requests lost or answered with an unexpected status")
	require.Equal(t, tally.sent, tally.answered, "every request sent was answered")
	require.Empty(t, tally.bad5xx, "5xx answers other than the draining instance's 503s")
	require.Positive(t, tally.retries, "no request was retried, so the failover was never exercised")
	require.Len(t, tally.orderIDs, tally.orders, "an order id answered twice")
	require.Equal(t, tally.orders, queryOne[int](t, dbURL, `SELECT count(*) FROM orders WHERE user_id = $1`, c.id),
		"orders in the database: a retry placed one twice, or an answered one is missing")
	require.Equal(t, stock-tally.orders, queryOne[int](t, dbURL, `SELECT stock FROM products WHERE id = $1`, product))
	out := a.proc.out.String()
	require.Contains(t, out, `"msg":"shutting down"`)
	require.Contains(t, out, `"msg":"stopped"`)
	t.Logf("A answered %d requests after SIGTERM: those in flight when it came",
		strings.Count(out[strings.Index(out, `"msg":"shutting down"`):], `"msg":"Incoming request"`))
}
