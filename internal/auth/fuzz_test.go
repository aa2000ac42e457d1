package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The fuzz target's fixed world: tokens in its seed corpus were issued with
// fuzzSecret at fuzzIssuedAt, and are verified a minute later, so they stay genuine
// however old the corpus gets.
var (
	fuzzSecret      = []byte("fuzz-secret-that-is-at-least-32-bytes-long")
	fuzzOtherSecret = []byte("another-secret-that-is-at-least-32-bytes")
	fuzzIssuedAt    = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	fuzzNow         = fuzzIssuedAt.Add(time.Minute)
	fuzzUser        = uuid.MustParse("6f1c2a4e-8b3d-4e5f-9a7b-1c2d3e4f5a6b")
)

const (
	fuzzIssuer   = "shopfloor"
	fuzzAudience = "shopfloor-api"
	// fuzzHeader is the header Issue writes; any other header was not issued.
	fuzzHeader = `{"alg":"HS256","typ":"JWT"}`
)

// fuzzTokenIssuer returns the issuer the fuzz target verifies with, on secret.
func fuzzTokenIssuer(tb testing.TB, secret []byte) *TokenIssuer {
	tb.Helper()
	ti, err := NewTokenIssuer(secret, fuzzIssuer, fuzzAudience, 15*time.Minute)
	if err != nil {
		tb.Fatal(err)
	}
	return ti
}

// fuzzSign signs header.payload with key, as an attacker who knew the key would.
func fuzzSign(key []byte, header, payload string) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// FuzzVerify feeds Verify arbitrary strings, seeded with genuine tokens and their
// mutations. Verify must never panic, must fail only with ErrTokenInvalid or
// ErrTokenExpired, and may accept only a token that Issue produced with the same
// secret, byte for byte: canonical base64url segments, Issue's header, and a
// signature that recomputes with the secret.
func FuzzVerify(f *testing.F) {
	ti, other := fuzzTokenIssuer(f, fuzzSecret), fuzzTokenIssuer(f, fuzzOtherSecret)
	genuine, _, err := ti.Issue(fuzzUser, RoleCustomer, fuzzIssuedAt)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := ti.Verify(genuine, fuzzNow); err != nil {
		f.Fatalf("a genuine token is refused: %v", err)
	}
	foreign, _, err := other.Issue(fuzzUser, RoleAdmin, fuzzIssuedAt)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(genuine, ".")
	sig := parts[2]
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	admin := strings.Replace(string(payload), `"role":"customer"`, `"role":"admin"`, 1)
	for _, seed := range []string{
		genuine,
		foreign,
		genuine + "x",
		genuine[:len(genuine)-1],
		parts[0] + "." + parts[1] + "." + sig[:len(sig)-1] + fuzzSameBits(sig[len(sig)-1]),                // other unused bits
		parts[0] + "." + parts[1] + "." + sig[:10] + "\n" + sig[10:],                                      // a newline inside
		parts[0] + "." + parts[1] + "." + sig + "=",                                                       // padding
		parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(admin)) + "." + sig,                  // role raised
		base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", // alg none
		fuzzSign(fuzzSecret, `{"alg":"HS512","typ":"JWT"}`, string(payload)),                              // another algorithm
		fuzzSign([]byte(""), fuzzHeader, string(payload)),                                                 // empty key
		strings.Join([]string{parts[0], parts[1], strings.Split(foreign, ".")[2]}, "."),                   // foreign signature
		"", ".", "..", "a.b.c", strings.Repeat("A", maxTokenBytes+1),
	} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, token string) {
		claims, err := ti.Verify(token, fuzzNow)
		if err != nil {
			if !errors.Is(err, ErrTokenInvalid) && !errors.Is(err, ErrTokenExpired) {
				t.Fatalf("Verify failed with neither ErrTokenInvalid nor ErrTokenExpired: %v", err)
			}
			if claims != (Claims{}) {
				t.Fatalf("Verify failed yet returned claims %+v", claims)
			}
			return
		}
		fuzzRequireIssued(t, token, claims)
		if _, err := other.Verify(token, fuzzNow); err == nil {
			t.Fatalf("a token is accepted under two different secrets: %q", token)
		}
	})
}

// fuzzSameBits returns another base64url character for the last one of a 32-byte
// signature that differs only in the two bits the encoding leaves unused.
func fuzzSameBits(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return string(alphabet[strings.IndexByte(alphabet, c)^1])
}

// fuzzRequireIssued fails t unless token is exactly what Issue writes with
// fuzzSecret, and claims are what the token says.
func fuzzRequireIssued(t *testing.T, token string, claims Claims) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("accepted a token of %d segments: %q", len(parts), token)
	}
	enc := base64.RawURLEncoding
	var raw [3][]byte
	for i, p := range parts {
		b, err := enc.Strict().DecodeString(p)
		if err != nil || enc.EncodeToString(b) != p {
			t.Fatalf("accepted a token whose segment %d is not canonical base64url: %q", i, token)
		}
		raw[i] = b
	}
	if string(raw[0]) != fuzzHeader {
		t.Fatalf("accepted a token with a header Issue never writes: %s", raw[0])
	}
	mac := hmac.New(sha256.New, fuzzSecret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(mac.Sum(nil), raw[2]) {
		t.Fatalf("accepted a token not signed with the secret: %q", token)
	}
	var c jwtClaims
	if err := json.Unmarshal(raw[1], &c); err != nil {
		t.Fatalf("accepted a token whose claims are not JSON: %v", err)
	}
	if c.Issuer != fuzzIssuer || len(c.Audience) != 1 || c.Audience[0] != fuzzAudience || c.ID == "" ||
		c.IssuedAt == nil || c.ExpiresAt == nil || !c.ExpiresAt.After(fuzzNow.Add(-tokenLeeway)) {
		t.Fatalf("accepted a token with claims Issue never writes: %s", raw[1])
	}
	if claims.UserID.String() != c.Subject || claims.Role != c.Role || !claims.ExpiresAt.Equal(c.ExpiresAt.Time) {
		t.Fatalf("claims %+v do not match the token's %s", claims, raw[1])
	}
}
