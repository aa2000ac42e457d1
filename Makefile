# Shopfloor: `make run` starts the API with a local database and demo data;
# `make test` checks generated code, vets, and runs every test against real PostgreSQL.
GO ?= go

.PHONY: run test test-pgbouncer generate check-generated vet lint api-diff api-check build postgres bench fuzz

run: postgres
	$(GO) run ./cmd/shopfloor dev

test: postgres check-generated vet lint api-check
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz

# Runs each fuzz target for a short while on top of its committed seed corpus
# (testdata/fuzz/<FuzzName>): a number of executions, not a duration, because Go 1.26's
# fuzz coordinator can report a spurious "context deadline exceeded" failure when a
# -fuzztime duration ends under CPU load (golang/go#75804, fixed in Go 1.27).
# FUZZTIME=2000000x fuzzes longer.
FUZZTIME ?= 50000x
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzValidateRequest$$' -fuzztime=$(FUZZTIME) ./internal/server
	$(GO) test -run='^$$' -fuzz='^FuzzVerify$$' -fuzztime=$(FUZZTIME) ./internal/auth

# Runs the end-to-end suite through PgBouncer in transaction pooling mode
# (DB_QUERY_EXEC_MODE=exec); see "Running behind PgBouncer" in README.md.
test-pgbouncer: postgres
	@./scripts/e2e-pgbouncer.sh

# Regenerates the server, the Go and TypeScript clients and the queries from
# openapi.yaml and queries/.
generate:
	$(GO) generate ./...
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run --silent generate

# Fails when openapi.yaml, sqlc.yaml, schema/ or queries/ changed without regenerating.
check-generated:
	@./scripts/check-generated.sh

vet:
	$(GO) vet ./...

# Lints openapi.yaml with Redocly CLI's recommended rules (pinned in tools/redocly);
# any error or warning fails.
lint:
	@./scripts/lint-spec.sh

# Prints what changed in openapi.yaml since a git ref: make api-diff BASE=v1.0.0;
# FORMAT=markdown prints a pull-request comment (breaking changes first).
api-diff:
	@FORMAT=$(or $(FORMAT),text) ./scripts/api-diff.sh $(or $(BASE),$(shell cat .api-base))

# Fails on a breaking change against the released spec (.api-base) unless
# info.version's major number went up.
api-check:
	@./scripts/api-check.sh

build:
	$(GO) build -o bin/shopfloor ./cmd/shopfloor

# Load benchmark against a seeded database (minutes; not part of `make test`):
# wrk scenarios, the growth table, hot vs spread orders, the plan check, the pgbench
# ceiling, the bare reference, Go benchmarks. Settings such as SCALES="1 10" or
# RUNS=1 DURATION=5s go in the environment; see bench/run.sh and BENCHMARKS.md.
bench: postgres
	@./bench/run.sh

postgres:
	@./scripts/ensure-postgres.sh
