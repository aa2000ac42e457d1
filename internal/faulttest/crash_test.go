package faulttest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/pgcluster"
)

// orderAttempt is one POST /api/v1/orders of the crash test: what was asked, under
// which key, and what came back.
type orderAttempt struct {
	client int
	key    string
	items  map[uuid.UUID]int32
	body   []byte
	status int
	// orderID is set when the answer was 201.
	orderID uuid.UUID
	// failed is a transport error: the request may or may not have reached the server.
	failed error
}

// TestDatabaseCrashUnderOrderTraffic crashes PostgreSQL (pg_ctl stop -m immediate:
// every backend quits at once, connections break mid-transaction) three times while
// twelve clients place orders of one to three products with Idempotency-Keys, and
// starts it again each time. It checks what a client and an operator must be able to
// rely on: every failure is a 503 with Retry-After, never a 500; every 201 order
// exists with its items; stock plus units sold is what it was; no order lacks
// items; retrying with the same keys after the restart replays what was placed and
// places what was not, once; and the log is not flooded with a line per failure.
func TestDatabaseCrashUnderOrderTraffic(t *testing.T) {
	t.Parallel()
	cluster := privateCluster(t)
	dbURL := migratedDB(t, cluster)
	env := apitest.New(t, func(c *config.Config) { c.DatabaseURL = dbURL })

	const (
		clients      = 12
		products     = 8
		initialStock = 1_000_000 // never runs out: every order can succeed
		crashes      = 3
	)
	staff := env.CreateUser(apitest.UserOpts{Role: auth.RoleStaff})
	productIDs := make([]uuid.UUID, products)
	for i := range productIDs {
		productIDs[i] = newProduct(t, env, staff, initialStock)
	}
	customers := make([]apitest.User, clients)
	for i := range customers {
		customers[i] = env.CreateUser(apitest.UserOpts{})
	}

	stop := make(chan struct{})
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		attempts []*orderAttempt
	)
	for i := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			for {
				select {
				case <-stop:
					return
				default:
				}
				a := newOrderAttempt(t, rng, i, productIDs)
				placeOrder(env, customers[i], a)
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
				if a.status == http.StatusServiceUnavailable || a.failed != nil {
					time.Sleep(20 * time.Millisecond) // a client backing off, a little
				}
			}
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	time.Sleep(1500 * time.Millisecond) // the pool fills with connections in use
	logStart := len(env.Logs())
	outageStart := time.Now()
	for i := range crashes {
		require.NoError(t, cluster.Crash(ctx), "crash %d", i+1)
		time.Sleep(1500 * time.Millisecond)
		restarted := time.Now()
		_, err := pgcluster.Start(ctx, cluster.Options())
		require.NoError(t, err, "restart %d", i+1)
		t.Logf("crash %d: PostgreSQL stopped with -m immediate, down 1.5 s, restarted (crash recovery) in %s", i+1, time.Since(restarted))
		time.Sleep(1500 * time.Millisecond) // orders flow again
	}
	close(stop)
	wg.Wait()
	outage := time.Since(outageStart)
	logs := env.Logs()[logStart:]

	statuses := map[int]int{}
	var transportErrors int
	for _, a := range attempts {
		if a.failed != nil {
			transportErrors++
			continue
		}
		statuses[a.status]++
	}
	failedLines := strings.Count(logs, `"msg":"request failed"`)
	t.Logf("%d clients, %d crashes over %s: %d orders tried; answers %v; transport errors %d",
		clients, crashes, outage.Round(time.Millisecond), len(attempts), statuses, transportErrors)
	t.Logf("log during the crashes: %d \"request failed\" lines for %d 5xx answers (each also has its request line)",
		failedLines, statuses[http.StatusServiceUnavailable]+statuses[http.StatusInternalServerError])

	for cause, n := range failureCauses(t, logs) {
		t.Logf("  logged cause (%d lines): %s", n, cause)
	}

	require.Zero(t, statuses[http.StatusInternalServerError], "a crash must be answered 503, never 500")
	require.Zero(t, transportErrors, "every request must be answered")
	for status := range statuses {
		require.Contains(t, []int{http.StatusCreated, http.StatusServiceUnavailable}, status, "unexpected status %d", status)
	}
	require.Positive(t, statuses[http.StatusServiceUnavailable], "no request met the crash; the test proved nothing")
	require.Positive(t, statuses[http.StatusCreated])
	// A few lines a second per cause, however many requests fail.
	require.Less(t, failedLines, maxFailureLinesPerSecond*int(outage.Seconds()+1),
		"repeated failures must be throttled in the log")

	// The database is back: every attempt is retried with its key and body. A placed
	// order is replayed (the same order), one that was not is placed now.
	eventually(t, 30*time.Second, 50*time.Millisecond, "GET /readyz is 200 again", func() bool {
		return send(t, env.HTTP, "GET", env.URL+"/readyz", nil).status == http.StatusOK
	})
	retryStart := time.Now()
	jobs := make(chan *orderAttempt)
	var retryWG sync.WaitGroup
	var replayed, placedOnRetry, retryNot201 int
	for range clients {
		retryWG.Go(func() {
			for a := range jobs {
				r := &orderAttempt{client: a.client, key: a.key, items: a.items, body: a.body}
				placeOrder(env, customers[a.client], r)
				mu.Lock()
				switch {
				case r.failed != nil || r.status != http.StatusCreated:
					retryNot201++
					t.Errorf("retry of key %s: %d %v", a.key, r.status, r.failed)
				case a.status == http.StatusCreated:
					replayed++
					if r.orderID != a.orderID {
						t.Errorf("retry of key %s placed order %s, but %s was answered first", a.key, r.orderID, a.orderID)
					}
				default:
					placedOnRetry++
					a.orderID = r.orderID
				}
				mu.Unlock()
			}
		})
	}
	for _, a := range attempts {
		jobs <- a
	}
	close(jobs)
	retryWG.Wait()
	t.Logf("after the restart, every key retried: %d replayed their 201, %d 503s now 201 (placed then or before the crash), %d not 201",
		replayed, placedOnRetry, retryNot201)
	require.Zero(t, retryNot201)

	checkOrdersInDatabase(t, ctx, dbURL, attempts, productIDs, initialStock)

	// The 503s whose order had committed all the same (the connection broke after
	// COMMIT reached the server): their retry replayed it.
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var ids []uuid.UUID
	for _, a := range attempts {
		if a.status == http.StatusServiceUnavailable {
			ids = append(ids, a.orderID)
		}
	}
	var committedBefore int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM orders WHERE id = ANY($1) AND created_at < $2`,
		ids, retryStart).Scan(&committedBefore))
	t.Logf("%d of the %d orders answered 503 had committed before the retries; their retries replayed them", committedBefore, len(ids))
}

// failureCauses counts the "request failed" log lines by cause, numbers (addresses,
// ports) left out.
func failureCauses(t *testing.T, logs string) map[string]int {
	causes := map[string]int{}
	for line := range strings.Lines(logs) {
		if !strings.Contains(line, `"msg":"request failed"`) {
			continue
		}
		var l struct {
			Cause string `json:"cause"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &l))
		causes[regexp.MustCompile(`[0-9]+`).ReplaceAllLiteralString(l.Cause, "#")]++
	}
	return causes
}

// maxFailureLinesPerSecond bounds the "request failed" lines a second during the
// crashes: a few per cause (connection refused, connection broken, starting up, …).
const maxFailureLinesPerSecond = 30

func newOrderAttempt(t *testing.T, rng *rand.Rand, client int, productIDs []uuid.UUID) *orderAttempt {
	a := &orderAttempt{client: client, key: uuid.NewString(), items: map[uuid.UUID]int32{}}
	type item struct {
		ProductID uuid.UUID `json:"productId"`
		Quantity  int32     `json:"quantity"`
	}
	var items []item
	for _, p := range rng.Perm(len(productIDs))[:1+rng.IntN(3)] {
		q := int32(1 + rng.IntN(3))
		a.items[productIDs[p]] = q
		items = append(items, item{productIDs[p], q})
	}
	body, err := json.Marshal(map[string]any{"items": items})
	require.NoError(t, err)
	a.body = body
	return a
}

// placeOrder sends a's order as u and records the answer in a. Every 503 must be the
// envelope with Retry-After and no driver text.
func placeOrder(env *apitest.Env, u apitest.User, a *orderAttempt) {
	t := env.T
	req, err := http.NewRequest("POST", env.URL+"/api/v1/orders", bytes.NewReader(a.body))
	if err != nil {
		a.failed = err
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+u.Token)
	req.Header.Set("Idempotency-Key", a.key)
	res, err := env.HTTP.Do(req)
	if err != nil {
		a.failed = err
		return
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		a.failed = err
		return
	}
	a.status = res.StatusCode
	switch res.StatusCode {
	case http.StatusCreated:
		var env struct {
			Data struct {
				ID uuid.UUID `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(data, &env); err != nil || env.Data.ID == uuid.Nil {
			t.Errorf("201 without an order id: %s", data)
		}
		a.orderID = env.Data.ID
	case http.StatusServiceUnavailable:
		if ra := res.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("503 with Retry-After %q, want 1", ra)
		}
		lower := strings.ToLower(string(data))
		if !strings.Contains(lower, `"service_unavailable"`) {
			t.Errorf("503 without SERVICE_UNAVAILABLE: %s", data)
		}
		for _, frag := range driverText {
			if strings.Contains(lower, strings.ToLower(frag)) {
				t.Errorf("503 leaks driver text %q: %s", frag, data)
			}
		}
	default:
		t.Errorf("POST /api/v1/orders → %d: %s", res.StatusCode, data)
	}
}

// checkOrdersInDatabase reads the orders back from PostgreSQL: exactly one order per
// key, each with the items its key asked for, none without items, no key claimed
// and left unfinished, and every unit of stock either on hand or sold.
func checkOrdersInDatabase(t *testing.T, ctx context.Context, dbURL string, attempts []*orderAttempt, productIDs []uuid.UUID, initialStock int) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)

	rows, err := conn.Query(ctx, `SELECT o.id, oi.product_id, oi.quantity
		FROM orders o JOIN order_items oi ON oi.order_id = o.id`)
	require.NoError(t, err)
	stored := map[uuid.UUID]map[uuid.UUID]int32{}
	for rows.Next() {
		var order, product uuid.UUID
		var qty int32
		require.NoError(t, rows.Scan(&order, &product, &qty))
		if stored[order] == nil {
			stored[order] = map[uuid.UUID]int32{}
		}
		stored[order][product] = qty
	}
	require.NoError(t, rows.Err())

	var orders, withoutItems, unfinishedKeys int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*),
		count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM order_items oi WHERE oi.order_id = o.id))
		FROM orders o`).Scan(&orders, &withoutItems))
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM idempotency_keys WHERE status IS NULL`).Scan(&unfinishedKeys))
	require.Zero(t, withoutItems, "orders without items")
	require.Zero(t, unfinishedKeys, "idempotency keys claimed but never finished")
	require.Equal(t, len(attempts), orders, "one order per Idempotency-Key: none lost, none placed twice")
	for _, a := range attempts {
		require.Equal(t, a.items, stored[a.orderID], "order %s of key %s holds what was asked", a.orderID, a.key)
	}

	var conserved, total int
	for _, id := range productIDs {
		var stock, sold int
		require.NoError(t, conn.QueryRow(ctx, `SELECT p.stock,
			(SELECT coalesce(sum(quantity), 0) FROM order_items WHERE product_id = p.id)
			FROM products p WHERE p.id = $1`, id).Scan(&stock, &sold))
		require.Equal(t, initialStock, stock+sold, "product %s: stock %d + sold %d", id, stock, sold)
		conserved++
		total += sold
	}
	t.Logf("in the database: %d orders, one per key, each with its items; none without items; stock + sold = %d for all %d products (%d units sold)",
		orders, initialStock, conserved, total)
}
