package replicatest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/server"
)

// A standby that applies every commit two seconds late (recovery_min_apply_delay),
// kept in rotation (REPLICA_MAX_LAG 10s): a read without X-Read-After right after a
// write really misses it there, yet a client that sends its last write's
// X-Read-After back reads that write 500 times in a row, never a 404, never an older
// version, on the product and in the list, and after each change the changed one.
func TestReadYourWritesThroughALaggingReplica(t *testing.T) {
	t.Parallel()
	rs := newReplicated(t, map[string]string{"recovery_min_apply_delay": "2s"})
	env := apitest.New(t, apitest.OnReplicas(rs.primaryURL, 10*time.Second, rs.standbyURL))
	ctx := context.Background()
	staff := env.CreateUser(apitest.UserOpts{Role: "staff"})
	inRotation(t, env)

	create := func(i int) (client.Product, string, string) {
		t.Helper()
		res, err := env.Client.CreateProductWithResponse(ctx, client.CreateProductJSONRequestBody{
			Sku: fmt.Sprintf("RYW-%s-%d", strings.ToUpper(uuid.NewString()[:6]), i), Name: fmt.Sprintf("Lagged %d", i),
			PriceCents: int64(100 + i), Stock: 5}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
		lsn := res.HTTPResponse.Header.Get(server.ReadAfterHeader)
		require.NotEmpty(t, lsn, "a write carries X-Read-After")
		return res.JSON201.Data, res.HTTPResponse.Header.Get("ETag"), lsn
	}

	// The lag is real: without the header, a read right after the write is
	// answered by the standby, which has not applied it yet.
	missed := false
	for i := 0; i < 5 && !missed; i++ {
		p, _, _ := create(-1 - i)
		res, err := env.Client.GetProductWithResponse(ctx, p.Id, nil)
		require.NoError(t, err)
		missed = res.StatusCode() == http.StatusNotFound
	}
	require.True(t, missed, "a read without X-Read-After right after a write should miss it on the lagging standby")

	fallbacksBefore := metric(t, env, "shopfloor_db_primary_marked_reads_total", `reason="read_after"`)
	const rounds = 500
	for i := range rounds {
		p, etag, lsn := create(i)
		res, err := env.Client.GetProductWithResponse(ctx, p.Id, &client.GetProductParams{XReadAfter: &lsn})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), "round %d: a product just created must be found: %s", i, res.Body)
		require.Equal(t, etag, res.HTTPResponse.Header.Get("ETag"), "round %d: the version just written", i)
		require.Equal(t, p, res.JSON200.Data, "round %d", i)

		if i%10 != 0 {
			continue
		}
		// A change, then the list and the product with the change's position.
		price := int64(9000 + i)
		changed, err := env.Client.UpdateProductWithResponse(ctx, p.Id, nil, client.UpdateProductJSONRequestBody{PriceCents: &price}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, changed.StatusCode(), string(changed.Body))
		lsn = changed.HTTPResponse.Header.Get(server.ReadAfterHeader)
		list, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Q: &p.Sku, XReadAfter: &lsn})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
		require.Len(t, list.JSON200.Data, 1, "round %d: the list shows the product just written", i)
		require.Equal(t, price, list.JSON200.Data[0].PriceCents, "round %d: the list shows the change just made", i)
		again, err := env.Client.GetProductWithResponse(ctx, p.Id, &client.GetProductParams{XReadAfter: &lsn})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, again.StatusCode(), string(again.Body))
		require.Equal(t, changed.HTTPResponse.Header.Get("ETag"), again.HTTPResponse.Header.Get("ETag"), "round %d: never the older version", i)
		require.Equal(t, price, again.JSON200.Data.PriceCents)
	}
	fallbacks := metric(t, env, "shopfloor_db_primary_marked_reads_total", `reason="read_after"`) - fallbacksBefore
	t.Logf("%d create-then-read rounds: %v reads went to the primary because the standby had not replayed the write", rounds, fallbacks)
	require.Positive(t, fallbacks, "the lagging standby sent reads that carried a newer write to the primary")

	// Once the standby has applied the last write, the same header is served by it.
	_, _, lsn := create(rounds)
	replayedPast(t, rs.standbyURL, lsn)
	eventually(t, 10*time.Second, "the standby serves a read whose write it has applied", func() bool {
		before := metric(t, env, "shopfloor_db_replica_reads_total", "")
		res, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{XReadAfter: &lsn})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return metric(t, env, "shopfloor_db_replica_reads_total", "") > before
	})

	// A malformed position is refused, naming the header.
	bad := "not-an-lsn"
	res, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{XReadAfter: &bad})
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, res.StatusCode())
	require.Contains(t, string(res.Body), server.ReadAfterHeader)

	// Only writes are given a position: not a preflight, whatever it answers.
	req, err := http.NewRequestWithContext(ctx, http.MethodOptions, env.URL+"/api/v1/products", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "https://shop.example.com")
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	pre, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, pre.Body.Close())
	require.Empty(t, pre.Header.Get(server.ReadAfterHeader), "an OPTIONS request is not a write")
}
