-- name: RefreshTokenCreate :exec
INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
VALUES (@user_id, @family_id, @token_hash, @expires_at);

-- name: RefreshTokenLockByHash :one
-- Locks the token row so that two concurrent refreshes cannot both spend it.
SELECT rt.id, rt.user_id, rt.family_id, rt.expires_at, rt.used_at, rt.revoked_at,
       u.role, u.active
FROM refresh_tokens rt
JOIN users u ON u.id = rt.user_id
WHERE rt.token_hash = @token_hash
FOR UPDATE OF rt;

-- name: RefreshTokenMarkUsed :exec
UPDATE refresh_tokens SET used_at = now() WHERE id = @id;

-- name: RefreshTokenRevokeFamily :execrows
UPDATE refresh_tokens SET revoked_at = now()
WHERE family_id = @family_id AND revoked_at IS NULL;

-- name: RefreshTokenRevokeByUser :execrows
UPDATE refresh_tokens SET revoked_at = now()
WHERE user_id = @user_id AND revoked_at IS NULL;

-- name: RefreshTokenRevokeByHash :execrows
UPDATE refresh_tokens SET revoked_at = now()
WHERE token_hash = @token_hash AND revoked_at IS NULL;
