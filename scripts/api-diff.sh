#!/usr/bin/env bash
# Prints the changes to openapi.yaml since a git ref: `make api-diff BASE=<ref>`.
# FORMAT=markdown prints them as Markdown for a pull-request comment (breaking changes
# first, then additions and other changes, each with its operation's method and path;
# scripts/api-diff.md.tmpl). The base may also be a file and the new spec a second
# argument (for tests): api-diff.sh <git ref | file> [new spec].
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: api-diff.sh <git ref | file> [new spec]}
new=${2:-openapi.yaml}
format=${FORMAT:-text}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$base" ]; then
  git show "$base:openapi.yaml" >"$tmp/base.yaml"
  base=$tmp/base.yaml
fi
case "$format" in
  text)
    echo "== changes to openapi.yaml since ${1} =="
    go tool oasdiff changelog "$base" "$new"
    ;;
  markdown)
    go tool oasdiff changelog "$base" "$new" --format markdown --template scripts/api-diff.md.tmpl
    ;;
  *)
    echo "api-diff: FORMAT must be text or markdown, got $format" >&2
    exit 2
    ;;
esac
