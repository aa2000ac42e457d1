// Package auth holds the credential primitives of Shopfloor: bcrypt password
// hashing with a bounded worker budget, password strength rules, HS256 access
// tokens and opaque refresh tokens.
//
// The package deliberately knows nothing about HTTP or the database so that
// the security-relevant decisions live in one small, easily tested place;
// handlers map its sentinel errors to responses and repositories store the
// hashes it produces.
package auth
