// Package ratelimit counts requests per subject (a client IP, an email) in fixed
// windows, in memory for one replica or in Redis so that several replicas enforce one
// limit together.
package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rule is one limit: at most Limit requests per Window for each subject.
type Rule struct {
	Name   string
	Limit  int
	Window time.Duration
}

// Off reports whether the rule limits nothing.
func (r Rule) Off() bool { return r.Limit <= 0 }

// ParseRule reads "N/duration" (e.g. "10/1m"); "off" or "0" disables the rule.
func ParseRule(name, s string) (Rule, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Rule{Name: name}, nil
	}
	count, window, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 1 {
		return Rule{}, fmt.Errorf("must look like 10/1m (requests/window) or off, got %q", s)
	}
	d, err := time.ParseDuration(window)
	if err != nil || d < time.Second {
		return Rule{}, fmt.Errorf("window must be a duration of at least 1s, got %q", window)
	}
	return Rule{Name: name, Limit: n, Window: d}, nil
}

// Decision is the answer for one request.
type Decision struct {
	Allowed bool
	// RetryAfter is how long until the subject's window resets, when refused.
	RetryAfter time.Duration
}

// Limiter decides whether a subject may make one more request under a rule.
type Limiter interface {
	Allow(ctx context.Context, rule Rule, subject string) (Decision, error)
}

// Memory is a Limiter for one process.
type Memory struct {
	mu      sync.Mutex
	windows map[string]*window
	now     func() time.Time
	sweepAt time.Time
}

type window struct {
	count int
	reset time.Time
}

// NewMemory returns an empty in-memory limiter.
func NewMemory() *Memory {
	return &Memory{windows: map[string]*window{}, now: time.Now}
}

// Allow counts the request and says whether it is within the rule.
func (m *Memory) Allow(_ context.Context, rule Rule, subject string) (Decision, error) {
	if rule.Off() {
		return Decision{Allowed: true}, nil
	}
	key := rule.Name + "\x00" + subject
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	w, ok := m.windows[key]
	if !ok || !now.Before(w.reset) {
		w = &window{reset: now.Add(rule.Window)}
		m.windows[key] = w
	}
	w.count++
	if w.count > rule.Limit {
		return Decision{RetryAfter: w.reset.Sub(now)}, nil
	}
	return Decision{Allowed: true}, nil
}

// sweep drops expired windows now and then, so the map stays as small as the set of
// subjects active in the last window.
func (m *Memory) sweep(now time.Time) {
	if now.Before(m.sweepAt) {
		return
	}
	for k, w := range m.windows {
		if !now.Before(w.reset) {
			delete(m.windows, k)
		}
	}
	m.sweepAt = now.Add(30 * time.Second)
}
