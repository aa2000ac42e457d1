package auth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/auth"
)

func TestNewRefreshTokenIsRandomURLSafeAndHashedConsistently(t *testing.T) {
	t.Parallel()
	const n = 1000
	seen := make(map[string]struct{}, n)
	for range n {
		plain, hash, err := auth.NewRefreshToken()
		require.NoError(t, err)

		raw, err := base64.RawURLEncoding.DecodeString(plain)
		require.NoError(t, err, "plain token must be unpadded base64url")
		require.Len(t, raw, 32)
		require.Len(t, plain, 43)

		sum := sha256.Sum256([]byte(plain))
		require.Equal(t, sum[:], hash)
		require.Equal(t, hash, auth.HashRefreshToken(plain))

		_, dup := seen[plain]
		require.False(t, dup, "refresh tokens must be unique")
		seen[plain] = struct{}{}
	}
}

func TestHashRefreshToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{name: "the same token always hashes the same", a: "abc", b: "abc", same: true},
		{name: "different tokens hash differently", a: "abc", b: "abd", same: false},
		{name: "case matters", a: "abc", b: "ABC", same: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ha, hb := auth.HashRefreshToken(tc.a), auth.HashRefreshToken(tc.b)
			require.Len(t, ha, sha256.Size)
			require.Equal(t, tc.same, string(ha) == string(hb))
		})
	}
}
