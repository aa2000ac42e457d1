package handler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/db"
)

const orderNotFound = "No order has this id"

// nextStatus is the one step forward each status allows.
var nextStatus = map[string]string{"pending": "paid", "paid": "shipped", "shipped": "delivered"}

func toOrderSummary(o db.Order) api.OrderSummary {
	return api.OrderSummary{
		Id: o.ID, UserId: o.UserID, Status: api.OrderStatus(o.Status), TotalCents: o.TotalCents,
		Note: o.Note, CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(),
	}
}

func toOrder(o db.Order, items []db.OrderItemsByOrderRow) api.Order {
	s := toOrderSummary(o)
	out := api.Order{
		Id: s.Id, UserId: s.UserId, Status: s.Status, TotalCents: s.TotalCents, Note: s.Note,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Items: make([]api.OrderItem, len(items)),
	}
	for i, it := range items {
		out.Items[i] = api.OrderItem{
			ProductId: it.ProductID, Sku: it.Sku, Name: it.Name, Quantity: it.Quantity,
			UnitPriceCents: it.UnitPriceCents, LineTotalCents: int64(it.Quantity) * it.UnitPriceCents,
		}
	}
	return out
}

// rawCreateOrder answers with stored bytes, so that a retry under the same
// Idempotency-Key gets exactly the first response.
type rawCreateOrder struct {
	status int
	body   []byte
}

func (r rawCreateOrder) VisitCreateOrderResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.status)
	_, err := w.Write(r.body)
	return err
}

// CreateOrder places an order: prices from the catalog, stock taken under row locks
// taken in id order, all or nothing, in one statement (OrderPlace), so that a product
// every order names stays locked for that statement only. Without an Idempotency-Key
// the statement is its own transaction. With one, the key is claimed first, and the
// response is stored with it right after the order is placed, in the same
// transaction, to be replayed to retries. Under contention the placer puts the
// orders that queue for the same products into one transaction (placer.go).
func (h *Handler) CreateOrder(ctx context.Context, req api.CreateOrderRequestObject) (api.CreateOrderResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	seen := map[uuid.UUID]int{}
	var details []api.ErrorDetail
	for i, it := range b.Items {
		if first, dup := seen[it.ProductId]; dup {
			details = append(details, apperr.Detail(fmt.Sprintf("items.%d.productId", i), api.Body,
				fmt.Sprintf("repeats the product of items.%d; order each product once", first)))
			continue
		}
		seen[it.ProductId] = i
	}
	if len(details) > 0 {
		return nil, apperr.Validation(details...)
	}
	args := orderPlaceParams(caller.UserID, b)

	var resp api.CreateOrderResponseObject
	var placed api.Order
	key := req.Params.IdempotencyKey
	if key == nil {
		err = h.placer.Place(ctx, args, func(rows []db.OrderPlaceRow) error {
			o, err := orderOutcome(rows, b)
			placed = o
			return err
		})
		if err != nil {
			return nil, err
		}
		resp = api.CreateOrder201JSONResponse{Body: api.OrderEnvelope{Success: api.True, Data: placed}}
	} else {
		canonical, err := json.Marshal(b)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		sum := sha256.Sum256(canonical)
		reqHash := sum[:]
		err = h.placer.PlaceKeyed(ctx, args, func(ctx context.Context, q *db.Queries) error {
			placed, resp = api.Order{}, nil
			_, err := q.IdempotencyClaim(ctx, db.IdempotencyClaimParams{UserID: caller.UserID, Key: *key, RequestHash: reqHash})
			if errors.Is(err, pgx.ErrNoRows) {
				resp, err = h.replay(ctx, q, caller.UserID, *key, reqHash)
				return err
			}
			if err != nil {
				return dbError(err, "")
			}
			if placed, err = h.placeOrder(ctx, q, args, b); err != nil {
				return err
			}
			body, err := json.Marshal(api.OrderEnvelope{Success: api.True, Data: placed})
			if err != nil {
				return apperr.Internal(err)
			}
			status := int32(http.StatusCreated)
			if err := q.IdempotencySave(ctx, db.IdempotencySaveParams{UserID: caller.UserID, Key: *key, Status: &status, Body: body}); err != nil {
				return dbError(err, "")
			}
			resp = rawCreateOrder{status: http.StatusCreated, body: body}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if placed.Id != uuid.Nil {
		h.Log.InfoContext(ctx, "order placed", "orderId", placed.Id.String(),
			"items", len(placed.Items), "totalCents", placed.TotalCents)
	}
	return resp, nil
}

// replay returns the stored response of a key already used, or 409 when the key was
// used for a different request.
func (h *Handler) replay(ctx context.Context, q *db.Queries, userID uuid.UUID, key string, reqHash []byte) (api.CreateOrderResponseObject, error) {
	stored, err := q.IdempotencyGet(ctx, db.IdempotencyGetParams{UserID: userID, Key: key})
	if err != nil {
		return nil, dbError(err, "")
	}
	if !bytes.Equal(stored.RequestHash, reqHash) {
		return nil, apperr.Conflict(api.IDEMPOTENCYCONFLICT,
			"This Idempotency-Key was already used with a different request body; use a new key for a new order",
			apperr.Detail("Idempotency-Key", api.Header, "was used for a different request"))
	}
	if stored.Status == nil {
		return nil, apperr.Conflict(api.IDEMPOTENCYCONFLICT, "A request with this Idempotency-Key is still being processed; retry shortly")
	}
	return rawCreateOrder{status: int(*stored.Status), body: stored.Body}, nil
}

// orderPlaceParams is the order as OrderPlace takes it: the products and quantities
// in the request's order (the statement locks them in id order itself), and the note
// unless it is blank.
func orderPlaceParams(userID uuid.UUID, b *api.CreateOrderJSONRequestBody) db.OrderPlaceParams {
	args := db.OrderPlaceParams{UserID: userID,
		ProductIds: make([]uuid.UUID, len(b.Items)), Quantities: make([]int32, len(b.Items))}
	for i, it := range b.Items {
		args.ProductIds[i], args.Quantities[i] = it.ProductId, it.Quantity
	}
	if b.Note != nil && strings.TrimSpace(*b.Note) != "" {
		args.Note = b.Note
	}
	return args
}

// placeOrder runs OrderPlace with q (the pool, or the caller's transaction) and
// returns the order placed, or says why it could not be: 400 naming every unknown or
// archived product, else 409 naming every product short of stock. Nothing was
// written then.
func (h *Handler) placeOrder(ctx context.Context, q *db.Queries, args db.OrderPlaceParams, b *api.CreateOrderJSONRequestBody) (api.Order, error) {
	rows, err := q.OrderPlace(ctx, args)
	if err != nil {
		return api.Order{}, dbError(err, "")
	}
	return orderOutcome(rows, b)
}

// orderOutcome reads OrderPlace's rows: the order placed, or the client's answer.
func orderOutcome(rows []db.OrderPlaceRow, b *api.CreateOrderJSONRequestBody) (api.Order, error) {
	if len(rows) != len(b.Items) {
		return api.Order{}, apperr.Internal(fmt.Errorf("placing an order of %d products returned %d rows", len(b.Items), len(rows)))
	}
	if o := rows[0]; o.OrderID != nil {
		order := db.Order{ID: *o.OrderID, UserID: *o.OrderUserID, Status: *o.OrderStatus, TotalCents: *o.OrderTotalCents,
			Note: o.OrderNote, CreatedAt: *o.OrderCreatedAt, UpdatedAt: *o.OrderUpdatedAt}
		items := make([]db.OrderItemsByOrderRow, len(rows))
		for i, r := range rows {
			items[i] = db.OrderItemsByOrderRow{ProductID: r.ProductID, Sku: *r.Sku, Name: *r.Name,
				Quantity: r.Quantity, UnitPriceCents: *r.PriceCents}
		}
		return toOrder(order, items), nil
	}
	found := make(map[uuid.UUID]db.OrderPlaceRow, len(rows))
	for _, r := range rows {
		found[r.ProductID] = r
	}
	var invalid, short []api.ErrorDetail
	for i, it := range b.Items {
		p := found[it.ProductId]
		switch {
		case p.Sku == nil:
			invalid = append(invalid, apperr.Detail(fmt.Sprintf("items.%d.productId", i), api.Body, "no product has this id"))
		case p.ArchivedAt != nil:
			invalid = append(invalid, apperr.Detail(fmt.Sprintf("items.%d.productId", i), api.Body, "this product is archived and can no longer be ordered"))
		case *p.Stock < it.Quantity:
			short = append(short, apperr.Detail(fmt.Sprintf("items.%d.quantity", i), api.Body,
				fmt.Sprintf("%d requested but only %d of product %s (%s) in stock", it.Quantity, *p.Stock, p.ProductID, *p.Sku)))
		}
	}
	if len(invalid) > 0 {
		return api.Order{}, apperr.Validation(invalid...)
	}
	if len(short) > 0 {
		return api.Order{}, apperr.Conflict(api.INSUFFICIENTSTOCK,
			fmt.Sprintf("Not enough stock for %d of the products ordered; nothing was reserved", len(short)), short...)
	}
	return api.Order{}, apperr.Internal(errors.New("an order whose products all had the stock was not placed"))
}

// visibleOrder enforces who may see an order: its owner, staff and admins. Others
// get the same 404 as for a missing order, so ids cannot be probed.
func visibleOrder(caller auth.Claims, o db.Order) error {
	if o.UserID != caller.UserID && !caller.IsStaff() {
		return apperr.NotFound(orderNotFound)
	}
	return nil
}

// ListOrders pages through orders, newest first: customers their own, staff all.
func (h *Handler) ListOrders(ctx context.Context, req api.ListOrdersRequestObject) (api.ListOrdersResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	userID := p.UserId
	if !caller.IsStaff() {
		if userID != nil && *userID != caller.UserID {
			return nil, apperr.Forbidden("Customers may only list their own orders")
		}
		userID = &caller.UserID
	}
	if p.From != nil && p.To != nil && !p.From.Before(*p.To) {
		return nil, apperr.Validation(apperr.Detail("from", api.Query, "must be before to"))
	}
	var status *string
	if p.Status != nil {
		s := string(*p.Status)
		status = &s
	}
	filter := db.OrderCountParams{UserID: userID, Status: status, From: utc(p.From), To: utc(p.To), CountLimit: countLimit}
	r, err := h.listPage("orders", "-createdAt", p.Page, p.Limit, p.Cursor, filter)
	if err != nil {
		return nil, err
	}
	rows, err := h.q.OrderList(ctx, db.OrderListParams{UserID: filter.UserID, Status: filter.Status,
		From: filter.From, To: filter.To, CountLimit: filter.CountLimit,
		AfterKey: r.afterKey(), AfterID: r.afterID(), RowLimit: r.rowLimit(), RowOffset: r.offset})
	if err != nil {
		return nil, dbError(err, "")
	}
	total, fromCounter, err := pageTotal(len(rows), func() (int64, bool) { return rows[0].Total, rows[0].TotalFromCounter }, r,
		func() (db.OrderCountRow, error) { return h.q.OrderCount(ctx, filter) })
	if err != nil {
		return nil, err
	}
	n, pg := h.finish(r, len(rows), total, fromCounter, func(i int) (string, uuid.UUID) {
		return timeKey(rows[i].Order.CreatedAt), rows[i].Order.ID
	})
	orders := make([]api.OrderSummary, n)
	for i, r := range rows[:n] {
		orders[i] = toOrderSummary(r.Order)
	}
	return api.ListOrders200JSONResponse{Success: api.True, Data: orders, Pagination: pg}, nil
}

// GetOrder returns an order with its lines, in two statements whatever its size.
func (h *Handler) GetOrder(ctx context.Context, req api.GetOrderRequestObject) (api.GetOrderResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	o, err := h.q.OrderGet(ctx, req.Id)
	if err != nil {
		return nil, dbError(err, orderNotFound)
	}
	if err := visibleOrder(caller, o); err != nil {
		return nil, err
	}
	items, err := h.q.OrderItemsByOrder(ctx, o.ID)
	if err != nil {
		return nil, dbError(err, "")
	}
	return api.GetOrder200JSONResponse{Success: api.True, Data: toOrder(o, items)}, nil
}

// CancelOrder cancels an order and returns its stock in the same transaction.
func (h *Handler) CancelOrder(ctx context.Context, req api.CancelOrderRequestObject) (api.CancelOrderResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	var out api.Order
	err = h.inTx(ctx, func(q *db.Queries) error {
		o, err := q.OrderLock(ctx, req.Id)
		if err != nil {
			return dbError(err, orderNotFound)
		}
		if err := visibleOrder(caller, o); err != nil {
			return err
		}
		allowed := o.Status == "pending" || (o.Status == "paid" && caller.IsStaff())
		if !allowed {
			msg := fmt.Sprintf("An order that is %s can no longer be cancelled", o.Status)
			if o.Status == "paid" {
				msg = "A paid order can only be cancelled by staff"
			}
			return apperr.Conflict(api.INVALIDSTATE, msg)
		}
		if _, err := q.ProductsLockForOrderItems(ctx, o.ID); err != nil {
			return dbError(err, "")
		}
		if _, err := q.ProductsReturnStock(ctx, o.ID); err != nil {
			return dbError(err, "")
		}
		if o, err = q.OrderSetStatus(ctx, db.OrderSetStatusParams{ID: o.ID, Status: "cancelled"}); err != nil {
			return dbError(err, "")
		}
		items, err := q.OrderItemsByOrder(ctx, o.ID)
		if err != nil {
			return dbError(err, "")
		}
		out = toOrder(o, items)
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.Log.InfoContext(ctx, "order cancelled", "orderId", out.Id.String())
	return api.CancelOrder200JSONResponse{Body: api.OrderEnvelope{Success: api.True, Data: out}}, nil
}

// UpdateOrderStatus moves an order one step forward.
func (h *Handler) UpdateOrderStatus(ctx context.Context, req api.UpdateOrderStatusRequestObject) (api.UpdateOrderStatusResponseObject, error) {
	if err := requireStaff(ctx, "change the status of orders"); err != nil {
		return nil, err
	}
	to := string(req.Body.Status)
	var out api.Order
	var from string
	err := h.inTx(ctx, func(q *db.Queries) error {
		o, err := q.OrderLock(ctx, req.Id)
		if err != nil {
			return dbError(err, orderNotFound)
		}
		from = o.Status
		if nextStatus[o.Status] != to {
			return apperr.Conflict(api.INVALIDSTATE, fmt.Sprintf("An order that is %s cannot become %s", o.Status, to))
		}
		if o, err = q.OrderSetStatus(ctx, db.OrderSetStatusParams{ID: o.ID, Status: to}); err != nil {
			return dbError(err, "")
		}
		items, err := q.OrderItemsByOrder(ctx, o.ID)
		if err != nil {
			return dbError(err, "")
		}
		out = toOrder(o, items)
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.Log.InfoContext(ctx, "order moved", "orderId", out.Id.String(), "from", from, "to", to)
	return api.UpdateOrderStatus200JSONResponse{Body: api.OrderEnvelope{Success: api.True, Data: out}}, nil
}
