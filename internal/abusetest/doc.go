// Package abusetest holds the hostile-input and abuse tests of Shopfloor: rate limits
// (per process and shared through Redis), a bcrypt flood beside ordinary reads,
// oversized, deeply nested and malformed bodies, security headers and CORS, client IP
// spoofing, and secrets kept out of the logs. Each test provokes the abuse against a
// real server on a real database and asserts what the server answered, and that it
// still serves afterwards. The package has no code of its own, only tests.
package abusetest
