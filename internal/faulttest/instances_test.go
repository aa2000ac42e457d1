package faulttest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/pgtest"
	"github.com/shopfloor/shopfloor/internal/redistest"
)

// TestTwoInstances runs the built binary as operators deploy it beyond one machine:
// two `shopfloor serve` processes on one database and one Redis, reached by one
// client as a load balancer would spread it, and shows that they behave as one
// service. Every response is checked against the spec.
//
// Not parallel with the package's other tests: its subtests keep up to ten processes
// busy, and TestBinary's shutdown test needs a login with bcrypt cost 14 to finish
// within its SHUTDOWN_TIMEOUT; they run once this one is done.
func TestTwoInstances(t *testing.T) {
	bin := buildBinary(t)
	redisURL := redistest.URL(t)
	t.Run("the same Idempotency-Key sent to both at once places one order, and both answer with it", func(t *testing.T) {
		t.Parallel()
		testIdempotencyAcrossInstances(t, bin, redisURL)
	})
	t.Run("a refresh token spent on one and replayed on the other revokes its family on both", func(t *testing.T) {
		t.Parallel()
		testRefreshReuseAcrossInstances(t, bin, redisURL)
	})
	t.Run("a rate limit is counted once, in Redis, for both", func(t *testing.T) {
		t.Parallel()
		testRateLimitAcrossInstances(t, bin, redisURL)
	})
	t.Run("SIGTERM to one while both serve loses no request of a client that retries on the other", func(t *testing.T) {
		t.Parallel()
		testDrainWithFailover(t, bin, redisURL)
	})
	t.Run("migrate started several times at once on an empty database applies each migration once", func(t *testing.T) {
		t.Parallel()
		testConcurrentMigrations(t, bin)
	})
}

// instance is one `shopfloor serve` process of a pair and the clients that reach it.
type instance struct {
	name string
	base string
	proc *process
	api  *client.ClientWithResponses
	http *http.Client // raw requests, checked against the spec too
}

// startInstances starts two serve processes on the same new database and the same
// Redis, with the given settings on top of a working configuration, and waits until
// both serve. It returns them and the database's URL. The auth rate limits are
// lifted unless set: their per-IP keys in the machine's Redis are shared with every
// other test run on the machine.
func startInstances(t *testing.T, bin, redisURL string, set map[string]string) (a, b *instance, dbURL string) {
	t.Helper()
	dbURL = pgtest.NewDB(t)
	var pair [2]*instance
	for i, name := range []string{"A", "B"} {
		addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		env := serveEnvOn(dbURL, addr)
		env["REDIS_URL"] = redisURL
		env["BCRYPT_COST"] = "10"
		env["BCRYPT_QUEUE_TIMEOUT"] = "0" // registrations wait for bcrypt under the test machine's load
		for _, k := range []string{"RATE_LIMIT_LOGIN", "RATE_LIMIT_REGISTER", "RATE_LIMIT_REFRESH"} {
			env[k] = "100000/1m"
		}
		for k, v := range set {
			env[k] = v
		}
		p := startShopfloor(t, bin, env, "serve")
		in := &instance{name: name, base: "http://" + addr, proc: p}
		in.api, in.http = apitest.ClientFor(t, in.base, &http.Transport{MaxIdleConnsPerHost: 32})
		pair[i] = in
	}
	for _, in := range pair {
		waitHealthy(t, in.proc, in.http, in.base)
	}
	return pair[0], pair[1], dbURL
}

// customerPassword is the password of every customer registerCustomer makes.
const customerPassword = "Two-Instances-2026"

// customer is a customer registered through an instance, with its first session.
type customer struct {
	id                     uuid.UUID
	email, access, refresh string
}

// registerCustomer registers a new customer through in.
func registerCustomer(t *testing.T, in *instance, editors ...client.RequestEditorFn) customer {
	t.Helper()
	res, err := in.api.RegisterUserWithResponse(context.Background(), client.RegisterUserJSONRequestBody{
		Email: client.Email("two-" + uuid.NewString()[:8] + "@example.com"), Password: customerPassword, Name: "Two Instances"}, editors...)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	d := res.JSON201.Data
	return customer{id: d.User.Id, email: string(d.User.Email), access: d.Tokens.AccessToken, refresh: d.Tokens.RefreshToken}
}

// insertProduct adds a product with the given stock straight into the database and
// returns its id: the tests here are about the instances, not the catalog.
func insertProduct(t *testing.T, dbURL string, stock int) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var id uuid.UUID
	require.NoError(t, conn.QueryRow(ctx,
		`INSERT INTO products (sku, name, price_cents, stock) VALUES ($1, 'Two Instance Widget', 700, $2) RETURNING id`,
		"TI-"+strings.ToUpper(uuid.NewString()[:8]), stock).Scan(&id))
	return id
}

// atOnce calls do(0) … do(n-1), each in a goroutine of its own, releasing them all at
// the same moment, and waits for them: requests really in flight together, as a
// load balancer sends a client's retry while the first attempt still runs.
func atOnce(n int, do func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			do(i)
		})
	}
	close(start)
	wg.Wait()
}

// queryOne runs one statement that returns one value.
func queryOne[T any](t *testing.T, dbURL, sql string, args ...any) T {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var v T
	require.NoError(t, conn.QueryRow(ctx, sql, args...).Scan(&v), sql)
	return v
}

// timedOrder is one CreateOrder answer and when it was sent and received.
type timedOrder struct {
	res        *client.CreateOrderResponse
	err        error
	sent, recv time.Time
}

// testIdempotencyAcrossInstances sends, round after round, one key to both instances
// at the same moment (two goroutines released together, on connections already
// open): each round places exactly one order, and both instances answer 201 with the
// same body. Every fifth round sends the two a different quantity under the key: one
// order, one 201, one 409 IDEMPOTENCY_CONFLICT.
func testIdempotencyAcrossInstances(t *testing.T, bin, redisURL string) {
	a, b, dbURL := startInstances(t, bin, redisURL, nil)
	const stock = 100000
	rounds := 40
	product := insertProduct(t, dbURL, stock)
	c := registerCustomer(t, a)
	ctx := context.Background()
	for _, in := range []*instance{a, b} { // open a connection to each before the rounds
		res, err := in.api.GetProductWithResponse(ctx, product, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	}

	pair := []*instance{a, b}
	order := func(in *instance, key string, quantity int32) (*client.CreateOrderResponse, error) {
		return in.api.CreateOrderWithResponse(ctx, &client.CreateOrderParams{IdempotencyKey: &key},
			client.CreateOrderJSONRequestBody{Items: []client.OrderItemInput{{ProductId: product, Quantity: quantity}}},
			apitest.Bearer(c.access))
	}
	overlapped, conflicts, units := 0, 0, 0
	ids := map[uuid.UUID]bool{}
	for round := range rounds {
		key := uuid.NewString()
		quantity := [2]int32{2, 2}
		differ := round%5 == 4
		if differ {
			quantity[1] = 3
		}
		var got [2]timedOrder
		atOnce(2, func(i int) {
			got[i].sent = time.Now()
			got[i].res, got[i].err = order(pair[i], key, quantity[i])
			got[i].recv = time.Now()
		})
		for i, g := range got {
			require.NoError(t, g.err, "round %d, instance %d", round, i)
		}
		ra, rb := got[0].res, got[1].res
		if got[0].sent.Before(got[1].recv) && got[1].sent.Before(got[0].recv) {
			overlapped++
		}
		if !differ {
			require.Equal(t, http.StatusCreated, ra.StatusCode(), "round %d, A: %s", round, ra.Body)
			require.Equal(t, http.StatusCreated, rb.StatusCode(), "round %d, B: %s", round, rb.Body)
			require.Equal(t, ra.JSON201.Data.Id, rb.JSON201.Data.Id, "round %d: two orders for one key", round)
			require.True(t, bytes.Equal(ra.Body, rb.Body), "round %d: the two answers differ:\nA: %s\nB: %s", round, ra.Body, rb.Body)
			ids[ra.JSON201.Data.Id] = true
			units += 2
			continue
		}
		// A different body under the same key: whichever came second is refused.
		placed, refused := ra, rb
		if ra.StatusCode() != http.StatusCreated {
			placed, refused = rb, ra
		}
		require.Equal(t, http.StatusCreated, placed.StatusCode(), "round %d: %s / %s", round, ra.Body, rb.Body)
		require.Equal(t, http.StatusConflict, refused.StatusCode(), "round %d: %s", round, refused.Body)
		require.Equal(t, client.IDEMPOTENCYCONFLICT, refused.JSON409.Error.Code, string(refused.Body))
		ids[placed.JSON201.Data.Id] = true
		units += int(placed.JSON201.Data.Items[0].Quantity)
		conflicts++
	}
	t.Logf("%d rounds, %d with both requests in flight at once, %d with different bodies (one 201, one 409 each)",
		rounds, overlapped, conflicts)
	require.Positive(t, overlapped, "no round had both requests in flight at once, so this run proves nothing about concurrency")

	// Then bursts of eight keys at once, each key sent to both instances, all for one
	// product: each instance then places several keyed orders in one transaction
	// (internal/handler's placer), holding several keys' claims at a time while the
	// other instance waits on some of them.
	const bursts, keys = 10, 8
	for burst := range bursts {
		var got [keys * 2]*client.CreateOrderResponse
		var errs [keys * 2]error
		var keyOf [keys]string
		for k := range keyOf {
			keyOf[k] = uuid.NewString()
		}
		atOnce(keys*2, func(j int) { got[j], errs[j] = order(pair[j%2], keyOf[j/2], 1) })
		for k := range keys {
			for i := range 2 {
				require.NoError(t, errs[2*k+i], "burst %d, key %d, instance %s", burst, k, pair[i].name)
				require.Equal(t, http.StatusCreated, got[2*k+i].StatusCode(), "burst %d, key %d, instance %s: %s",
					burst, k, pair[i].name, got[2*k+i].Body)
			}
			require.True(t, bytes.Equal(got[2*k].Body, got[2*k+1].Body), "burst %d, key %d: the two answers differ:\nA: %s\nB: %s",
				burst, k, got[2*k].Body, got[2*k+1].Body)
			ids[got[2*k].JSON201.Data.Id] = true
			units++
		}
	}
	t.Logf("%d bursts of %d keys, each key sent to both at once: one order a key, the same 201 from both", bursts, keys)
	rounds += bursts * keys

	require.Len(t, ids, rounds, "one order a key")
	require.Equal(t, rounds, queryOne[int](t, dbURL, `SELECT count(*) FROM orders WHERE user_id = $1`, c.id), "orders in the database")
	require.Equal(t, stock-units, queryOne[int](t, dbURL, `SELECT stock FROM products WHERE id = $1`, product), "stock taken once a round")
	for _, in := range []*instance{a, b} {
		require.NotContains(t, in.proc.out.String(), `"status":500`, "instance %s answered a 500", in.name)
	}
}

// testRefreshReuseAcrossInstances rotates a session's refresh token on one instance
// and then on the other, and replays a spent one: the reuse is caught whichever
// instance sees it, the family's newest token stops working on both, and the user's
// other session goes on. Then, round after round, one token is spent on both at
// once: one rotation succeeds, the other is taken as a reuse, and the token the
// winner got is dead as well.
func testRefreshReuseAcrossInstances(t *testing.T, bin, redisURL string) {
	a, b, dbURL := startInstances(t, bin, redisURL, nil)
	ctx := context.Background()
	c := registerCustomer(t, a)
	r0 := c.refresh
	other := login(t, b, c.email)

	r1 := refresh(t, a, r0, http.StatusOK)
	r2 := refresh(t, b, r1, http.StatusOK) // a token A issued is good on B
	refresh(t, b, r0, http.StatusUnauthorized)
	eventually(t, 5*time.Second, 20*time.Millisecond, "B logs the reuse of a token spent on A", func() bool { // logs are flushed every 100ms
		return strings.Contains(b.proc.out.String(), `"msg":"refresh token reused; family revoked"`)
	})
	refresh(t, a, r2, http.StatusUnauthorized)
	refresh(t, b, r2, http.StatusUnauthorized)
	require.Zero(t, queryOne[int](t, dbURL, `SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL AND family_id =
		(SELECT family_id FROM refresh_tokens WHERE token_hash = $1)`, auth.HashRefreshToken(r0)), "live tokens left in the family")
	refresh(t, a, other, http.StatusOK) // the other session's family is untouched

	const rounds = 10
	for round := range rounds {
		token := login(t, a, c.email)
		var got [2]*client.RefreshTokensResponse
		var errs [2]error
		atOnce(2, func(i int) {
			got[i], errs[i] = []*instance{a, b}[i].api.RefreshTokensWithResponse(ctx, client.RefreshTokensJSONRequestBody{RefreshToken: token})
		})
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		winner, loser := 0, 1
		if got[0].StatusCode() != http.StatusOK {
			winner, loser = 1, 0
		}
		require.Equal(t, http.StatusOK, got[winner].StatusCode(), "round %d: %s / %s", round, got[0].Body, got[1].Body)
		require.Equal(t, http.StatusUnauthorized, got[loser].StatusCode(), "round %d: %s", round, got[loser].Body)
		require.Equal(t, client.UNAUTHENTICATED, got[loser].JSON401.Error.Code)
		fresh := got[winner].JSON200.Data.RefreshToken
		refresh(t, []*instance{a, b}[loser], fresh, http.StatusUnauthorized)
	}
	t.Logf("%d rounds of one refresh token sent to both at once: one rotation, one reuse, family revoked, each time", rounds)
}

// login logs email in through in and returns the new session's refresh token.
func login(t *testing.T, in *instance, email string) string {
	t.Helper()
	res, err := in.api.LoginUserWithResponse(context.Background(), client.LoginUserJSONRequestBody{
		Email: client.Email(email), Password: customerPassword})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200.Data.Tokens.RefreshToken
}

// refresh spends token on in, requires the status, and returns the new refresh token
// (or "" when refused, with the 401 envelope checked).
func refresh(t *testing.T, in *instance, token string, status int) string {
	t.Helper()
	res, err := in.api.RefreshTokensWithResponse(context.Background(), client.RefreshTokensJSONRequestBody{RefreshToken: token})
	require.NoError(t, err)
	require.Equal(t, status, res.StatusCode(), "refresh on %s: %s", in.name, res.Body)
	if status != http.StatusOK {
		require.Equal(t, client.UNAUTHENTICATED, res.JSON401.Error.Code, string(res.Body))
		return ""
	}
	return res.JSON200.Data.RefreshToken
}

// testRateLimitAcrossInstances spreads login attempts for one account over both
// instances, each from an address of its own so that only the per-email count can
// stop them: the fifth attempt in the minute is refused by whichever instance gets
// it, because both count in the same Redis key. internal/abusetest's
// TestRedisLimitIsSharedByReplicas shows the same of two in-process servers, and what
// happens when Redis goes away.
func testRateLimitAcrossInstances(t *testing.T, bin, redisURL string) {
	a, b, _ := startInstances(t, bin, redisURL, map[string]string{
		"RATE_LIMIT_LOGIN": "4/1m", "TRUSTED_PROXIES": "127.0.0.1"})
	// Addresses of this run alone (2001:db8::/32 is for documentation), since the
	// machine's Redis is shared with every other test run.
	var r [4]byte
	_, _ = rand.Read(r[:])
	prefix := fmt.Sprintf("2001:db8:%x:%x::", binary.BigEndian.Uint16(r[:2]), binary.BigEndian.Uint16(r[2:]))
	from := func(i int) client.RequestEditorFn {
		return func(_ context.Context, req *http.Request) error {
			req.Header.Set("X-Forwarded-For", prefix+strconv.Itoa(i))
			return nil
		}
	}
	redistest.DeleteKeys(t, redisURL, "shopfloor:ratelimit:*:ip:"+prefix+"*")
	c := registerCustomer(t, a, from(0))
	redistest.DeleteKeys(t, redisURL, "shopfloor:ratelimit:*:email:"+c.email)

	attempts := []struct {
		in       *instance
		password string
		status   int
	}{
		{a, customerPassword, http.StatusOK},
		{a, "Wrong-Passw0rd", http.StatusUnauthorized},
		{b, "Wrong-Passw0rd", http.StatusUnauthorized},
		{b, customerPassword, http.StatusOK},
		{a, customerPassword, http.StatusTooManyRequests},
		{b, customerPassword, http.StatusTooManyRequests},
	}
	for i, at := range attempts {
		res, err := at.in.api.LoginUserWithResponse(context.Background(),
			client.LoginUserJSONRequestBody{Email: client.Email(c.email), Password: at.password}, from(i+1))
		require.NoError(t, err)
		require.Equal(t, at.status, res.StatusCode(), "attempt %d, on %s: %s", i+1, at.in.name, res.Body)
		if at.status == http.StatusTooManyRequests {
			require.Equal(t, client.RATELIMITED, res.JSON429.Error.Code)
			secs, err := strconv.Atoi(res.HTTPResponse.Header.Get("Retry-After"))
			require.NoError(t, err, "Retry-After on a 429")
			require.True(t, secs >= 1 && secs <= 60, "Retry-After %d", secs)
		}
	}
	opts, err := redis.ParseURL(redisURL)
	require.NoError(t, err)
	rc := redis.NewClient(opts)
	defer rc.Close()
	n, err := rc.Get(context.Background(), "shopfloor:ratelimit:login:email:"+c.email).Int()
	require.NoError(t, err)
	require.Equal(t, len(attempts), n, "both instances counted in one Redis key")
	for _, in := range []*instance{a, b} {
		require.NotContains(t, in.proc.out.String(), "cannot reach Redis", "instance %s", in.name)
	}
}
