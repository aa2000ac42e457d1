package contract

import (
	"context"

	"github.com/shopfloor/shopfloor/client"
)

// backOffice runs what staff and admins do: move an order, read the dashboard,
// find and deactivate accounts. Only the run's own orders and accounts are changed.
func (r *runner) backOffice() {
	a, admin := r.alice, r.admin
	if r.liveProduct != nil {
		o := r.placeOrder(a, "", client.CreateOrderJSONRequestBody{Items: []client.OrderItemInput{{ProductId: r.liveProduct.Id, Quantity: 1}}},
			"a second order, for staff to move")
		if o != nil {
			r.moveOrder(o)
		}
	}
	call(r, "listOrders", 200, "staff see the customer's orders", func(ctx context.Context) (*client.ListOrdersResponse, error) {
		return r.c.ListOrdersWithResponse(ctx, &client.ListOrdersParams{UserId: &a.id}, bearer(admin.access))
	}, func(res *client.ListOrdersResponse) string {
		if res.JSON200 == nil || len(res.JSON200.Data) != len(r.orders) {
			return "want every order the run placed"
		}
		return ""
	})
	call(r, "getDashboardSummary", 200, "the business figures", func(ctx context.Context) (*client.GetDashboardSummaryResponse, error) {
		return r.c.GetDashboardSummaryWithResponse(ctx, nil, bearer(admin.access))
	})
	call(r, "getDashboardSummary", 403, "a customer may not", func(ctx context.Context) (*client.GetDashboardSummaryResponse, error) {
		return r.c.GetDashboardSummaryWithResponse(ctx, nil, bearer(a.access))
	})
	call(r, "listDashboardUsers", 200, "users with their figures", func(ctx context.Context) (*client.ListDashboardUsersResponse, error) {
		return r.c.ListDashboardUsersWithResponse(ctx, &client.ListDashboardUsersParams{Limit: ptr(int32(5))}, bearer(admin.access))
	})
	call(r, "listUsers", 200, "find the run's accounts", func(ctx context.Context) (*client.ListUsersResponse, error) {
		return r.c.ListUsersWithResponse(ctx, &client.ListUsersParams{Q: ptr("contract-" + r.cfg.RunID + "-")}, bearer(admin.access))
	}, func(res *client.ListUsersResponse) string {
		if res.JSON200 == nil || len(res.JSON200.Data) != 2 {
			return "want the run's 2 accounts"
		}
		return ""
	})
	call(r, "listUsers", 403, "a customer may not", func(ctx context.Context) (*client.ListUsersResponse, error) {
		return r.c.ListUsersWithResponse(ctx, nil, bearer(a.access))
	})
	call(r, "getUser", 200, "an admin reads a customer", func(ctx context.Context) (*client.GetUserResponse, error) {
		return r.c.GetUserWithResponse(ctx, a.id, bearer(admin.access))
	})
	b := r.bob
	if _, ok := call(r, "updateUser", 200, "an admin deactivates bob", func(ctx context.Context) (*client.UpdateUserResponse, error) {
		return r.c.UpdateUserWithResponse(ctx, b.id, client.UpdateUserJSONRequestBody{Active: ptr(false)}, bearer(admin.access))
	}, func(res *client.UpdateUserResponse) string {
		if res.JSON200 == nil || res.JSON200.Data.Active {
			return "the account is still active"
		}
		return ""
	}); ok {
		b.deactivated = true
	}
	call(r, "loginUser", 403, "a deactivated account", func(ctx context.Context) (*client.LoginUserResponse, error) {
		return r.c.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{Email: client.Email(b.email), Password: b.password})
	})
}

// moveOrder moves the run's order o to paid, tries moves the API refuses, and
// cancels it as staff (a paid order may still be cancelled by staff).
func (r *runner) moveOrder(o *order) {
	if res, ok := call(r, "updateOrderStatus", 200, "pending → paid", func(ctx context.Context) (*client.UpdateOrderStatusResponse, error) {
		return r.c.UpdateOrderStatusWithResponse(ctx, o.id, client.UpdateOrderStatusJSONRequestBody{Status: client.UpdateOrderStatusRequestStatusPaid}, bearer(r.admin.access))
	}); ok && res.JSON200 != nil {
		o.status = res.JSON200.Data.Status
	}
	call(r, "updateOrderStatus", 409, "paid → delivered skips a step", func(ctx context.Context) (*client.UpdateOrderStatusResponse, error) {
		return r.c.UpdateOrderStatusWithResponse(ctx, o.id, client.UpdateOrderStatusJSONRequestBody{Status: client.UpdateOrderStatusRequestStatusDelivered}, bearer(r.admin.access))
	}, hasCode[*client.UpdateOrderStatusResponse](r, "INVALID_STATE"))
	call(r, "updateOrderStatus", 403, "a customer may not move an order", func(ctx context.Context) (*client.UpdateOrderStatusResponse, error) {
		return r.c.UpdateOrderStatusWithResponse(ctx, o.id, client.UpdateOrderStatusJSONRequestBody{Status: client.UpdateOrderStatusRequestStatusShipped}, bearer(o.owner.access))
	})
	call(r, "cancelOrder", 409, "the owner may not cancel a paid order", func(ctx context.Context) (*client.CancelOrderResponse, error) {
		return r.c.CancelOrderWithResponse(ctx, o.id, bearer(o.owner.access))
	}, hasCode[*client.CancelOrderResponse](r, "INVALID_STATE"))
	r.cancel(o, r.admin, "staff cancel the paid order")
}
