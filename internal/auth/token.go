package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Roles a token may carry. They are fixed here so that a token naming any
// other role is rejected rather than silently granted default rights.
const (
	RoleCustomer = "customer"
	RoleStaff    = "staff"
	RoleAdmin    = "admin"
)

const (
	// MinTokenSecretBytes is the shortest HS256 secret accepted; shorter keys
	// weaken HMAC-SHA256 below its 256-bit design strength.
	MinTokenSecretBytes = 32
	// tokenLeeway absorbs small clock differences between servers.
	tokenLeeway = 30 * time.Second
	// maxTokenBytes caps the input Verify will look at so that hostile,
	// oversized tokens are rejected before any decoding work.
	maxTokenBytes = 4096
	// tokenAlphabet is every character a compact JWS may hold: base64url and the
	// dots between its segments.
	tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
)

var (
	// ErrTokenExpired means the token was genuine but is past its expiry, so
	// the client should refresh it rather than log in again.
	ErrTokenExpired = errors.New("auth: token expired")
	// ErrTokenInvalid means the token cannot be trusted at all (malformed,
	// wrong signature, algorithm, issuer, audience or claims).
	ErrTokenInvalid = errors.New("auth: token invalid")

	// errBadClaim marks failures of the package's own claim checks so they
	// are never mistaken for a mere expiry.
	errBadClaim = errors.New("bad claim")
)

// IsValidRole reports whether role is one the service knows, so callers can
// validate input with the same rule tokens are checked against.
func IsValidRole(role string) bool {
	switch role {
	case RoleCustomer, RoleStaff, RoleAdmin:
		return true
	}
	return false
}

// Claims is what a verified access token asserts about its bearer; it is all
// a request handler needs for authorization decisions.
type Claims struct {
	UserID    uuid.UUID
	Role      string
	ExpiresAt time.Time
}

// jwtClaims is the wire form of an access token.
type jwtClaims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// Validate runs the package's own checks during parsing so that they are
// reported together with the library's checks.
func (c jwtClaims) Validate() error {
	if _, err := uuid.Parse(c.Subject); err != nil {
		return fmt.Errorf("%w: subject is not a UUID", errBadClaim)
	}
	if !IsValidRole(c.Role) {
		return fmt.Errorf("%w: unknown role %q", errBadClaim, c.Role)
	}
	return nil
}

// TokenIssuer creates and verifies short-lived HS256 access tokens. Keeping
// issuing and verification in one type guarantees both sides agree on secret,
// issuer, audience and algorithm. A TokenIssuer is safe for concurrent use.
type TokenIssuer struct {
	secret   []byte
	issuer   string
	audience string
	ttl      time.Duration
}

// NewTokenIssuer returns a TokenIssuer. The secret must be at least
// MinTokenSecretBytes long and is copied so later changes by the caller cannot
// affect it; issuer and audience must be non-empty because Verify insists on
// them, and ttl must be positive.
func NewTokenIssuer(secret []byte, issuer, audience string, ttl time.Duration) (*TokenIssuer, error) {
	if len(secret) < MinTokenSecretBytes {
		return nil, fmt.Errorf("auth: token secret must be at least %d bytes, got %d", MinTokenSecretBytes, len(secret))
	}
	if issuer == "" || audience == "" {
		return nil, errors.New("auth: token issuer and audience must not be empty")
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("auth: token ttl must be positive, got %s", ttl)
	}
	return &TokenIssuer{
		secret:   append([]byte(nil), secret...),
		issuer:   issuer,
		audience: audience,
		ttl:      ttl,
	}, nil
}

// Issue signs an access token for userID with role, valid from now for the
// configured TTL. It returns the TTL as expiresIn so the response can tell
// the client when to refresh. A random jti makes every token unique, even two
// issued in the same second.
func (ti *TokenIssuer) Issue(userID uuid.UUID, role string, now time.Time) (string, time.Duration, error) {
	if userID == uuid.Nil {
		return "", 0, errors.New("auth: cannot issue token for nil user ID")
	}
	if !IsValidRole(role) {
		return "", 0, fmt.Errorf("auth: cannot issue token for unknown role %q", role)
	}
	jti, err := uuid.NewRandom()
	if err != nil {
		return "", 0, fmt.Errorf("auth: generate token id: %w", err)
	}
	claims := jwtClaims{
		Role: role,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   userID.String(),
			Issuer:    ti.issuer,
			Audience:  jwt.ClaimStrings{ti.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ti.ttl)),
			ID:        jti.String(),
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(ti.secret)
	if err != nil {
		return "", 0, fmt.Errorf("auth: sign token: %w", err)
	}
	return signed, ti.ttl, nil
}

// Verify checks token as of now and returns its claims. The algorithm is
// pinned to HS256, and issuer, audience, expiry, a UUID subject and a known
// role are all required. Every failure wraps ErrTokenExpired (genuine but
// expired) or ErrTokenInvalid (anything else), so callers can tell the client
// whether refreshing will help. Verify never panics on hostile input.
func (ti *TokenIssuer) Verify(token string, now time.Time) (Claims, error) {
	if token == "" || len(token) > maxTokenBytes {
		return Claims{}, fmt.Errorf("%w: empty or oversized token", ErrTokenInvalid)
	}
	// Base64 decoding skips line breaks and ignores the unused low bits of a last
	// character, so without these two checks one genuine token would have many
	// spellings that all verify.
	if strings.TrimLeft(token, tokenAlphabet) != "" {
		return Claims{}, fmt.Errorf("%w: characters outside base64url", ErrTokenInvalid)
	}
	parser := jwt.NewParser(
		jwt.WithStrictDecoding(),
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(ti.issuer),
		jwt.WithAudience(ti.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(tokenLeeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var c jwtClaims
	_, err := parser.ParseWithClaims(token, &c, ti.key)
	if err != nil {
		if onlyExpired(err) {
			return Claims{}, fmt.Errorf("%w: %v", ErrTokenExpired, err)
		}
		return Claims{}, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
	// Validate already checked the subject; parsing again is cheap and keeps
	// this function correct on its own.
	userID, err := uuid.Parse(c.Subject)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: subject is not a UUID", ErrTokenInvalid)
	}
	return Claims{UserID: userID, Role: c.Role, ExpiresAt: c.ExpiresAt.Time}, nil
}

// key supplies the HMAC secret, refusing any non-HMAC method as a second line
// of defence behind WithValidMethods.
func (ti *TokenIssuer) key(t *jwt.Token) (any, error) {
	if t.Method != jwt.SigningMethodHS256 {
		return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
	}
	return ti.secret, nil
}

// onlyExpired reports whether err says the token is expired and nothing else
// is wrong with it, so that an expired token that is also invalid in another
// way is reported as invalid.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	for _, other := range []error{
		jwt.ErrTokenMalformed,
		jwt.ErrTokenUnverifiable,
		jwt.ErrTokenSignatureInvalid,
		jwt.ErrTokenRequiredClaimMissing,
		jwt.ErrTokenInvalidAudience,
		jwt.ErrTokenInvalidIssuer,
		jwt.ErrTokenInvalidSubject,
		jwt.ErrTokenNotValidYet,
		jwt.ErrTokenUsedBeforeIssued,
		jwt.ErrTokenInvalidId,
		jwt.ErrInvalidType,
		errBadClaim,
	} {
		if errors.Is(err, other) {
			return false
		}
	}
	return true
}
