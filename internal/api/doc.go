// Package api is generated from openapi.yaml by oapi-codegen: the request and response
// types, the Echo strict-server interface the handlers implement, and the embedded spec.
// Nothing here is edited by hand; change openapi.yaml and run `go generate ./...`.
package api
