-- name: IdempotencyClaim :one
-- Claims a key for this request. A live key held by another request returns no row;
-- a concurrent claim of the same key waits here until the first commits or aborts.
-- An expired key is taken over.
INSERT INTO idempotency_keys (user_id, key, request_hash)
VALUES (@user_id, @key, @request_hash)
ON CONFLICT (user_id, key) DO UPDATE
SET request_hash = EXCLUDED.request_hash, status = NULL, body = NULL,
    created_at = now(), expires_at = now() + interval '24 hours'
WHERE idempotency_keys.expires_at <= now()
RETURNING created_at;

-- name: IdempotencyGet :one
SELECT request_hash, status, body
FROM idempotency_keys
WHERE user_id = @user_id AND key = @key;

-- name: IdempotencySave :exec
UPDATE idempotency_keys SET status = @status, body = @body
WHERE user_id = @user_id AND key = @key;

-- name: IdempotencyPurge :execrows
DELETE FROM idempotency_keys WHERE expires_at <= now();
