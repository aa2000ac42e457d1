#!/usr/bin/env bash
# Prints the changes to openapi.yaml since a git ref: `make api-diff BASE=<ref>`.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: api-diff.sh <git ref>}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git show "$base:openapi.yaml" >"$tmp/base.yaml"
echo "== changes to openapi.yaml since $base =="
go tool oasdiff changelog "$tmp/base.yaml" openapi.yaml
