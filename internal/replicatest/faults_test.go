package replicatest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/pgcluster"
)

// traffic runs readers of the catalog and of one product until stop is closed and
// counts what they got: a client must never see anything but 200.
type traffic struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	failures   []string
	wg         sync.WaitGroup
	stop       chan struct{}
}

func startTraffic(t *testing.T, env *apitest.Env, product uuid.UUID, readers int) *traffic {
	t.Helper()
	tr := &traffic{stop: make(chan struct{})}
	for i := range readers {
		tr.wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-tr.stop:
					return
				default:
				}
				var status int
				var body []byte
				if (i+n)%2 == 0 {
					res, err := env.Client.ListProductsWithResponse(context.Background(), nil)
					if err != nil {
						tr.fail(err.Error())
						continue
					}
					status, body = res.StatusCode(), res.Body
				} else {
					res, err := env.Client.GetProductWithResponse(context.Background(), product, nil)
					if err != nil {
						tr.fail(err.Error())
						continue
					}
					status, body = res.StatusCode(), res.Body
				}
				if status != http.StatusOK {
					tr.fail(fmt.Sprintf("%d %s", status, body))
					continue
				}
				tr.ok.Add(1)
			}
		})
	}
	t.Cleanup(tr.end)
	return tr
}

func (tr *traffic) fail(what string) {
	tr.failed.Add(1)
	tr.mu.Lock()
	if len(tr.failures) < 5 {
		tr.failures = append(tr.failures, what)
	}
	tr.mu.Unlock()
}

func (tr *traffic) end() {
	select {
	case <-tr.stop:
	default:
		close(tr.stop)
	}
	tr.wg.Wait()
}

// served waits until the readers have had n more answers.
func (tr *traffic) served(t *testing.T, n int64, what string) {
	t.Helper()
	target := tr.ok.Load() + n
	eventually(t, 30*time.Second, what, func() bool { return tr.ok.Load() >= target })
}

// newProductEnv starts a server on rs and makes one product to read.
func newProductEnv(t *testing.T, rs replicated, maxLag time.Duration) (*apitest.Env, apitest.User, uuid.UUID) {
	t.Helper()
	env := apitest.New(t, apitest.OnReplicas(rs.primaryURL, maxLag, rs.standbyURL))
	staff := env.CreateUser(apitest.UserOpts{Role: "staff"})
	res, err := env.Client.CreateProductWithResponse(context.Background(), client.CreateProductJSONRequestBody{
		Sku: "FAULT-" + strings.ToUpper(uuid.NewString()[:8]), Name: "Fault Widget", PriceCents: 700, Stock: 3}, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	replayedPast(t, rs.standbyURL, res.HTTPResponse.Header.Get("X-Read-After"))
	inRotation(t, env)
	return env, staff, res.JSON201.Data.Id
}

// The standby stopped (pg_ctl stop, fast) under eight readers: not one of them
// sees an error (reads that were on the standby are retried on the primary), the
// standby leaves rotation at once, /readyz stays 200, and after pg_ctl start it
// comes back into rotation by itself and serves reads again.
func TestReplicaStoppedUnderTrafficIsInvisibleToClients(t *testing.T) {
	t.Parallel()
	rs := newReplicated(t, nil)
	env, _, product := newProductEnv(t, rs, 5*time.Second)
	tr := startTraffic(t, env, product, 8)
	tr.served(t, 200, "readers served while the standby is up")
	require.Positive(t, metric(t, env, "shopfloor_db_replica_reads_total", ""))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stopped := time.Now()
	require.NoError(t, rs.standby.Stop(ctx))
	out := eventually(t, 5*time.Second, "the stopped standby leaves rotation", func() bool {
		return metric(t, env, "shopfloor_db_replica_in_rotation", "") == 0
	})
	t.Logf("standby stopped: out of rotation %s after pg_ctl stop returned (%s after it began)", out, time.Since(stopped))
	require.Zero(t, metric(t, env, "shopfloor_db_replica_up", ""))
	tr.served(t, 200, "readers served by the primary while the standby is down")
	ready, _ := env.Do(http.MethodGet, "/readyz", "", nil)
	require.Equal(t, http.StatusOK, ready.StatusCode, "the primary is up, so the server is ready")
	require.Positive(t, metric(t, env, "shopfloor_db_primary_marked_reads_total", `reason="no_replica_in_rotation"`))

	_, err := pgcluster.Start(ctx, rs.standby.Options())
	require.NoError(t, err)
	back := eventually(t, 30*time.Second, "the restarted standby comes back into rotation", func() bool {
		return metric(t, env, "shopfloor_db_replica_in_rotation", "") == 1
	})
	t.Logf("standby restarted: in rotation again %s after pg_ctl start", back)
	before := metric(t, env, "shopfloor_db_replica_reads_total", "")
	tr.served(t, 200, "readers served after the standby came back")
	require.Greater(t, metric(t, env, "shopfloor_db_replica_reads_total", ""), before, "the standby serves reads again")

	tr.end()
	t.Logf("%d reads answered 200, %d failed; %v of them failed on the standby and were retried on the primary",
		tr.ok.Load(), tr.failed.Load(), metric(t, env, "shopfloor_db_replica_failovers_total", ""))
	require.Zero(t, tr.failed.Load(), "clients saw errors: %v", tr.failures)
}

// A standby whose replay is paused while the primary keeps writing falls behind;
// past REPLICA_MAX_LAG (1s here) it leaves rotation and every read goes to the
// primary, with no error; resumed, it catches up and comes back.
func TestReplicaPastMaxLagLeavesRotation(t *testing.T) {
	t.Parallel()
	rs := newReplicated(t, nil)
	env, staff, product := newProductEnv(t, rs, time.Second)
	tr := startTraffic(t, env, product, 2)
	tr.served(t, 50, "readers served while the standby keeps up")

	// Writes keep the primary's WAL moving while the standby stands still.
	writes := make(chan struct{})
	var writers sync.WaitGroup
	writers.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-writes:
				return
			case <-time.After(50 * time.Millisecond):
			}
			price := int64(100 + i)
			res, err := env.Client.UpdateProductWithResponse(context.Background(), product, nil,
				client.UpdateProductJSONRequestBody{PriceCents: &price}, staff.Auth())
			if err != nil || res.StatusCode() != http.StatusOK {
				tr.fail(fmt.Sprintf("write: %v %v", err, res))
			}
		}
	})
	t.Cleanup(func() {
		select {
		case <-writes:
		default:
			close(writes)
		}
		writers.Wait()
	})

	exec(t, rs.standbyURL, "SELECT pg_wal_replay_pause()")
	out := eventually(t, 10*time.Second, "the standby left behind leaves rotation", func() bool {
		return metric(t, env, "shopfloor_db_replica_in_rotation", "") == 0
	})
	lag := metric(t, env, "shopfloor_db_replica_lag_seconds", "")
	t.Logf("replay paused: out of rotation after %s, lag %.2fs", out, lag)
	require.Greater(t, lag, 1.0, "out of rotation because its lag passed REPLICA_MAX_LAG")
	require.Equal(t, float64(1), metric(t, env, "shopfloor_db_replica_up", ""), "it still answers: only its lag took it out")
	before := metric(t, env, "shopfloor_db_replica_reads_total", "")
	tr.served(t, 50, "readers served by the primary while the standby lags")
	require.Equal(t, before, metric(t, env, "shopfloor_db_replica_reads_total", ""), "no read goes to a standby out of rotation")

	exec(t, rs.standbyURL, "SELECT pg_wal_replay_resume()")
	back := eventually(t, 30*time.Second, "the standby catches up and comes back", func() bool {
		return metric(t, env, "shopfloor_db_replica_in_rotation", "") == 1
	})
	t.Logf("replay resumed: in rotation again after %s", back)
	before = metric(t, env, "shopfloor_db_replica_reads_total", "")
	tr.served(t, 50, "readers served after the standby caught up")
	require.Greater(t, metric(t, env, "shopfloor_db_replica_reads_total", ""), before)

	close(writes)
	writers.Wait()
	tr.end()
	t.Logf("%d reads answered 200, %d failed", tr.ok.Load(), tr.failed.Load())
	require.Zero(t, tr.failed.Load(), "clients saw errors: %v", tr.failures)
}
