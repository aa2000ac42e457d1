package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
)

// A row the handler relies on that is not there is a bug, not the client's mistake:
// the client gets the generic 500 envelope and the cause is logged, where it used to
// get a 404 with an empty message. A trigger that silently skips every update of an
// order makes OrderSetStatus, run on the row OrderLock holds, return no row.
func TestAMissingRowTheHandlerReliesOnIsA500NotA404(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	staff := apitest.Staff(t, env)
	product := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 5})
	order := apitest.PlaceOrder(t, env, apitest.Customer(t, env), apitest.Item(product.ID, 1))
	apitest.Exec(t, env, `CREATE FUNCTION skip_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`)
	apitest.Exec(t, env, `CREATE TRIGGER orders_skip_update BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION skip_update()`)

	res, err := env.Client.UpdateOrderStatusWithResponse(context.Background(), order.Id,
		client.UpdateOrderStatusRequest{Status: client.UpdateOrderStatusRequestStatusPaid}, staff.Auth())
	require.NoError(t, err)
	e := apitest.RequireError(t, res, http.StatusInternalServerError, client.INTERNALERROR)
	require.Equal(t, "An unexpected error occurred", e.Message)
	require.Nil(t, e.Details)
	require.Equal(t, "pending", apitest.OrderStatus(t, env, order.Id))

	var logged []map[string]any
	for _, line := range apitest.LogLines(t, env) {
		if line["msg"] == "request failed" {
			logged = append(logged, line)
		}
	}
	require.Len(t, logged, 1, "the failure is logged once")
	require.EqualValues(t, http.StatusInternalServerError, logged[0]["status"])
	require.Equal(t, e.RequestId, logged[0]["requestId"])
	require.Contains(t, logged[0]["cause"], "no rows in result set")
}
