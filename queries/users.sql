-- name: UserCreate :one
INSERT INTO users (email, name, password_hash, role)
VALUES (@email, @name, @password_hash, @role)
RETURNING id;

-- name: UserCredentialsByEmail :one
-- Everything login needs, found by the normalized email.
SELECT id, role, active, password_hash
FROM users
WHERE lower(email) = lower(@email::text);

-- name: UserCredentialsByID :one
SELECT id, role, active, password_hash
FROM users
WHERE id = @id;

-- name: UserGet :one
-- A user with the profile, when there is one.
SELECT * FROM user_details WHERE id = @id;

-- name: UserList :many
-- One page of users with profiles; total counts every row the filters match.
SELECT sqlc.embed(u),
       -- plan: per execution
       -- Counted in a subquery planned on its own (a window count would make the
       -- planner walk the sort index through every row when a filter is selective).
       (SELECT count(*) FROM user_details u
        WHERE (sqlc.narg('pattern')::text IS NULL
               OR u.email ILIKE sqlc.narg('pattern') OR u.name ILIKE sqlc.narg('pattern'))
          AND (sqlc.narg('role')::text IS NULL OR u.role = sqlc.narg('role'))) AS total
FROM user_details u
WHERE (sqlc.narg('pattern')::text IS NULL
       OR u.email ILIKE sqlc.narg('pattern') OR u.name ILIKE sqlc.narg('pattern'))
  AND (sqlc.narg('role')::text IS NULL OR u.role = sqlc.narg('role'))
ORDER BY
  CASE WHEN @sort::text = 'email' THEN u.email END ASC,
  CASE WHEN @sort::text = 'name' THEN lower(u.name) END ASC,
  CASE WHEN @sort::text = 'createdAt' THEN u.created_at END ASC,
  u.created_at DESC, u.id
LIMIT @row_limit OFFSET @row_offset;

-- name: UserCount :one
-- The total for UserList when the page asked for lies past the last row.
SELECT count(*)
       -- plan: per execution
FROM users u
WHERE (sqlc.narg('pattern')::text IS NULL
       OR u.email ILIKE sqlc.narg('pattern') OR u.name ILIKE sqlc.narg('pattern'))
  AND (sqlc.narg('role')::text IS NULL OR u.role = sqlc.narg('role'));

-- name: UserUpdate :execrows
-- Changes only the fields given (NULL keeps the current value).
UPDATE users
SET name = coalesce(sqlc.narg('name'), name),
    role = coalesce(sqlc.narg('role'), role),
    active = coalesce(sqlc.narg('active'), active),
    updated_at = now()
WHERE id = @id;

-- name: UserSetPassword :execrows
UPDATE users
SET password_hash = @password_hash, updated_at = now()
WHERE id = @id;
