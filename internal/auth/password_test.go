package auth

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// testCost keeps bcrypt fast in tests while staying within the allowed range.
const testCost = MinBcryptCost

func newTestHasher(t *testing.T, maxConcurrent int) *Hasher {
	t.Helper()
	h, err := NewHasher(testCost, maxConcurrent)
	require.NoError(t, err)
	return h
}

func TestNewHasher(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		cost          int
		maxConcurrent int
		wantErr       bool
	}{
		{name: "accepts the minimum cost of 10", cost: 10, maxConcurrent: 1},
		{name: "accepts the default cost of 12", cost: DefaultBcryptCost, maxConcurrent: 4},
		{name: "accepts the maximum cost of 31", cost: 31, maxConcurrent: 1},
		{name: "refuses cost 9", cost: 9, maxConcurrent: 1, wantErr: true},
		{name: "refuses cost 32", cost: 32, maxConcurrent: 1, wantErr: true},
		{name: "refuses zero concurrency", cost: 10, maxConcurrent: 0, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := NewHasher(tc.cost, tc.maxConcurrent)
			if tc.wantErr {
				require.Error(t, err)
				require.Nil(t, h)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.cost, h.Cost())
		})
	}
}

func TestHasherHashAndVerify(t *testing.T) {
	t.Parallel()
	h := newTestHasher(t, 4)
	ctx := context.Background()

	hash, err := h.Hash(ctx, "Correct1horse")
	require.NoError(t, err)
	cost, err := bcrypt.Cost([]byte(hash))
	require.NoError(t, err)
	require.Equal(t, testCost, cost)

	tests := []struct {
		name     string
		hash     string
		password string
		want     bool
		wantErr  bool
	}{
		{name: "the right password matches", hash: hash, password: "Correct1horse", want: true},
		{name: "a wrong password does not match", hash: hash, password: "Correct1horsf", want: false},
		{name: "an empty password does not match", hash: hash, password: "", want: false},
		{name: "a malformed hash is an error", hash: "not-a-hash", password: "Correct1horse", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, err := h.Verify(ctx, tc.hash, tc.password)
			if tc.wantErr {
				require.Error(t, err)
				require.False(t, ok)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, ok)
		})
	}
}

func TestHashingTheSamePasswordTwiceGivesDifferentHashes(t *testing.T) {
	t.Parallel()
	h := newTestHasher(t, 2)
	a, err := h.Hash(context.Background(), "Password1")
	require.NoError(t, err)
	b, err := h.Hash(context.Background(), "Password1")
	require.NoError(t, err)
	require.NotEqual(t, a, b)
}

func TestHashRefusesPasswordsLongerThan72Bytes(t *testing.T) {
	t.Parallel()
	h := newTestHasher(t, 1)
	_, err := h.Hash(context.Background(), strings.Repeat("A1", 36)+"x")
	require.ErrorIs(t, err, ErrPasswordTooLong)

	_, err = h.Hash(context.Background(), strings.Repeat("A1", 36))
	require.NoError(t, err, "exactly 72 bytes is allowed")
}

func TestVerifyRejectsAPasswordThatOnlyMatchesThroughTruncation(t *testing.T) {
	t.Parallel()
	h := newTestHasher(t, 1)
	pw := strings.Repeat("A1", 36)
	hash, err := h.Hash(context.Background(), pw)
	require.NoError(t, err)
	ok, err := h.Verify(context.Background(), hash, pw+"extra")
	require.NoError(t, err)
	require.False(t, ok)
}

func TestVerifyNothingDoesTheSameBcryptWorkAsAFailedVerify(t *testing.T) {
	t.Parallel()
	// Equal time comes from equal work: VerifyNothing compares against a real hash
	// of the configured cost, as Verify does. (Checked by cost, not by a stopwatch,
	// which a shared machine makes unreliable.)
	h := newTestHasher(t, 1)
	require.NoError(t, h.VerifyNothing(context.Background(), "Wrong1pass"))
	dummy, err := h.dummy()
	require.NoError(t, err)
	cost, err := bcrypt.Cost(dummy)
	require.NoError(t, err)
	require.Equal(t, h.Cost(), cost)
	require.Error(t, bcrypt.CompareHashAndPassword(dummy, []byte("Wrong1pass")), "the dummy hash matches no real password")
}

func TestHasherBoundsConcurrentBcryptOperations(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("Password1"), bcrypt.MinCost)
	require.NoError(t, err)

	ops := []struct {
		name string
		run  func(ctx context.Context, h *Hasher) error
	}{
		{name: "Hash", run: func(ctx context.Context, h *Hasher) error {
			_, err := h.Hash(ctx, "Password1")
			return err
		}},
		{name: "Verify", run: func(ctx context.Context, h *Hasher) error {
			_, err := h.Verify(ctx, string(hash), "Password1")
			return err
		}},
		{name: "VerifyNothing", run: func(ctx context.Context, h *Hasher) error {
			return h.VerifyNothing(ctx, "Password1")
		}},
	}
	// start runs op in the background and delivers its result on the channel.
	start := func(ctx context.Context, h *Hasher, op func(context.Context, *Hasher) error) <-chan error {
		done := make(chan error, 1)
		go func() { done <- op(ctx, h) }()
		return done
	}
	const grace = 50 * time.Millisecond

	for _, op := range ops {
		for _, limit := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s with %d slots runs while one slot is free", op.name, limit), func(t *testing.T) {
				t.Parallel()
				h := newTestHasher(t, limit)
				for range limit - 1 {
					h.sem <- struct{}{}
				}
				select {
				case err := <-start(context.Background(), h, op.run):
					require.NoError(t, err)
				case <-time.After(30 * time.Second):
					t.Fatal("operation blocked although a slot was free")
				}
				require.Len(t, h.sem, limit-1, "the slot must be released after use")
			})
			t.Run(fmt.Sprintf("%s with %d slots waits while all are busy and returns the context error on cancel", op.name, limit), func(t *testing.T) {
				t.Parallel()
				h := newTestHasher(t, limit)
				for range limit {
					h.sem <- struct{}{}
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := start(ctx, h, op.run)
				select {
				case err := <-done:
					t.Fatalf("operation ran despite the bound: %v", err)
				case <-time.After(grace):
				}
				cancel()
				select {
				case err := <-done:
					require.ErrorIs(t, err, context.Canceled)
				case <-time.After(5 * time.Second):
					t.Fatal("operation did not give up after cancel")
				}
				require.Len(t, h.sem, limit, "a cancelled waiter must not take or free a slot")
			})
			t.Run(fmt.Sprintf("%s with %d slots proceeds once a busy slot is released", op.name, limit), func(t *testing.T) {
				t.Parallel()
				h := newTestHasher(t, limit)
				for range limit {
					h.sem <- struct{}{}
				}
				done := start(context.Background(), h, op.run)
				select {
				case err := <-done:
					t.Fatalf("operation ran despite the bound: %v", err)
				case <-time.After(grace):
				}
				<-h.sem
				select {
				case err := <-done:
					require.NoError(t, err)
				case <-time.After(30 * time.Second):
					t.Fatal("operation did not proceed after release")
				}
				require.Len(t, h.sem, limit-1, "the slot must be released after use")
			})
		}
	}
}

func TestHasherReturnsAnAlreadyCancelledContextErrorEvenWithFreeSlots(t *testing.T) {
	t.Parallel()
	h := newTestHasher(t, 4)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.Hash(ctx, "Password1")
	require.ErrorIs(t, err, context.Canceled)
}

func TestCheckPasswordStrength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pw   string
		want []string
	}{
		{name: "a good password has no problems", pw: "Password1", want: []string{}},
		{name: "exactly 8 bytes is long enough", pw: "Abcdef12", want: []string{}},
		{name: "exactly 72 bytes is short enough", pw: strings.Repeat("A1", 36), want: []string{}},
		{name: "a 7-byte password is too short", pw: "Abcde12", want: []string{"must be at least 8 bytes long"}},
		{name: "a 73-byte password is too long", pw: strings.Repeat("A1", 36) + "x", want: []string{"must be at most 72 bytes long"}},
		{name: "a password without an uppercase letter is refused", pw: "password1", want: []string{"must contain an uppercase letter"}},
		{name: "a password without a digit is refused", pw: "Password", want: []string{"must contain a digit"}},
		{name: "an empty password reports every problem", pw: "", want: []string{
			"must be at least 8 bytes long",
			"must contain an uppercase letter",
			"must contain a digit",
		}},
		{name: "length counts bytes not characters", pw: "Ää1", want: []string{"must be at least 8 bytes long"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := CheckPasswordStrength(tc.pw)
			require.NotNil(t, got)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestHasherShedsCallsThatWaitLongerThanTheQueueTimeout(t *testing.T) {
	t.Parallel()
	h, err := NewHasherWith(testCost, HasherOptions{MaxConcurrent: 1, QueueTimeout: 20 * time.Millisecond})
	require.NoError(t, err)
	h.sem <- struct{}{} // the one slot is busy
	for name, op := range map[string]func() error{
		"Hash":          func() error { _, err := h.Hash(context.Background(), "Password1"); return err },
		"Verify":        func() error { _, err := h.Verify(context.Background(), "$2a$10$x", "Password1"); return err },
		"VerifyNothing": func() error { return h.VerifyNothing(context.Background(), "Password1") },
	} {
		require.ErrorIs(t, op(), ErrBusy, name)
	}
	require.Len(t, h.sem, 1, "a shed call must not take or free a slot")
	require.EqualValues(t, 3, h.Shed(), "every shed call is counted")
	require.Zero(t, h.Waiting(), "a shed call leaves the queue")
	<-h.sem
	_, err = h.Hash(context.Background(), "Password1")
	require.NoError(t, err, "with the slot free again, calls are served")
}

func TestHasherCountsRunningAndQueuedCalls(t *testing.T) {
	t.Parallel()
	h, err := NewHasherWith(testCost, HasherOptions{MaxConcurrent: 2})
	require.NoError(t, err)
	require.Equal(t, 2, h.MaxConcurrent())
	h.sem <- struct{}{}
	h.sem <- struct{}{} // both slots busy
	require.Equal(t, 2, h.Running())

	done := make(chan error)
	for range 3 {
		go func() { _, err := h.Hash(context.Background(), "Password1"); done <- err }()
	}
	for h.Waiting() < 3 {
		runtime.Gosched()
	}
	<-h.sem
	<-h.sem // the slots free up: the queued calls run, two at a time
	for range 3 {
		require.NoError(t, <-done)
	}
	require.Zero(t, h.Waiting())
	require.Zero(t, h.Running())
	require.Zero(t, h.Shed(), "no queue timeout: nothing is shed")
}

func TestNewHasherWithRefusesBadBounds(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string]HasherOptions{
		"nice above 19":          {MaxConcurrent: 1, Nice: 20},
		"negative nice":          {MaxConcurrent: 1, Nice: -1},
		"negative queue timeout": {MaxConcurrent: 1, QueueTimeout: -time.Second},
		"no slot":                {MaxConcurrent: 0},
	} {
		_, err := NewHasherWith(testCost, opts)
		require.Error(t, err, name)
	}
}
