// Package client is a typed Go client for the Shopfloor API, generated from openapi.yaml
// by oapi-codegen. Other Go programs may import it; the end-to-end tests use it too.
package client
