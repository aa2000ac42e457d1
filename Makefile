# Shopfloor: `make run` starts the API with a local database and demo data;
# `make test` checks generated code, vets, and runs every test against real PostgreSQL.
GO ?= go

.PHONY: run test generate check-generated vet lint build postgres

run: postgres
	$(GO) run ./cmd/shopfloor dev

test: postgres check-generated vet lint
	$(GO) test -race -count=1 ./...

# Regenerates the server, the client and the queries from openapi.yaml and queries/.
generate:
	$(GO) generate ./...

# Fails when openapi.yaml, sqlc.yaml, schema/ or queries/ changed without regenerating.
check-generated:
	@./scripts/check-generated.sh

vet:
	$(GO) vet ./...

# Lints openapi.yaml with Redocly CLI's recommended rules (pinned in tools/redocly);
# any error or warning fails.
lint:
	@./scripts/lint-spec.sh

build:
	$(GO) build -o bin/shopfloor ./cmd/shopfloor

postgres:
	@./scripts/ensure-postgres.sh
