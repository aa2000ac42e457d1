-- name: ProductCreate :one
INSERT INTO products (sku, name, description, price_cents, stock)
VALUES (@sku, @name, @description, @price_cents, @stock)
RETURNING *;

-- name: ProductGet :one
SELECT * FROM products WHERE id = @id;

-- name: ProductUpdate :one
-- Changes only the fields given; with expected_version set, only if the product is
-- still at that version (If-Match), so a stale edit changes nothing.
UPDATE products
SET sku = coalesce(sqlc.narg('sku'), sku),
    name = coalesce(sqlc.narg('name'), name),
    description = coalesce(sqlc.narg('description'), description),
    price_cents = coalesce(sqlc.narg('price_cents'), price_cents),
    stock = coalesce(sqlc.narg('stock'), stock),
    version = version + 1,
    updated_at = now()
WHERE id = @id
  AND (sqlc.narg('expected_version')::integer IS NULL OR version = sqlc.narg('expected_version'))
RETURNING *;

-- name: ProductArchive :one
-- Hides the product from the public list; archiving twice keeps the first time.
UPDATE products
SET archived_at = coalesce(archived_at, now()),
    version = CASE WHEN archived_at IS NULL THEN version + 1 ELSE version END,
    updated_at = CASE WHEN archived_at IS NULL THEN now() ELSE updated_at END
WHERE id = @id
RETURNING *;

-- name: ProductListByName :many
-- One page of live products sorted by name; total counts every match.
SELECT sqlc.embed(products),
       -- plan: per execution
       -- Counted in a subquery planned on its own (a window count would make the
       -- planner walk the sort index through every row when a filter is selective).
       (SELECT count(*) FROM products
        WHERE archived_at IS NULL
          AND (sqlc.narg('pattern')::text IS NULL OR name ILIKE sqlc.narg('pattern') OR sku ILIKE sqlc.narg('pattern'))
          AND (sqlc.narg('min_price_cents')::bigint IS NULL OR price_cents >= sqlc.narg('min_price_cents'))
          AND (sqlc.narg('max_price_cents')::bigint IS NULL OR price_cents <= sqlc.narg('max_price_cents'))
          AND (sqlc.narg('in_stock')::boolean IS NULL OR (stock > 0) = sqlc.narg('in_stock'))) AS total
FROM products
WHERE archived_at IS NULL
  AND (sqlc.narg('pattern')::text IS NULL OR name ILIKE sqlc.narg('pattern') OR sku ILIKE sqlc.narg('pattern'))
  AND (sqlc.narg('min_price_cents')::bigint IS NULL OR price_cents >= sqlc.narg('min_price_cents'))
  AND (sqlc.narg('max_price_cents')::bigint IS NULL OR price_cents <= sqlc.narg('max_price_cents'))
  AND (sqlc.narg('in_stock')::boolean IS NULL OR (stock > 0) = sqlc.narg('in_stock'))
ORDER BY name, id
LIMIT @row_limit OFFSET @row_offset;

-- name: ProductListNewest :many
-- One page of live products sorted by -createdAt; total counts every match.
SELECT sqlc.embed(products),
       -- plan: per execution
       -- Counted in a subquery planned on its own (a window count would make the
       -- planner walk the sort index through every row when a filter is selective).
       (SELECT count(*) FROM products
        WHERE archived_at IS NULL
          AND (sqlc.narg('pattern')::text IS NULL OR name ILIKE sqlc.narg('pattern') OR sku ILIKE sqlc.narg('pattern'))
          AND (sqlc.narg('min_price_cents')::bigint IS NULL OR price_cents >= sqlc.narg('min_price_cents'))
          AND (sqlc.narg('max_price_cents')::bigint IS NULL OR price_cents <= sqlc.narg('max_price_cents'))
          AND (sqlc.narg('in_stock')::boolean IS NULL OR (stock > 0) = sqlc.narg('in_stock'))) AS total
FROM products
WHERE archived_at IS NULL
  AND (sqlc.narg('pattern')::text IS NULL OR name ILIKE sqlc.narg('pattern') OR sku ILIKE sqlc.narg('pattern'))
  AND (sqlc.narg('min_price_cents')::bigint IS NULL OR price_cents >= sqlc.narg('min_price_cents'))
  AND (sqlc.narg('max_price_cents')::bigint IS NULL OR price_cents <= sqlc.narg('max_price_cents'))
  AND (sqlc.narg('in_stock')::boolean IS NULL OR (stock > 0) = sqlc.narg('in_stock'))
ORDER BY created_at DESC, id DESC
LIMIT @row_limit OFFSET @row_offset;

-- name: ProductListByPrice :many
-- One page of live products sorted by priceCents; total counts every match.
SELECT sqlc.embed(products),
       -- plan: per execution
       -- Counted in a subquery planned on its own (a window count would make the
       -- planner walk the sort index through every row when a filter is selective).
       (SELECT count(*) FROM products
        WHERE archived_at IS NULL
          AND (sqlc.narg('pattern')::text IS NULL OR name ILIKE sqlc.narg('pattern') OR sku ILIKE sqlc.narg('pattern'))
          AND (sqlc.narg('min_price_cents')::bigint IS NULL OR price_cents >= sqlc.narg('min_price_cents'))
          AND (sqlc.narg('max_price_cents')::bigint IS NULL OR price_cents <= sqlc.narg('max_price_cents'))
          AND (sqlc.narg('in_stock')::boolean IS NULL OR (stock > 0) = sqlc.narg('in_stock'))) AS total
FROM products
WHERE archived_at IS NULL
  AND (sqlc.narg('pattern')::text IS NULL OR name ILIKE sqlc.narg('pattern') OR sku ILIKE sqlc.narg('pattern'))
  AND (sqlc.narg('min_price_cents')::bigint IS NULL OR price_cents >= sqlc.narg('min_price_cents'))
  AND (sqlc.narg('max_price_cents')::bigint IS NULL OR price_cents <= sqlc.narg('max_price_cents'))
  AND (sqlc.narg('in_stock')::boolean IS NULL OR (stock > 0) = sqlc.narg('in_stock'))
ORDER BY price_cents, id
LIMIT @row_limit OFFSET @row_offset;

-- name: ProductListByPriceDesc :many
-- One page of live products sorted by -priceCents; total counts every match.
SELECT sqlc.embed(products),
       -- plan: per execution
       -- Counted in a subquery planned on its own (a window count would make the
       -- planner walk the sort index through every row when a filter is selective).
       (SELECT count(*) FROM products
        WHERE archived_at IS NULL
          AND (sqlc.narg('pattern')::text IS NULL OR name ILIKE sqlc.narg('pattern') OR sku ILIKE sqlc.narg('pattern'))
          AND (sqlc.narg('min_price_cents')::bigint IS NULL OR price_cents >= sqlc.narg('min_price_cents'))
          AND (sqlc.narg('max_price_cents')::bigint IS NULL OR price_cents <= sqlc.narg('max_price_cents'))
          AND (sqlc.narg('in_stock')::boolean IS NULL OR (stock > 0) = sqlc.narg('in_stock'))) AS total
FROM products
WHERE archived_at IS NULL
  AND (sqlc.narg('pattern')::text IS NULL OR name ILIKE sqlc.narg('pattern') OR sku ILIKE sqlc.narg('pattern'))
  AND (sqlc.narg('min_price_cents')::bigint IS NULL OR price_cents >= sqlc.narg('min_price_cents'))
  AND (sqlc.narg('max_price_cents')::bigint IS NULL OR price_cents <= sqlc.narg('max_price_cents'))
  AND (sqlc.narg('in_stock')::boolean IS NULL OR (stock > 0) = sqlc.narg('in_stock'))
ORDER BY price_cents DESC, id DESC
LIMIT @row_limit OFFSET @row_offset;

-- name: ProductCount :one
-- The total for a product list page that lies past the last match.
SELECT count(*)
       -- plan: per execution
FROM products
WHERE archived_at IS NULL
  AND (sqlc.narg('pattern')::text IS NULL OR name ILIKE sqlc.narg('pattern') OR sku ILIKE sqlc.narg('pattern'))
  AND (sqlc.narg('min_price_cents')::bigint IS NULL OR price_cents >= sqlc.narg('min_price_cents'))
  AND (sqlc.narg('max_price_cents')::bigint IS NULL OR price_cents <= sqlc.narg('max_price_cents'))
  AND (sqlc.narg('in_stock')::boolean IS NULL OR (stock > 0) = sqlc.narg('in_stock'));
