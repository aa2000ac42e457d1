-- name: OrderPlace :many
-- Places an order in one statement, so that the ordered products stay locked only
-- while it runs (and, outside a transaction, while it commits) instead of across a
-- round trip per step: a flash sale's orders queue on one product's row lock.
--
-- locked takes the products' row locks in id order, the order every transaction
-- that locks products uses (CancelOrder too), so orders and cancellations cannot
-- deadlock. placeable then checks, under those locks, that every product exists, is
-- live and has the stock. Every write is gated on that one answer, and its first
-- evaluation reads locked to the end, so no row is written before all are locked and
-- either everything is written or nothing: the stock taken, the order, its lines.
-- The table's CHECK (stock >= 0) fails the whole statement should the check ever be
-- wrong.
--
-- One row per ordered product: what the catalog had (NULL for an unknown product,
-- stock as it was before this order), and the order's columns, NULL when it was not
-- placed; the caller tells the client why from the catalog columns. The rows come in
-- OrderItemsByOrder's order (name, then id), sorted here by the same collation, so
-- that placing an order and reading it list the lines alike.
WITH wanted AS (
    SELECT unnest(@product_ids::uuid[]) AS product_id, unnest(@quantities::integer[]) AS quantity
),
locked AS (
    SELECT id, sku, name, price_cents, stock, archived_at
    FROM products
    WHERE id = ANY(@product_ids::uuid[])
    ORDER BY id
    FOR UPDATE
),
placeable AS (
    SELECT count(*) = cardinality(@product_ids::uuid[]) AS ok
    FROM wanted w
    JOIN locked l ON l.id = w.product_id
    WHERE l.archived_at IS NULL AND l.stock >= w.quantity
),
taken AS (
    -- The new stock comes from locked, not from p: the statement's snapshot predates
    -- the lock waits, so p is first the version this snapshot sees, and only when
    -- PostgreSQL finds it updated since does it redo the row from the newest version
    -- (EvalPlanQual). The CHECK is tested before that redo: p.stock - quantity from
    -- a stale row would fail it for an order that fits (found by the cancellation
    -- test), and a condition on p.stock would skip the row. So nothing here decides
    -- or computes from p but its id.
    UPDATE products p
    SET stock = l.stock - w.quantity, version = p.version + 1, updated_at = now()
    FROM wanted w
    JOIN locked l ON l.id = w.product_id
    WHERE p.id = w.product_id AND (SELECT ok FROM placeable)
    RETURNING p.id, l.price_cents, w.quantity
),
placed AS (
    INSERT INTO orders (user_id, total_cents, note)
    SELECT @user_id::uuid, sum(t.price_cents * t.quantity), sqlc.narg('note')::text
    FROM taken t
    HAVING (SELECT ok FROM placeable)
    RETURNING *
),
lines AS (
    INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
    SELECT o.id, t.id, t.quantity, t.price_cents
    FROM placed o CROSS JOIN taken t
)
SELECT w.product_id::uuid AS product_id, w.quantity::integer AS quantity, l.sku, l.name, l.price_cents, l.stock, l.archived_at,
       o.id AS order_id, o.user_id AS order_user_id, o.status AS order_status,
       o.total_cents AS order_total_cents, o.note AS order_note,
       o.created_at AS order_created_at, o.updated_at AS order_updated_at
FROM wanted w
LEFT JOIN locked l ON l.id = w.product_id
LEFT JOIN placed o ON true
ORDER BY l.name, w.product_id;

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
-- OrderPlace returns a new order's lines in this same order.
ORDER BY p.name, p.id;

-- name: OrderSetStatus :one
UPDATE orders SET status = @status, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: ProductsLockForOrderItems :many
-- Locks the products of an order in the same id order as OrderPlace.
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
