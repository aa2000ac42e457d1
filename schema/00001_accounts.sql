-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    name          text NOT NULL CHECK (length(name) BETWEEN 2 AND 50),
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'staff', 'admin')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE users IS 'An account: a customer, a staff member or an admin.';
COMMENT ON COLUMN users.email IS 'Stored trimmed and lowercased; unique regardless of case.';
COMMENT ON COLUMN users.password_hash IS 'bcrypt hash; the password itself is never stored.';
COMMENT ON COLUMN users.active IS 'False once deactivated: the user can no longer log in or refresh.';

CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_created_at_idx ON users (created_at, id);
CREATE INDEX users_name_idx ON users (lower(name), id);
CREATE INDEX users_role_idx ON users (role, created_at);
CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
CREATE INDEX users_name_trgm_idx ON users USING gin (name gin_trgm_ops);

CREATE TABLE profiles (
    user_id       uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    phone         text CHECK (length(phone) <= 32),
    company       text CHECK (length(company) <= 100),
    address_line1 text CHECK (length(address_line1) <= 200),
    address_line2 text CHECK (length(address_line2) <= 200),
    city          text CHECK (length(city) <= 100),
    postal_code   text CHECK (length(postal_code) <= 20),
    country       text CHECK (country ~ '^[A-Z]{2}$'),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE profiles IS 'Contact details of a user; at most one row per user.';

CREATE VIEW user_details AS
SELECT u.id, u.email, u.name, u.role, u.active, u.created_at, u.updated_at,
       p.phone, p.company, p.address_line1, p.address_line2, p.city, p.postal_code, p.country,
       p.updated_at AS profile_updated_at
FROM users u
LEFT JOIN profiles p ON p.user_id = u.id;
COMMENT ON VIEW user_details IS 'A user with the profile, as the API shows it (never the password hash).';

CREATE TABLE refresh_tokens (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  uuid NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz,
    CHECK (expires_at > created_at)
);
COMMENT ON TABLE refresh_tokens IS 'Opaque refresh tokens, stored only as a SHA-256 hash; each is single use and belongs to a family that is revoked whole when a used token is presented again.';

CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- +goose Down
DROP TABLE refresh_tokens;
DROP VIEW user_details;
DROP TABLE profiles;
DROP TABLE users;
