package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
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

// ErrBusy is returned when a call waited HasherOptions.QueueTimeout for a bcrypt
// slot without getting one: more password checks are queued than the CPU budget for
// them can serve. The caller should answer 503 with Retry-After rather than hold the
// request longer.
var ErrBusy = errors.New("auth: too many password checks are waiting")

// dummyPassword is hashed once per Hasher so VerifyNothing has a real hash of
// the configured cost to compare against.
const dummyPassword = "shopfloor-timing-equalisation-dummy"

// Hasher hashes and verifies passwords with bcrypt. It exists so that every
// bcrypt call goes through one semaphore: bcrypt is deliberately expensive,
// and without a bound a login flood would starve the rest of the service of
// CPU. A Hasher is safe for concurrent use.
type Hasher struct {
	cost         int
	sem          chan struct{}
	queueTimeout time.Duration
	work         chan func() // to the low-priority workers; nil without a nice value
	dummy        func() ([]byte, error)
	waiting      atomic.Int64 // calls queued for a slot
	shed         atomic.Int64 // calls refused with ErrBusy
	spans        trace.Tracer // nil with tracing off
}

// Running is the number of bcrypt runs in progress (at most MaxConcurrent).
func (h *Hasher) Running() int { return len(h.sem) }

// Waiting is the number of calls queued for a bcrypt slot right now.
func (h *Hasher) Waiting() int64 { return h.waiting.Load() }

// Shed is the number of calls refused with ErrBusy so far.
func (h *Hasher) Shed() int64 { return h.shed.Load() }

// MaxConcurrent is the bound on bcrypt runs at once.
func (h *Hasher) MaxConcurrent() int { return cap(h.sem) }

// HasherOptions bound what bcrypt may take from the rest of the service.
type HasherOptions struct {
	// MaxConcurrent is how many bcrypt runs may use the CPU at once (at least 1).
	MaxConcurrent int
	// QueueTimeout is how long a call may wait for a free slot before it fails
	// with ErrBusy; 0 waits for as long as the call's context allows.
	QueueTimeout time.Duration
	// Nice (0 to 19) is the scheduling priority bcrypt runs get: they run on
	// MaxConcurrent worker goroutines started with the Hasher, each on an OS thread
	// of its own whose nice value is raised by this much once (Linux; a no-op
	// elsewhere), so that when the CPU is contended, request handling and
	// PostgreSQL come first and password checks use what is left. 0 keeps bcrypt
	// at the same priority as everything else, on the caller's goroutine.
	Nice int
	// Tracing, when not nil, gives the wait for a slot a span in the caller's trace,
	// so that a slow login shows whether it queued or hashed.
	Tracing trace.TracerProvider
}

// NewHasher returns a Hasher using the given bcrypt cost, which must be
// between MinBcryptCost and MaxBcryptCost, and allowing at most maxConcurrent
// bcrypt operations at the same time so CPU use stays bounded under load.
func NewHasher(cost, maxConcurrent int) (*Hasher, error) {
	return NewHasherWith(cost, HasherOptions{MaxConcurrent: maxConcurrent})
}

// NewHasherWith is NewHasher with every bound of HasherOptions, as the server
// uses it.
func NewHasherWith(cost int, opts HasherOptions) (*Hasher, error) {
	if cost < MinBcryptCost || cost > MaxBcryptCost {
		return nil, fmt.Errorf("auth: bcrypt cost %d outside allowed range %d..%d", cost, MinBcryptCost, MaxBcryptCost)
	}
	if opts.MaxConcurrent < 1 {
		return nil, fmt.Errorf("auth: maxConcurrent must be at least 1, got %d", opts.MaxConcurrent)
	}
	if opts.QueueTimeout < 0 {
		return nil, fmt.Errorf("auth: queue timeout must not be negative, got %s", opts.QueueTimeout)
	}
	if opts.Nice < 0 || opts.Nice > 19 {
		return nil, fmt.Errorf("auth: nice must be between 0 and 19, got %d", opts.Nice)
	}
	h := &Hasher{
		cost:         cost,
		sem:          make(chan struct{}, opts.MaxConcurrent),
		queueTimeout: opts.QueueTimeout,
	}
	if opts.Tracing != nil {
		h.spans = opts.Tracing.Tracer("github.com/shopfloor/shopfloor/internal/auth")
	}
	if opts.Nice > 0 {
		h.work = make(chan func())
		startWorkers(h.work, opts.MaxConcurrent, opts.Nice)
		// The workers outlive nothing: when the Hasher is collected (tests make many),
		// closing work ends them and retires their threads.
		runtime.AddCleanup(h, func(work chan func()) { close(work) }, h.work)
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

// SlotSpan names the span of the wait for a bcrypt slot.
const SlotSpan = "password check slot"

// acquire takes a bcrypt slot, giving up when ctx ends so that a request whose
// client has gone away does not wait for CPU it no longer needs, and with ErrBusy
// once it has waited the queue timeout. In a traced request the wait is a span
// saying whether it queued and how it ended.
func (h *Hasher) acquire(ctx context.Context) error {
	if h.spans == nil || !trace.SpanContextFromContext(ctx).IsValid() {
		_, err := h.take(ctx)
		return err
	}
	_, span := h.spans.Start(ctx, SlotSpan)
	defer span.End()
	queued, err := h.take(ctx)
	span.SetAttributes(attribute.Bool("shopfloor.password.queued", queued))
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

// take is acquire's wait; queued says whether no slot was free at once.
func (h *Hasher) take(ctx context.Context) (queued bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	select {
	case h.sem <- struct{}{}:
		return false, nil
	default:
	}
	h.waiting.Add(1)
	defer h.waiting.Add(-1)
	var expired <-chan time.Time
	if h.queueTimeout > 0 {
		t := time.NewTimer(h.queueTimeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case h.sem <- struct{}{}:
		return true, nil
	case <-ctx.Done():
		return true, ctx.Err()
	case <-expired:
		h.shed.Add(1)
		return true, ErrBusy
	}
}

func (h *Hasher) release() { <-h.sem }

// run does one bcrypt computation: on a low-priority worker when the Hasher has a
// nice value, else on the caller's goroutine. The caller holds a slot of the
// semaphore, which has as many slots as there are workers, so a worker is free.
func (h *Hasher) run(f func()) {
	if h.work == nil {
		f()
		return
	}
	done := make(chan struct{})
	h.work <- func() {
		defer close(done)
		f()
	}
	<-done
}

// startWorkers starts n goroutines that run the functions sent on work until it is
// closed, each locked to an OS thread of its own whose nice value it raises once,
// at start. They never unlock their threads, so no other goroutine ever runs at the
// lowered priority, and Go retires the threads when work closes.
//
// A worker holds one of the Go scheduler's Ps while bcrypt runs (Go preempts it only
// every 10 ms), and at a low priority the kernel may keep it waiting while it holds
// it. The scheduler should therefore have a P for each worker beyond those request
// handling needs: ReservedProcs says how many, and `shopfloor serve` adds them to
// GOMAXPROCS once, at start.
func startWorkers(work <-chan func(), n, nice int) {
	for range n {
		go func() {
			runtime.LockOSThread()
			lowerThreadPriority(nice)
			for f := range work {
				f()
			}
		}()
	}
}

// ReservedProcs is how many Ps the low-priority bcrypt workers of HasherOptions want
// on top of request handling's (see startWorkers): one per worker, none without a
// nice value.
func ReservedProcs(opts HasherOptions) int {
	if opts.Nice == 0 {
		return 0
	}
	return opts.MaxConcurrent
}

// Hash returns the bcrypt hash of password. It refuses passwords longer than
// MaxPasswordBytes instead of letting bcrypt truncate them, and returns
// ctx.Err() if ctx ends, or ErrBusy if the queue timeout passes, while waiting
// for a free bcrypt slot.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", ErrPasswordTooLong
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	var (
		b   []byte
		err error
	)
	h.run(func() { b, err = bcrypt.GenerateFromPassword([]byte(password), h.cost) })
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
	var err error
	h.run(func() { err = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) })
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
	var err error
	h.run(func() {
		var dummy []byte
		if dummy, err = h.dummy(); err == nil {
			// The result is irrelevant; only the time spent matters.
			_ = bcrypt.CompareHashAndPassword(dummy, []byte(password))
		}
	})
	if err != nil {
		return fmt.Errorf("auth: build dummy hash: %w", err)
	}
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
