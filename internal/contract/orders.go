package contract

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/shopfloor/shopfloor/client"
)

// orderFlow places, replays, reads, lists and cancels a customer's order.
func (r *runner) orderFlow() {
	p := r.liveProduct
	a := r.alice
	one := client.CreateOrderJSONRequestBody{Items: []client.OrderItemInput{{ProductId: p.Id, Quantity: 1}}, Note: ptr("contract run " + r.cfg.RunID)}
	call(r, "createOrder", 400, "a quantity of 0 is VALIDATION_ERROR", func(ctx context.Context) (*client.CreateOrderResponse, error) {
		return r.c.CreateOrderWithResponse(ctx, nil, client.CreateOrderJSONRequestBody{Items: []client.OrderItemInput{{ProductId: p.Id, Quantity: 0}}}, bearer(a.access))
	}, hasCode[*client.CreateOrderResponse](r, "VALIDATION_ERROR"))
	key := "contract-" + r.cfg.RunID + "-" + uuid.NewString()
	o := r.placeOrder(a, key, one, "place an order with an Idempotency-Key")
	if o == nil {
		return
	}
	call(r, "createOrder", 201, "the same key and body replay the order", func(ctx context.Context) (*client.CreateOrderResponse, error) {
		return r.c.CreateOrderWithResponse(ctx, &client.CreateOrderParams{IdempotencyKey: &key}, one, bearer(a.access))
	}, func(res *client.CreateOrderResponse) string {
		if res.JSON201 == nil || res.JSON201.Data.Id != o.id {
			return "the replay placed another order"
		}
		return ""
	})
	call(r, "createOrder", 409, "the same key, another body is IDEMPOTENCY_CONFLICT", func(ctx context.Context) (*client.CreateOrderResponse, error) {
		two := client.CreateOrderJSONRequestBody{Items: []client.OrderItemInput{{ProductId: p.Id, Quantity: 2}}}
		return r.c.CreateOrderWithResponse(ctx, &client.CreateOrderParams{IdempotencyKey: &key}, two, bearer(a.access))
	}, hasCode[*client.CreateOrderResponse](r, "IDEMPOTENCY_CONFLICT"))
	if r.ownedProduct {
		call(r, "createOrder", 409, "more than the stock is INSUFFICIENT_STOCK", func(ctx context.Context) (*client.CreateOrderResponse, error) {
			many := client.CreateOrderJSONRequestBody{Items: []client.OrderItemInput{{ProductId: p.Id, Quantity: ownStock + 1}}}
			return r.c.CreateOrderWithResponse(ctx, nil, many, bearer(a.access))
		}, hasCode[*client.CreateOrderResponse](r, "INSUFFICIENT_STOCK"))
	}
	call(r, "getOrder", 200, "read the order", func(ctx context.Context) (*client.GetOrderResponse, error) {
		return r.c.GetOrderWithResponse(ctx, o.id, bearer(a.access))
	}, func(res *client.GetOrderResponse) string {
		if res.JSON200 == nil || len(res.JSON200.Data.Items) != 1 || res.JSON200.Data.Items[0].ProductId != p.Id {
			return "the order does not hold the product ordered"
		}
		return ""
	})
	call(r, "getOrder", 404, "another customer's order", func(ctx context.Context) (*client.GetOrderResponse, error) {
		return r.c.GetOrderWithResponse(ctx, o.id, bearer(r.bob.access))
	})
	call(r, "listOrders", 200, "your orders", func(ctx context.Context) (*client.ListOrdersResponse, error) {
		return r.c.ListOrdersWithResponse(ctx, &client.ListOrdersParams{Limit: ptr(int32(10))}, bearer(a.access))
	}, func(res *client.ListOrdersResponse) string {
		if res.JSON200 == nil || len(res.JSON200.Data) != 1 || res.JSON200.Data[0].Id != o.id {
			return "want exactly the one order placed"
		}
		return ""
	})
	call(r, "listOrders", 403, "another customer's orders", func(ctx context.Context) (*client.ListOrdersResponse, error) {
		return r.c.ListOrdersWithResponse(ctx, &client.ListOrdersParams{UserId: &r.bob.id}, bearer(a.access))
	})
	r.cancel(o, a, "cancel your pending order")
	call(r, "cancelOrder", 409, "a cancelled order again is INVALID_STATE", func(ctx context.Context) (*client.CancelOrderResponse, error) {
		return r.c.CancelOrderWithResponse(ctx, o.id, bearer(a.access))
	}, hasCode[*client.CancelOrderResponse](r, "INVALID_STATE"))
}

// placeOrder places an order for customer a and records it for the clean-up.
func (r *runner) placeOrder(a *actor, key string, body client.CreateOrderJSONRequestBody, what string) *order {
	var params *client.CreateOrderParams
	if key != "" {
		params = &client.CreateOrderParams{IdempotencyKey: &key}
	}
	res, ok := call(r, "createOrder", 201, what, func(ctx context.Context) (*client.CreateOrderResponse, error) {
		return r.c.CreateOrderWithResponse(ctx, params, body, bearer(a.access))
	}, func(res *client.CreateOrderResponse) string {
		if res.JSON201 == nil || res.JSON201.Data.Status != client.OrderStatusPending {
			return "a new order must be pending"
		}
		return ""
	})
	if res == nil {
		return nil
	}
	// An order placed with a wrong status is still the run's to cancel: take it
	// from the body whatever the status was.
	var placed client.OrderEnvelope
	if json.Unmarshal(res.Body, &placed) != nil || placed.Data.Id == uuid.Nil {
		return nil
	}
	o := &order{id: placed.Data.Id, owner: a, status: placed.Data.Status}
	r.orders = append(r.orders, o)
	if !ok {
		return nil
	}
	return o
}

// cancel cancels o as by and records the new status.
func (r *runner) cancel(o *order, by *actor, what string) {
	res, ok := call(r, "cancelOrder", 200, what, func(ctx context.Context) (*client.CancelOrderResponse, error) {
		return r.c.CancelOrderWithResponse(ctx, o.id, bearer(by.access))
	}, func(res *client.CancelOrderResponse) string {
		if res.JSON200 == nil || res.JSON200.Data.Status != client.OrderStatusCancelled {
			return "the order is not cancelled"
		}
		return ""
	})
	if ok && res.JSON200 != nil {
		o.status = res.JSON200.Data.Status
	}
}
