package auth_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/auth"
)

const (
	testIssuer   = "shopfloor-test"
	testAudience = "shopfloor-api-test"
	testTTL      = 15 * time.Minute
)

var (
	testSecret = bytes.Repeat([]byte("k"), 32)
	testNow    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func newTestIssuer(t testing.TB) *auth.TokenIssuer {
	t.Helper()
	ti, err := auth.NewTokenIssuer(testSecret, testIssuer, testAudience, testTTL)
	require.NoError(t, err)
	return ti
}

// signRaw signs arbitrary claims with any method, to forge tokens the issuer
// would never produce.
func signRaw(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	require.NoError(t, err)
	return s
}

func validMapClaims(userID uuid.UUID) jwt.MapClaims {
	return jwt.MapClaims{
		"sub":  userID.String(),
		"role": auth.RoleStaff,
		"iss":  testIssuer,
		"aud":  []string{testAudience},
		"iat":  testNow.Unix(),
		"exp":  testNow.Add(testTTL).Unix(),
		"jti":  uuid.NewString(),
	}
}

func TestNewTokenIssuer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		secret   []byte
		issuer   string
		audience string
		ttl      time.Duration
		wantErr  bool
	}{
		{name: "accepts a 32-byte secret", secret: testSecret, issuer: "i", audience: "a", ttl: time.Minute},
		{name: "refuses a 31-byte secret", secret: testSecret[:31], issuer: "i", audience: "a", ttl: time.Minute, wantErr: true},
		{name: "refuses a nil secret", secret: nil, issuer: "i", audience: "a", ttl: time.Minute, wantErr: true},
		{name: "refuses an empty issuer", secret: testSecret, issuer: "", audience: "a", ttl: time.Minute, wantErr: true},
		{name: "refuses an empty audience", secret: testSecret, issuer: "i", audience: "", ttl: time.Minute, wantErr: true},
		{name: "refuses a zero ttl", secret: testSecret, issuer: "i", audience: "a", ttl: 0, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ti, err := auth.NewTokenIssuer(tc.secret, tc.issuer, tc.audience, tc.ttl)
			if tc.wantErr {
				require.Error(t, err)
				require.Nil(t, ti)
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	for _, role := range []string{auth.RoleCustomer, auth.RoleStaff, auth.RoleAdmin} {
		t.Run("a "+role+" token verifies with the same claims", func(t *testing.T) {
			t.Parallel()
			userID := uuid.New()
			tok, expiresIn, err := ti.Issue(userID, role, testNow)
			require.NoError(t, err)
			require.Equal(t, testTTL, expiresIn)

			claims, err := ti.Verify(tok, testNow.Add(time.Minute))
			require.NoError(t, err)
			require.Equal(t, auth.Claims{
				UserID:    userID,
				Role:      role,
				ExpiresAt: testNow.Add(testTTL),
			}, auth.Claims{UserID: claims.UserID, Role: claims.Role, ExpiresAt: claims.ExpiresAt.UTC()})
		})
	}
}

func TestIssuedTokensCarryTheExpectedClaims(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	userID := uuid.New()
	tok, _, err := ti.Issue(userID, auth.RoleAdmin, testNow)
	require.NoError(t, err)
	tok2, _, err := ti.Issue(userID, auth.RoleAdmin, testNow)
	require.NoError(t, err)
	require.NotEqual(t, tok, tok2, "a random jti makes each token unique")

	got := jwt.MapClaims{}
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, got)
	require.NoError(t, err)
	require.Equal(t, "HS256", parsed.Header["alg"])
	require.Equal(t, userID.String(), got["sub"])
	require.Equal(t, auth.RoleAdmin, got["role"])
	require.Equal(t, testIssuer, got["iss"])
	require.Equal(t, []any{testAudience}, got["aud"])
	require.EqualValues(t, testNow.Unix(), got["iat"])
	require.EqualValues(t, testNow.Add(testTTL).Unix(), got["exp"])
	_, err = uuid.Parse(got["jti"].(string))
	require.NoError(t, err)
}

func TestIssueRefusesBadInput(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	tests := []struct {
		name   string
		userID uuid.UUID
		role   string
	}{
		{name: "an unknown role is refused", userID: uuid.New(), role: "superuser"},
		{name: "an empty role is refused", userID: uuid.New(), role: ""},
		{name: "the nil user ID is refused", userID: uuid.Nil, role: auth.RoleCustomer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := ti.Issue(tc.userID, tc.role, testNow)
			require.Error(t, err)
		})
	}
}

func TestVerifyReportsExpiry(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	tok, _, err := ti.Issue(uuid.New(), auth.RoleCustomer, testNow)
	require.NoError(t, err)

	tests := []struct {
		name    string
		at      time.Time
		wantErr error
	}{
		{name: "a token just before expiry is valid", at: testNow.Add(testTTL - time.Second)},
		{name: "a token within the clock-skew leeway is valid", at: testNow.Add(testTTL + 20*time.Second)},
		{name: "a token past expiry and leeway is expired", at: testNow.Add(testTTL + time.Minute), wantErr: auth.ErrTokenExpired},
		{name: "a token a day old is expired", at: testNow.Add(24 * time.Hour), wantErr: auth.ErrTokenExpired},
		{name: "a token used long before it was issued is invalid", at: testNow.Add(-time.Hour), wantErr: auth.ErrTokenInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ti.Verify(tok, tc.at)
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			require.NotErrorIs(t, err, otherSentinel(tc.wantErr))
		})
	}
}

func otherSentinel(err error) error {
	if err == auth.ErrTokenExpired {
		return auth.ErrTokenInvalid
	}
	return auth.ErrTokenExpired
}

func TestVerifyRejectsUntrustworthyTokens(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	userID := uuid.New()
	good, _, err := ti.Issue(userID, auth.RoleStaff, testNow)
	require.NoError(t, err)

	otherIssuer, err := auth.NewTokenIssuer(testSecret, "someone-else", testAudience, testTTL)
	require.NoError(t, err)
	wrongIss, _, err := otherIssuer.Issue(userID, auth.RoleStaff, testNow)
	require.NoError(t, err)

	otherAudience, err := auth.NewTokenIssuer(testSecret, testIssuer, "another-api", testTTL)
	require.NoError(t, err)
	wrongAud, _, err := otherAudience.Issue(userID, auth.RoleStaff, testNow)
	require.NoError(t, err)

	otherSecret, err := auth.NewTokenIssuer(bytes.Repeat([]byte("x"), 32), testIssuer, testAudience, testTTL)
	require.NoError(t, err)
	wrongKey, _, err := otherSecret.Issue(userID, auth.RoleStaff, testNow)
	require.NoError(t, err)

	// Flip the signature's first character to another valid base64url char.
	parts := strings.Split(good, ".")
	sig := []byte(parts[2])
	if sig[0] == 'A' {
		sig[0] = 'B'
	} else {
		sig[0] = 'A'
	}
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)

	// Swap in a payload promoting the user to admin, keeping the old signature.
	forged := validMapClaims(userID)
	forged["role"] = auth.RoleAdmin
	forgedPayload := strings.Split(signRaw(t, jwt.SigningMethodHS256, []byte("irrelevant"), forged), ".")[1]
	tamperedPayload := parts[0] + "." + forgedPayload + "." + parts[2]

	withClaims := func(edit func(jwt.MapClaims)) string {
		c := validMapClaims(userID)
		edit(c)
		return signRaw(t, jwt.SigningMethodHS256, testSecret, c)
	}
	expiredAndWrongIssuer := withClaims(func(c jwt.MapClaims) {
		c["iss"] = "someone-else"
		c["exp"] = testNow.Add(-time.Hour).Unix()
	})

	tests := []struct {
		name  string
		token string
	}{
		{name: "a tampered signature is invalid", token: tamperedSig},
		{name: "a tampered payload is invalid", token: tamperedPayload},
		{name: "a token signed with another secret is invalid", token: wrongKey},
		{name: "a token from another issuer is invalid", token: wrongIss},
		{name: "a token for another audience is invalid", token: wrongAud},
		{name: "an HS512 token with the same secret is invalid", token: signRaw(t, jwt.SigningMethodHS512, testSecret, validMapClaims(userID))},
		{name: "an HS384 token with the same secret is invalid", token: signRaw(t, jwt.SigningMethodHS384, testSecret, validMapClaims(userID))},
		{name: "an alg none token is invalid", token: signRaw(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validMapClaims(userID))},
		{name: "an alg none token with the real signature appended is invalid", token: strings.TrimSuffix(signRaw(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validMapClaims(userID)), ".") + "." + parts[2]},
		{name: "a token without exp is invalid", token: withClaims(func(c jwt.MapClaims) { delete(c, "exp") })},
		{name: "a token without iss is invalid", token: withClaims(func(c jwt.MapClaims) { delete(c, "iss") })},
		{name: "a token without aud is invalid", token: withClaims(func(c jwt.MapClaims) { delete(c, "aud") })},
		{name: "a token whose sub is not a UUID is invalid", token: withClaims(func(c jwt.MapClaims) { c["sub"] = "42" })},
		{name: "a token without sub is invalid", token: withClaims(func(c jwt.MapClaims) { delete(c, "sub") })},
		{name: "a token with an unknown role is invalid", token: withClaims(func(c jwt.MapClaims) { c["role"] = "root" })},
		{name: "a token without a role is invalid", token: withClaims(func(c jwt.MapClaims) { delete(c, "role") })},
		{name: "a token with a non-string role is invalid", token: withClaims(func(c jwt.MapClaims) { c["role"] = 7 })},
		{name: "a token with a string exp is invalid", token: withClaims(func(c jwt.MapClaims) { c["exp"] = "tomorrow" })},
		{name: "a token not valid yet is invalid", token: withClaims(func(c jwt.MapClaims) { c["nbf"] = testNow.Add(time.Hour).Unix() })},
		{name: "an expired token from another issuer is invalid rather than expired", token: expiredAndWrongIssuer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			claims, err := ti.Verify(tc.token, testNow)
			require.ErrorIs(t, err, auth.ErrTokenInvalid)
			require.NotErrorIs(t, err, auth.ErrTokenExpired)
			require.Zero(t, claims)
		})
	}
}

func TestVerifyRejectsGarbage(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name  string
		token string
	}{
		{name: "an empty string is invalid", token: ""},
		{name: "a single word is invalid", token: "garbage"},
		{name: "two dots alone are invalid", token: ".."},
		{name: "too many segments are invalid", token: "a.b.c.d"},
		{name: "non-base64 segments are invalid", token: "!!!.???.***"},
		{name: "a header that is not JSON is invalid", token: b64([]byte("nope")) + "." + b64([]byte("{}")) + ".sig"},
		{name: "a header without alg is invalid", token: b64([]byte(`{"typ":"JWT"}`)) + "." + b64([]byte("{}")) + ".sig"},
		{name: "a payload that is a JSON array is invalid", token: b64([]byte(`{"alg":"HS256"}`)) + "." + b64([]byte("[1,2]")) + ".sig"},
		{name: "a bearer prefix is invalid", token: "Bearer abc.def.ghi"},
		{name: "an oversized token is invalid", token: strings.Repeat("a", 1<<20) + ".b.c"},
		{name: "binary junk is invalid", token: "\x00\xff.\xfe\x01.\x80"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.NotPanics(t, func() {
				_, err := ti.Verify(tc.token, testNow)
				require.ErrorIs(t, err, auth.ErrTokenInvalid)
			})
		})
	}
}

func BenchmarkIssueToken(b *testing.B) {
	ti := newTestIssuer(b)
	userID := uuid.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ti.Issue(userID, auth.RoleCustomer, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyToken(b *testing.B) {
	ti := newTestIssuer(b)
	tok, _, err := ti.Issue(uuid.New(), auth.RoleCustomer, testNow)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ti.Verify(tok, testNow); err != nil {
			b.Fatal(err)
		}
	}
}
