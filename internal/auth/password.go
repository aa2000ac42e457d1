package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"unicode"

	"golang.org/x/crypto/bcrypt"
)

const (
	// MinBcryptCost is the lowest bcrypt cost the product accepts; anything
	// cheaper makes offline cracking of a leaked hash too affordable.
	MinBcryptCost = 10
	// MaxBcryptCost is the highest cost bcrypt itself supports.
	MaxBcryptCost = bcrypt.MaxCost
	// DefaultBcryptCost is the cost used unless configuration says otherwise;
	// it balances login latency against resistance to brute force.
	DefaultBcryptCost = 12

	// MinPasswordBytes is the shortest password accepted, because shorter
	// ones fall to online guessing regardless of hashing cost.
	MinPasswordBytes = 8
	// MaxPasswordBytes is the longest password accepted, because bcrypt only
	// looks at the first 72 bytes and would otherwise silently ignore the rest.
	MaxPasswordBytes = 72
)

// ErrPasswordTooLong is returned by Hasher.Hash for passwords bcrypt would
// truncate, so that two different passwords can never share a hash.
var ErrPasswordTooLong = errors.New("auth: password exceeds 72 bytes")

// dummyPassword is hashed once per Hasher so VerifyNothing has a real hash of
// the configured cost to compare against.
const dummyPassword = "shopfloor-timing-equalisation-dummy"

// Hasher hashes and verifies passwords with bcrypt. It exists so that every
// bcrypt call goes through one semaphore: bcrypt is deliberately expensive,
// and without a bound a login flood would starve the rest of the service of
// CPU. A Hasher is safe for concurrent use.
type Hasher struct {
	cost  int
	sem   chan struct{}
	dummy func() ([]byte, error)
}

// NewHasher returns a Hasher using the given bcrypt cost, which must be
// between MinBcryptCost and MaxBcryptCost, and allowing at most maxConcurrent
// bcrypt operations at the same time so CPU use stays bounded under load.
func NewHasher(cost, maxConcurrent int) (*Hasher, error) {
	if cost < MinBcryptCost || cost > MaxBcryptCost {
		return nil, fmt.Errorf("auth: bcrypt cost %d outside allowed range %d..%d", cost, MinBcryptCost, MaxBcryptCost)
	}
	if maxConcurrent < 1 {
		return nil, fmt.Errorf("auth: maxConcurrent must be at least 1, got %d", maxConcurrent)
	}
	h := &Hasher{
		cost: cost,
		sem:  make(chan struct{}, maxConcurrent),
	}
	// The dummy hash is built lazily so constructing a Hasher (for example in
	// tests or short-lived commands) does not pay for a bcrypt run up front.
	h.dummy = sync.OnceValues(func() ([]byte, error) {
		return bcrypt.GenerateFromPassword([]byte(dummyPassword), h.cost)
	})
	return h, nil
}

// Cost reports the bcrypt cost new hashes are created with, so callers can
// decide whether a stored hash should be upgraded after a successful login.
func (h *Hasher) Cost() int { return h.cost }

// acquire takes a bcrypt slot, giving up when ctx ends so that a request whose
// client has gone away does not wait for CPU it no longer needs.
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns the bcrypt hash of password. It refuses passwords longer than
// MaxPasswordBytes instead of letting bcrypt truncate them, and returns
// ctx.Err() if ctx ends while waiting for a free bcrypt slot.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", ErrPasswordTooLong
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.cost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(b), nil
}

// Verify reports whether password matches hash. A mismatch is (false, nil);
// an error means the hash is unusable or ctx ended while waiting for a bcrypt
// slot, which callers should treat as a server problem rather than bad
// credentials.
func (h *Hasher) Verify(ctx context.Context, hash, password string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	switch {
	case err == nil:
		// Hash never stores passwords longer than bcrypt's limit, so a longer
		// candidate can only "match" through truncation; still pay the full
		// bcrypt cost above to keep timing uniform.
		return len(password) <= MaxPasswordBytes, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("auth: verify password: %w", err)
	}
}

// VerifyNothing spends the same time as a Verify that fails, using a fixed
// dummy hash of the configured cost. Call it when the account does not exist
// so that response time does not reveal which e-mail addresses are
// registered. It returns an error only if ctx ends while waiting for a bcrypt
// slot or the dummy hash cannot be built.
func (h *Hasher) VerifyNothing(ctx context.Context, password string) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	dummy, err := h.dummy()
	if err != nil {
		return fmt.Errorf("auth: build dummy hash: %w", err)
	}
	// The result is irrelevant; only the time spent matters.
	_ = bcrypt.CompareHashAndPassword(dummy, []byte(password))
	return nil
}

// CheckPasswordStrength returns human-readable problems with pw, suitable for
// showing to the user, or an empty slice when pw is acceptable. It enforces
// the product's minimum rules: 8 to 72 bytes, an uppercase letter and a digit.
func CheckPasswordStrength(pw string) []string {
	problems := []string{}
	switch {
	case len(pw) < MinPasswordBytes:
		problems = append(problems, fmt.Sprintf("must be at least %d bytes long", MinPasswordBytes))
	case len(pw) > MaxPasswordBytes:
		problems = append(problems, fmt.Sprintf("must be at most %d bytes long", MaxPasswordBytes))
	}
	var hasUpper, hasDigit bool
	for _, r := range pw {
		if unicode.IsUpper(r) {
			hasUpper = true
		}
		if unicode.IsDigit(r) {
			hasDigit = true
		}
	}
	if !hasUpper {
		problems = append(problems, "must contain an uppercase letter")
	}
	if !hasDigit {
		problems = append(problems, "must contain a digit")
	}
	return problems
}
