// Package shopfloor holds the contract and the schema that every other package is
// generated from or checked against: openapi.yaml and the migrations in schema/.
//
// The go:generate lines below are the whole code-generation pipeline; CI runs
// `go generate ./...` and fails when it changes anything.
package shopfloor

import "embed"

//go:generate go tool oapi-codegen -config internal/api/oapi-codegen.yaml openapi.yaml
//go:generate go tool oapi-codegen -config client/oapi-codegen.yaml openapi.yaml
//go:generate go run ./tools/querygen
//go:generate go tool sqlc generate -f sqlc.yaml

// OpenAPIYAML is the contract served at /openapi.yaml and used to validate requests.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte

// Migrations holds the goose migrations in schema/, which are also sqlc's schema.
//
//go:embed schema/*.sql
var Migrations embed.FS
