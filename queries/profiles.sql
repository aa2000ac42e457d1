-- name: ProfileReplace :exec
-- Writes the whole profile; a NULL clears that field.
INSERT INTO profiles (user_id, phone, company, address_line1, address_line2, city, postal_code, country, updated_at)
VALUES (@user_id, sqlc.narg('phone'), sqlc.narg('company'), sqlc.narg('address_line1'),
        sqlc.narg('address_line2'), sqlc.narg('city'), sqlc.narg('postal_code'), sqlc.narg('country'), now())
ON CONFLICT (user_id) DO UPDATE
SET phone = EXCLUDED.phone,
    company = EXCLUDED.company,
    address_line1 = EXCLUDED.address_line1,
    address_line2 = EXCLUDED.address_line2,
    city = EXCLUDED.city,
    postal_code = EXCLUDED.postal_code,
    country = EXCLUDED.country,
    updated_at = EXCLUDED.updated_at;
