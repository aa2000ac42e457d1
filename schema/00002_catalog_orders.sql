-- +goose Up
CREATE TABLE products (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sku         text NOT NULL CHECK (sku ~ '^[A-Z0-9-]{3,32}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 2 AND 120),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    price_cents bigint NOT NULL CHECK (price_cents BETWEEN 0 AND 100000000),
    stock       integer NOT NULL CHECK (stock >= 0),
    version     integer NOT NULL DEFAULT 1,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE products IS 'The catalog. Archived products are hidden from the public list but kept for the orders that name them.';
COMMENT ON COLUMN products.stock IS 'Units on hand; the CHECK makes overselling impossible even if a guard in the code were wrong.';
COMMENT ON COLUMN products.version IS 'Bumped on every change; the ETag is derived from it.';

CREATE UNIQUE INDEX products_sku_key ON products (sku);
-- The public list shows live products only, so its indexes are partial.
CREATE INDEX products_live_name_idx ON products (name, id) WHERE archived_at IS NULL;
CREATE INDEX products_live_created_idx ON products (created_at DESC, id DESC) WHERE archived_at IS NULL;
CREATE INDEX products_live_price_idx ON products (price_cents, id) WHERE archived_at IS NULL;
CREATE INDEX products_name_trgm_idx ON products USING gin (name gin_trgm_ops);
CREATE INDEX products_sku_trgm_idx ON products USING gin (sku gin_trgm_ops);

CREATE TABLE orders (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id),
    status      text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')),
    total_cents bigint NOT NULL CHECK (total_cents >= 0),
    note        text CHECK (length(note) <= 500),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE orders IS 'An order of one user; its total is fixed from catalog prices when it is placed.';

CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);

CREATE TABLE order_items (
    order_id         uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id       uuid NOT NULL REFERENCES products (id),
    quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, product_id)
);
COMMENT ON TABLE order_items IS 'The lines of an order, with the unit price the catalog had when it was placed.';

CREATE INDEX order_items_product_idx ON order_items (product_id);

CREATE TABLE idempotency_keys (
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status       integer,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL DEFAULT now() + interval '24 hours',
    PRIMARY KEY (user_id, key)
);
COMMENT ON TABLE idempotency_keys IS 'The first response to each Idempotency-Key of a user, replayed on retries for 24 hours.';

CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE products;
