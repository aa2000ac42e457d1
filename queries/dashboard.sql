-- name: DashboardUsers :many
-- A page of users with their order figures. The page is cut first and the figures
-- joined to it laterally, so the work grows with the page, not with the table.
SELECT u.id, u.email, u.name, u.role, u.active, u.created_at, u.updated_at,
       u.phone, u.company, u.address_line1, u.address_line2, u.city, u.postal_code, u.country,
       u.profile_updated_at,
       s.order_count, s.total_spent_cents, s.last_order_at,
       (SELECT count(*) FROM users) AS total
FROM (
    SELECT * FROM user_details
    ORDER BY created_at DESC, id DESC
    LIMIT @row_limit OFFSET @row_offset
) u
CROSS JOIN LATERAL (
    SELECT count(*) AS order_count,
           coalesce(sum(o.total_cents) FILTER (WHERE o.status <> 'cancelled'), 0)::bigint AS total_spent_cents,
           -- sqlc cannot see that max() is NULL without orders: 'epoch' stands in, and
           -- the handler reports no last order when order_count is 0.
           coalesce(max(o.created_at), 'epoch')::timestamptz AS last_order_at
    FROM orders o
    WHERE o.user_id = u.id
) s
ORDER BY u.created_at DESC, u.id DESC;

-- name: DashboardRecentOrders :many
-- The five newest orders of each given user, in one statement for the whole page.
SELECT r.id, r.user_id, r.status, r.total_cents, r.created_at
FROM unnest(@user_ids::uuid[]) AS page(user_id)
CROSS JOIN LATERAL (
    SELECT o.id, o.user_id, o.status, o.total_cents, o.created_at
    FROM orders o
    WHERE o.user_id = page.user_id
    ORDER BY o.created_at DESC, o.id DESC
    LIMIT 5
) r
ORDER BY r.user_id, r.created_at DESC, r.id DESC;

-- name: DashboardSummary :one
-- Every figure of the summary in one statement: users, orders by status, revenue
-- (orders not cancelled) and the five products with the most revenue, for orders
-- placed in [from, to).
WITH o AS (
    -- plan: per execution
    SELECT id, status, total_cents
    FROM orders
    WHERE created_at >= coalesce(sqlc.narg('from')::timestamptz, '-infinity')
      AND created_at < coalesce(sqlc.narg('to')::timestamptz, 'infinity')
), by_status AS (
    SELECT status, count(*) AS n FROM o GROUP BY status
), sales AS (
    SELECT oi.product_id,
           sum(oi.quantity)::bigint AS units,
           sum(oi.quantity * oi.unit_price_cents)::bigint AS revenue_cents
    FROM o
    JOIN order_items oi ON oi.order_id = o.id
    WHERE o.status <> 'cancelled'
    GROUP BY oi.product_id
), top AS (
    -- Products are read only for the best sellers (with any tied with the fifth, for
    -- the tie-break on sku), not for every product sold in the period.
    SELECT s.product_id, p.sku, p.name, s.units, s.revenue_cents
    FROM (SELECT * FROM sales ORDER BY revenue_cents DESC FETCH FIRST 5 ROWS WITH TIES) s
    JOIN products p ON p.id = s.product_id
    ORDER BY s.revenue_cents DESC, p.sku
    LIMIT 5
)
SELECT
    (SELECT count(*) FROM users)::bigint AS users_total,
    (SELECT count(*) FROM users
      WHERE created_at >= coalesce(sqlc.narg('from')::timestamptz, '-infinity')
        AND created_at < coalesce(sqlc.narg('to')::timestamptz, 'infinity'))::bigint AS users_new,
    (SELECT count(*) FROM o)::bigint AS orders_total,
    (SELECT coalesce(sum(total_cents), 0) FROM o WHERE status <> 'cancelled')::bigint AS revenue_cents,
    coalesce((SELECT array_agg(status ORDER BY status) FROM by_status), '{}')::text[] AS status_names,
    coalesce((SELECT array_agg(n ORDER BY status) FROM by_status), '{}')::bigint[] AS status_counts,
    coalesce((SELECT array_agg(product_id ORDER BY revenue_cents DESC, sku) FROM top), '{}')::uuid[] AS top_ids,
    coalesce((SELECT array_agg(sku ORDER BY revenue_cents DESC, sku) FROM top), '{}')::text[] AS top_skus,
    coalesce((SELECT array_agg(name ORDER BY revenue_cents DESC, sku) FROM top), '{}')::text[] AS top_names,
    coalesce((SELECT array_agg(units ORDER BY revenue_cents DESC, sku) FROM top), '{}')::bigint[] AS top_units,
    coalesce((SELECT array_agg(revenue_cents ORDER BY revenue_cents DESC, sku) FROM top), '{}')::bigint[] AS top_revenue_cents;
