-- name: DashboardUsers :many
-- A page of users with their order figures, newest first, from row_offset or after
-- the cursor's row (after_key, after_id). The page is cut first and the figures
-- joined to it laterally, so the work grows with the page, not with the table; the
-- total is the maintained count of users.
SELECT u.id, u.email, u.name, u.role, u.active, u.created_at, u.updated_at,
       u.phone, u.company, u.address_line1, u.address_line2, u.city, u.postal_code, u.country,
       u.profile_updated_at,
       s.order_count, s.total_spent_cents, s.last_order_at,
       (SELECT counter_value('users'))::bigint AS total
FROM (
    SELECT * FROM user_details
    -- plan: per execution
    -- replica: ok
    WHERE (sqlc.narg('after_id')::uuid IS NULL
           OR (created_at, id) < (sqlc.narg('after_key')::text::timestamptz, sqlc.narg('after_id')::uuid))
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
       -- replica: ok
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
-- Every figure of the summary in one statement, for orders placed in [from, to), from
-- the maintained figures (schema/00004): the folded per-day rows and the deltas not
-- yet folded for the whole UTC days of the period, [day_from, day_to), plus the raw
-- rows of the partial days at its edges, [edge1_from, edge1_to) and
-- [edge2_from, edge2_to). The caller splits the period (NULL bounds are open).
--
-- The best sellers of a period come from top_sellers when the all-time ranking bounds
-- them within rank_limit products (see schema/00004); otherwise they are summed one of two
-- ways, whichever reads fewer per-day rows: over the days inside the period, or, for a
-- period that covers most of the history, as the all-time figures less the days
-- outside it. In that second way only products sold outside the period (or on its
-- edges, or in unfolded deltas) can rank differently from the all-time ranking, so
-- the all-time ranking is read only as far as 5 plus their number, ties included: no
-- other product can reach the top 5.
WITH edge AS (
    -- plan: per execution
    -- replica: ok
    SELECT id, status, total_cents
    FROM orders
    WHERE (created_at >= sqlc.narg('edge1_from')::timestamptz AND created_at < sqlc.narg('edge1_to')::timestamptz)
       OR (created_at >= sqlc.narg('edge2_from')::timestamptz AND created_at < sqlc.narg('edge2_to')::timestamptz)
), by_status AS (
    SELECT status, sum(orders)::bigint AS n, sum(total_cents)::bigint AS total_cents
    FROM (
        SELECT status, orders, total_cents FROM order_day_stats
        WHERE day >= coalesce(sqlc.narg('day_from')::date, '-infinity') AND day < coalesce(sqlc.narg('day_to')::date, 'infinity')
        UNION ALL
        SELECT status, orders, total_cents FROM order_day_stats_deltas
        WHERE day >= coalesce(sqlc.narg('day_from')::date, '-infinity') AND day < coalesce(sqlc.narg('day_to')::date, 'infinity')
        UNION ALL
        SELECT status, 1, total_cents FROM edge
    ) r
    GROUP BY status
    HAVING sum(orders) <> 0
), edge_sales AS (
    SELECT oi.product_id, oi.quantity::bigint AS units, oi.quantity * oi.unit_price_cents AS revenue_cents
    FROM edge
    JOIN order_items oi ON oi.order_id = edge.id
    WHERE edge.status <> 'cancelled'
), extra AS (
    -- What the folded per-day sales of the period lack: the unfolded deltas of its
    -- days and the lines of its edges.
    SELECT product_id, sum(units)::bigint AS units, sum(revenue_cents)::bigint AS revenue_cents
    FROM (
        SELECT product_id, units, revenue_cents FROM product_day_sales_deltas
        WHERE day >= coalesce(sqlc.narg('day_from')::date, '-infinity') AND day < coalesce(sqlc.narg('day_to')::date, 'infinity')
        UNION ALL
        SELECT * FROM edge_sales
    ) s
    GROUP BY product_id
), span AS (
    SELECT min(day) AS first_day, max(day) AS last_day FROM product_day_sales
), way AS (
    -- true: all-time figures less the days outside; false (or no history): the days inside.
    SELECT CASE WHEN first_day IS NULL THEN false
                ELSE 2 * (least(coalesce(sqlc.narg('day_to')::date, 'infinity'), last_day + 1)
                          - greatest(coalesce(sqlc.narg('day_from')::date, '-infinity'), first_day))
                     > last_day - first_day + 1
           END AS from_all_time
    FROM span
), sales_inside AS (
    SELECT product_id, sum(units)::bigint AS units, sum(revenue_cents)::bigint AS revenue_cents
    FROM (
        SELECT product_id, units, revenue_cents FROM product_day_sales
        WHERE day >= coalesce(sqlc.narg('day_from')::date, '-infinity') AND day < coalesce(sqlc.narg('day_to')::date, 'infinity')
        UNION ALL
        SELECT * FROM extra
    ) s
    GROUP BY product_id
), adjust AS (
    -- What differs from the folded all-time figures: the days outside the period
    -- taken out, the unfolded deltas and the edges put in.
    SELECT product_id, sum(units)::bigint AS units, sum(revenue_cents)::bigint AS revenue_cents
    FROM (
        SELECT product_id, -units AS units, -revenue_cents AS revenue_cents FROM product_day_sales
        WHERE day < coalesce(sqlc.narg('day_from')::date, '-infinity') OR day >= coalesce(sqlc.narg('day_to')::date, 'infinity')
        UNION ALL
        SELECT * FROM extra
    ) s
    GROUP BY product_id
), sales_outside AS (
    -- Products with an adjustment: their all-time figures plus it, read by key.
    SELECT a.product_id,
           (coalesce(ps.units, 0) + a.units)::bigint AS units,
           (coalesce(ps.revenue_cents, 0) + a.revenue_cents)::bigint AS revenue_cents
    FROM adjust a
    LEFT JOIN product_sales ps ON ps.product_id = a.product_id
    UNION ALL
    -- Every other product as it stands of all time, read from the revenue index only
    -- as far as it can matter.
    SELECT t.product_id, t.units, t.revenue_cents
    FROM (SELECT product_id, units, revenue_cents FROM product_sales WHERE units > 0
          ORDER BY revenue_cents DESC
          FETCH FIRST (5 + (SELECT count(*) FROM adjust)) ROWS WITH TIES) t
    WHERE NOT EXISTS (SELECT FROM adjust a WHERE a.product_id = t.product_id)
), ranked AS (
    -- For a period, top_sellers (schema/00004) first tries to find the best sellers
    -- by all-time rank, without summing every product sold in the period.
    SELECT top_sellers(
        coalesce(sqlc.narg('day_from')::date, '-infinity'), coalesce(sqlc.narg('day_to')::date, 'infinity'),
        coalesce((SELECT array_agg(product_id) FROM extra), '{}'),
        coalesce((SELECT array_agg(units) FROM extra), '{}'),
        coalesce((SELECT array_agg(revenue_cents) FROM extra), '{}'),
        sqlc.arg('rank_limit')::integer) AS found
    -- Only for a period longer than a month: over a few weeks, summing the days is
    -- cheaper (at 10x data, 7 days: 0.2 s summed, 0.5 s by rank; 180 days: 2.4 s
    -- summed, 0.2 s by rank).
    WHERE (sqlc.narg('day_from')::date IS NOT NULL OR sqlc.narg('day_to')::date IS NOT NULL)
      AND (sqlc.narg('day_from')::date IS NULL OR sqlc.narg('day_to')::date IS NULL
           OR sqlc.narg('day_to')::date - sqlc.narg('day_from')::date > 31)
), ranked_found AS (
    SELECT coalesce((SELECT found IS NOT NULL FROM ranked), false) AS found
), sales AS (
    SELECT (e->>'p')::uuid AS product_id, (e->>'u')::bigint AS units, (e->>'r')::bigint AS revenue_cents
    FROM ranked, jsonb_array_elements(ranked.found) AS e
    UNION ALL
    SELECT * FROM sales_inside
    WHERE NOT (SELECT found FROM ranked_found) AND NOT (SELECT from_all_time FROM way)
    UNION ALL
    SELECT * FROM sales_outside
    WHERE NOT (SELECT found FROM ranked_found) AND (SELECT from_all_time FROM way)
), top AS (
    -- Products are read only for the best sellers (with any tied with the fifth, for
    -- the tie-break on sku), not for every product sold in the period.
    SELECT s.product_id, p.sku, p.name, s.units, s.revenue_cents
    FROM (SELECT * FROM sales WHERE units > 0 ORDER BY revenue_cents DESC FETCH FIRST 5 ROWS WITH TIES) s
    JOIN products p ON p.id = s.product_id
    ORDER BY s.revenue_cents DESC, p.sku
    LIMIT 5
)
SELECT
    counter_value('users') AS users_total,
    ((SELECT coalesce(sum(users), 0) FROM (
        SELECT users FROM user_day_signups
        WHERE day >= coalesce(sqlc.narg('day_from')::date, '-infinity') AND day < coalesce(sqlc.narg('day_to')::date, 'infinity')
        UNION ALL
        SELECT users FROM user_day_signups_deltas
        WHERE day >= coalesce(sqlc.narg('day_from')::date, '-infinity') AND day < coalesce(sqlc.narg('day_to')::date, 'infinity')
      ) d)
     + (SELECT count(*) FROM users
        WHERE (created_at >= sqlc.narg('edge1_from')::timestamptz AND created_at < sqlc.narg('edge1_to')::timestamptz)
           OR (created_at >= sqlc.narg('edge2_from')::timestamptz AND created_at < sqlc.narg('edge2_to')::timestamptz)))::bigint AS users_new,
    (SELECT coalesce(sum(n), 0) FROM by_status)::bigint AS orders_total,
    (SELECT coalesce(sum(total_cents), 0) FROM by_status WHERE status <> 'cancelled')::bigint AS revenue_cents,
    coalesce((SELECT array_agg(status ORDER BY status) FROM by_status), '{}')::text[] AS status_names,
    coalesce((SELECT array_agg(n ORDER BY status) FROM by_status), '{}')::bigint[] AS status_counts,
    coalesce((SELECT array_agg(product_id ORDER BY revenue_cents DESC, sku) FROM top), '{}')::uuid[] AS top_ids,
    coalesce((SELECT array_agg(sku ORDER BY revenue_cents DESC, sku) FROM top), '{}')::text[] AS top_skus,
    coalesce((SELECT array_agg(name ORDER BY revenue_cents DESC, sku) FROM top), '{}')::text[] AS top_names,
    coalesce((SELECT array_agg(units ORDER BY revenue_cents DESC, sku) FROM top), '{}')::bigint[] AS top_units,
    coalesce((SELECT array_agg(revenue_cents ORDER BY revenue_cents DESC, sku) FROM top), '{}')::bigint[] AS top_revenue_cents;

-- name: DashboardSummaryFromRows :one
-- The summary computed from the rows alone, as it was before the maintained figures:
-- its cost grows with the orders in the period. DashboardSummary must always give
-- exactly this answer; the tests hold it to that.
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
