package auth

import "context"

type callerKey struct{}

// WithCaller stores the verified claims of the request's access token, so handlers
// can decide what the caller may do without parsing the token again.
func WithCaller(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// Caller returns the claims stored by WithCaller; ok is false on public operations.
func Caller(ctx context.Context) (c Claims, ok bool) {
	c, ok = ctx.Value(callerKey{}).(Claims)
	return c, ok
}

// IsStaff reports whether the role may run the catalog, orders and dashboard.
func (c Claims) IsStaff() bool { return c.Role == "staff" || c.Role == "admin" }

// IsAdmin reports whether the role may manage accounts.
func (c Claims) IsAdmin() bool { return c.Role == "admin" }
