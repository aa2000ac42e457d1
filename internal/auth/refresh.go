package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// refreshTokenBytes is the entropy of a refresh token: 256 bits makes
// guessing one infeasible.
const refreshTokenBytes = 32

// NewRefreshToken returns a new opaque refresh token and its SHA-256 hash.
// The plain value goes to the client once; only the hash is stored, so a
// database leak does not hand out usable sessions. A fast hash suffices
// because the token is random, not a human-chosen secret.
func NewRefreshToken() (plain string, hash []byte, err error) {
	b := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("auth: generate refresh token: %w", err)
	}
	plain = base64.RawURLEncoding.EncodeToString(b)
	return plain, HashRefreshToken(plain), nil
}

// HashRefreshToken returns the SHA-256 hash of a presented refresh token so
// it can be looked up against the stored hash.
func HashRefreshToken(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}
