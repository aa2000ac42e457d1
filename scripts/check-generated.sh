#!/usr/bin/env bash
# Fails when `go generate ./...` would change the generated code, i.e. when
# openapi.yaml, sqlc.yaml, schema/, queries/ or a queries/*.sql.tmpl template changed
# without regenerating.
# Compares against the working tree, so it works with uncommitted edits too.
set -euo pipefail
dirs=(internal/api internal/db client queries)
before=$(mktemp -d)
trap 'rm -rf "$before"' EXIT
for d in "${dirs[@]}"; do mkdir -p "$before/$d" && cp -R "$d/." "$before/$d/"; done
go generate ./...
stale=0
for d in "${dirs[@]}"; do
  if ! diff -r "$before/$d" "$d" >/dev/null; then
    echo "generated code in $d is stale:" >&2
    diff -r "$before/$d" "$d" | head -40 >&2 || true
    stale=1
  fi
done
if [ "$stale" -ne 0 ]; then
  echo "Run 'make generate' and commit the result." >&2
  exit 1
fi
echo "generated code is current"
