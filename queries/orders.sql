-- name: ProductsLockForOrder :many
-- Locks the ordered products in id order: every transaction that locks products does
-- so in this order, so concurrent orders and cancellations cannot deadlock.
SELECT id, sku, name, price_cents, stock, archived_at
FROM products
WHERE id = ANY(@ids::uuid[])
ORDER BY id
FOR UPDATE;

-- name: ProductsTakeStock :execrows
-- Takes the ordered quantities; the stock guard (and the table's CHECK) make it
-- impossible to go below zero even if the caller's check were wrong.
UPDATE products p
SET stock = p.stock - r.quantity, version = p.version + 1, updated_at = now()
FROM (SELECT unnest(@ids::uuid[]) AS id, unnest(@quantities::integer[]) AS quantity) AS r
WHERE p.id = r.id AND p.stock >= r.quantity;

-- name: OrderCreate :one
INSERT INTO orders (user_id, total_cents, note)
VALUES (@user_id, @total_cents, sqlc.narg('note'))
RETURNING *;

-- name: OrderItemsCreate :exec
INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
SELECT @order_id, unnest(@product_ids::uuid[]), unnest(@quantities::integer[]),
       unnest(@unit_prices_cents::bigint[]);

-- name: OrderGet :one
SELECT * FROM orders WHERE id = @id;

-- name: OrderLock :one
SELECT * FROM orders WHERE id = @id FOR UPDATE;

-- name: OrderItemsByOrder :many
-- The lines of one order with their product names, in one statement whatever their number.
SELECT oi.product_id, p.sku, p.name, oi.quantity, oi.unit_price_cents
FROM order_items oi
JOIN products p ON p.id = oi.product_id
WHERE oi.order_id = @order_id
ORDER BY p.name, p.id;

-- name: OrderSetStatus :one
UPDATE orders SET status = @status, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: ProductsLockForOrderItems :many
-- Locks the products of an order in the same id order as ProductsLockForOrder.
SELECT p.id
FROM products p
WHERE p.id IN (SELECT product_id FROM order_items WHERE order_id = @order_id)
ORDER BY p.id
FOR UPDATE;

-- name: ProductsReturnStock :execrows
UPDATE products p
SET stock = p.stock + oi.quantity, version = p.version + 1, updated_at = now()
FROM order_items oi
WHERE oi.order_id = @order_id AND p.id = oi.product_id;

-- name: OrderList :many
-- One page of orders, newest first; every filter is optional.
SELECT sqlc.embed(orders),
       -- plan: per execution
       -- Counted in a subquery planned on its own (a window count would make the
       -- planner walk the sort index through every row when a filter is selective).
       (SELECT count(*) FROM orders
        WHERE (sqlc.narg('user_id')::uuid IS NULL OR user_id = sqlc.narg('user_id'))
          AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status'))
          AND (sqlc.narg('from')::timestamptz IS NULL OR created_at >= sqlc.narg('from'))
          AND (sqlc.narg('to')::timestamptz IS NULL OR created_at < sqlc.narg('to'))) AS total
FROM orders
WHERE (sqlc.narg('user_id')::uuid IS NULL OR user_id = sqlc.narg('user_id'))
  AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status'))
  AND (sqlc.narg('from')::timestamptz IS NULL OR created_at >= sqlc.narg('from'))
  AND (sqlc.narg('to')::timestamptz IS NULL OR created_at < sqlc.narg('to'))
ORDER BY created_at DESC, id DESC
LIMIT @row_limit OFFSET @row_offset;

-- name: OrderCount :one
SELECT count(*)
       -- plan: per execution
FROM orders
WHERE (sqlc.narg('user_id')::uuid IS NULL OR user_id = sqlc.narg('user_id'))
  AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status'))
  AND (sqlc.narg('from')::timestamptz IS NULL OR created_at >= sqlc.narg('from'))
  AND (sqlc.narg('to')::timestamptz IS NULL OR created_at < sqlc.narg('to'));
